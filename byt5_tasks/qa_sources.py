"""seqio data sources for QA tasks: TFDS, or SQuAD-format files on disk/GCS.

Both kinds yield the same flat string features (`id`, `lang`, `title`,
`context`, `question`, `answers`), so everything downstream of the source,
noise included, is identical whichever one a run uses.
"""
import functools
import os
from typing import Callable, Mapping, Optional, Tuple

import seqio
import tensorflow as tf

from byt5_tasks import config
from byt5_tasks import qa_files
from byt5_tasks.qa_benchmarks import QAPart

JSON_SUFFIXES = (".json", ".json.gz")


def resolve_part_file(data_dir: str, part: QAPart) -> str:
  """The first existing candidate file of a part, or an error listing all."""
  tried = []
  for stem in part.files:
    base = os.path.join(data_dir, "qa", stem)
    # One listing per stem, matched exactly: some filesystems' `exists`
    # also answers for a longer name (`x.json` when only `x.json.gz` is there).
    present = set(tf.io.gfile.glob(base + ".json*"))
    for suffix in JSON_SUFFIXES:
      tried.append(base + suffix)
      if base + suffix in present:
        return base + suffix
  raise FileNotFoundError(
      f"No data for language {part.lang!r} (TFDS {part.tfds_name} "
      f"{part.tfds_split}); looked for: {', '.join(tried)}")


@functools.lru_cache(maxsize=16)
def _cached_json(path: str):
  # The combined TyDiQA file serves nine tasks; parse it once.
  return qa_files.load_json(path)


def read_part(data_dir: str, part: QAPart,
              on_error: str = qa_files.ON_ERROR_DROP):
  """Examples and counts of one part read from files."""
  path = resolve_part_file(data_dir, part)
  lang_from_id = qa_files.tydiqa_lang_from_id if part.lang_from_id else None
  return qa_files.read_squad_file(path, part.lang, on_error, lang_from_id,
                                  document=_cached_json(path))


def _files_dataset(split: str, shuffle_files: bool, seed: Optional[int] = None,
                   *, parts: Mapping[str, Tuple[QAPart, ...]],
                   data_dir: Optional[str], on_error: str) -> tf.data.Dataset:
  del shuffle_files, seed  # One file per part: nothing to shuffle.
  root = data_dir or config.data_dir()
  if not root:
    raise ValueError(
        f"QA files source needs a data directory: set ${config.DATA_DIR_ENV}")
  examples = []
  for part in parts[split]:
    examples += read_part(root, part, on_error)[0]
  return qa_files.examples_to_dataset(examples)


def _tfds_lang_filter(lang: str) -> Callable[[Mapping[str, tf.Tensor]],
                                            tf.Tensor]:
  prefixes = [p for p, l in qa_files.TYDIQA_ID_PREFIX_TO_LANG.items()
              if l == lang]
  def keep(ex):
    prefix = tf.strings.split(ex["id"], "-", maxsplit=1)[0]
    return tf.reduce_any(tf.equal(prefix, prefixes))
  return keep


def _flatten_tfds_example(ex, lang: str):
  return {
      "id": ex["id"],
      "lang": tf.constant(lang),
      "title": ex["title"],
      "context": ex["context"],
      "question": ex["question"],
      "answers": ex["answers"]["text"],
  }


def _tfds_dataset(split: str, shuffle_files: bool, seed: Optional[int] = None,
                  *, parts: Mapping[str, Tuple[QAPart, ...]]
                  ) -> tf.data.Dataset:
  datasets = []
  for part in parts[split]:
    if part.tfds_name is None:
      raise ValueError(
          f"{part.files[0]} ({part.lang}) is not in TFDS; read it from files "
          f"(set ${config.DATA_DIR_ENV})")
    ds = seqio.LazyTfdsLoader(part.tfds_name).load(
        part.tfds_split, shuffle_files=shuffle_files, seed=seed)
    if part.lang_from_id:
      ds = ds.filter(_tfds_lang_filter(part.lang))
    datasets.append(
        ds.map(functools.partial(_flatten_tfds_example, lang=part.lang),
               num_parallel_calls=tf.data.AUTOTUNE))
  return functools.reduce(lambda a, b: a.concatenate(b), datasets)


def qa_source(parts: Mapping[str, Tuple[QAPart, ...]],
              kind: Optional[str] = None,
              data_dir: Optional[str] = None,
              on_error: str = qa_files.ON_ERROR_DROP) -> seqio.DataSource:
  """A seqio source for the given splits.

  Args:
    parts: seqio split -> the parts it concatenates.
    kind: `config.SOURCE_TFDS` or `config.SOURCE_FILES`; default from the
      environment (`config.source_kind()`).
    data_dir: root of the files layout; default `$BYT5_TASKS_DATA_DIR`, read
      when the dataset is built, not at registration.
    on_error: what to do with unusable questions in files (see `qa_files`).
  """
  kind = kind or config.source_kind()
  if kind == config.SOURCE_FILES:
    fn = functools.partial(_files_dataset, parts=dict(parts),
                           data_dir=data_dir, on_error=on_error)
  elif kind == config.SOURCE_TFDS:
    fn = functools.partial(_tfds_dataset, parts=dict(parts))
  else:
    raise ValueError(f"unknown QA source kind {kind!r}")
  return seqio.FunctionDataSource(dataset_fn=fn, splits=tuple(parts))
