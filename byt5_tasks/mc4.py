"""mC4 pretraining tasks and language-family mixtures (ByT5's objective).

Per language: `byt5_mc4.{lang}` (train and validation) reads TFDS
`c4/multilingual:3.0.1`, or the raw mC4 release's JSON-lines shards under the
data directory (`mc4/c4-{lang}.tfrecord-*-of-*.json.gz`, local or gs://),
streamed line by line. Per family: `byt5_mc4_{family}` samples languages with
rate proportional to size**alpha (alpha = 0.3, as mT5 and ByT5).

Registration is cheap and offline: sizes (TFDS metadata, file sizes) are only
looked up when a mixture's rates are needed, i.e. when a dataset is built or
the rates are listed (`family_rate_table`).
"""
import dataclasses
import functools
import gzip
import logging
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import seqio
import tensorflow as tf

from byt5_tasks import config
from byt5_tasks import languages
from byt5_tasks import span_corruption
from byt5_tasks import vocab

TFDS_NAME = "c4/multilingual:3.0.1"
TASK_PREFIX = "byt5_mc4"
DEFAULT_ALPHA = 0.3
SIZE_DOCUMENTS = "documents"
SIZE_BYTES = "bytes"

# ---------------------------------------------------------------------------
# JSON lines -> text, in TensorFlow ops.
#
# `tf.io.decode_json_example` only reads tf.Example JSON and a py_function
# would hold the GIL the T5X training loop needs, so the `text` field is cut
# out with RE2 and unescaped with string ops. A key can only match where it is
# preceded by `{` or `,` outside any string (inside a string every `"` is
# escaped), so text that merely contains `"text":` is not mistaken for it.
_TEXT_FIELD = (r'^\s*(?:\{|\{.*?,)\s*"text"\s*:\s*"((?:[^"\\]|\\.)*)"'
               r'.*\}\s*$')
_HEX4 = r"[0-9A-Fa-f]{4}"
# Raw control characters never occur in valid JSON strings, so one can stand
# for an escaped backslash while the other escapes are undone.
_BACKSLASH_STANDIN = "\x01"
_SIMPLE_ESCAPES = ((r'\\"', '"'), (r"\\/", "/"), (r"\\n", "\n"),
                   (r"\\t", "\t"), (r"\\r", "\r"), (r"\\b", "\b"),
                   (r"\\f", "\f"))


def _restore_backslashes(strings: tf.Tensor) -> tf.Tensor:
  return tf.strings.regex_replace(strings, _BACKSLASH_STANDIN, r"\\")


def _decode_unicode_escapes(strings: tf.Tensor) -> tf.Tensor:
  r"""Replaces \uXXXX escapes (surrogate pairs joined) in a batch of strings.

  Expects every remaining backslash to start a \u escape. Lone surrogates
  become U+FFFD, as Python's json does with errors="replace".
  """
  pieces = tf.strings.split(strings, "\\u")  # Every row has >= 1 piece.
  starts = pieces.row_starts()
  heads = tf.gather(pieces.flat_values, starts)
  is_head = tf.scatter_nd(starts[:, tf.newaxis],
                          tf.ones_like(starts, tf.bool),
                          tf.shape(pieces.flat_values, out_type=tf.int64))
  rest = tf.RaggedTensor.from_row_lengths(
      tf.boolean_mask(pieces.flat_values, ~is_head),
      pieces.row_lengths() - 1)
  escaped = rest.flat_values
  tf.debugging.Assert(
      tf.reduce_all(tf.strings.regex_full_match(
          tf.strings.substr(escaped, 0, 4), _HEX4)),
      ["malformed \\u escape in mC4 JSON text"])
  digits = tf.cast(tf.reshape(
      tf.io.decode_raw(tf.strings.substr(escaped, 0, 4), tf.uint8), [-1, 4]),
                   tf.int32)
  values = tf.where(digits <= ord("9"), digits - ord("0"),
                    tf.bitwise.bitwise_or(digits, 0x20) - ord("a") + 10)
  code = tf.reduce_sum(values * [4096, 256, 16, 1], axis=1)
  lengths = tf.strings.length(escaped)
  tails = tf.strings.substr(escaped, tf.fill(tf.shape(lengths), 4),
                            lengths - 4)
  rows = rest.value_rowids()
  next_code = tf.concat([code[1:], [0]], axis=0)
  next_in_row = tf.concat([rows[1:] == rows[:-1], [False]], axis=0)
  is_high = (code >= 0xD800) & (code < 0xDC00)
  is_low = (code >= 0xDC00) & (code < 0xE000)
  pair = is_high & (tails == "") & next_in_row & (
      (next_code >= 0xDC00) & (next_code < 0xE000))
  second = tf.concat([[False], pair[:-1]], axis=0)
  combined = 0x10000 + (code - 0xD800) * 1024 + (next_code - 0xDC00)
  code = tf.where(pair, combined, code)
  code = tf.where((is_high | is_low) & ~pair & ~second, 0xFFFD, code)
  chars = tf.strings.unicode_encode(code[:, tf.newaxis], "UTF-8")
  chars = tf.where(second, "", chars)
  joined = tf.strings.reduce_join(
      rest.with_flat_values(chars + _restore_backslashes(tails)), axis=1)
  return _restore_backslashes(heads) + joined


def json_lines_to_text(lines: tf.Tensor, path: tf.Tensor,
                       first_line: tf.Tensor) -> tf.Tensor:
  """The unescaped `text` field of a batch of mC4 JSON lines.

  `path` and `first_line` (the batch's 1-based line number) only serve the
  error raised for a line without a `text` string.
  """
  ok = tf.strings.regex_full_match(lines, _TEXT_FIELD)
  bad = tf.argmin(tf.cast(ok, tf.int32), output_type=tf.int64)
  check = tf.debugging.Assert(
      tf.reduce_all(ok),
      ["mC4 file", path, "line", first_line + bad,
       'is not a JSON object with a "text" string:',
       tf.strings.substr(lines[bad], 0, 200, unit="UTF8_CHAR")],
      summarize=1)
  with tf.control_dependencies([check]):
    raw = tf.strings.regex_replace(lines, _TEXT_FIELD, r"\1")
  text = tf.strings.regex_replace(raw, r"\\\\", _BACKSLASH_STANDIN)
  for pattern, replacement in _SIMPLE_ESCAPES:
    text = tf.strings.regex_replace(text, pattern, replacement)
  return _decode_unicode_escapes(text)


def read_json_lines_file(path: tf.Tensor, batch_size: int = 256
                         ) -> tf.data.Dataset:
  """Streams {"text"} from one gzipped JSON-lines shard."""
  lines = tf.data.TextLineDataset(path, compression_type="GZIP",
                                  buffer_size=1 << 20)
  batches = lines.batch(batch_size).enumerate()
  return batches.map(
      lambda i, batch: {"text": json_lines_to_text(
          batch, path, i * batch_size + 1)}).unbatch()


# ---------------------------------------------------------------------------
# Sources.


def file_patterns(lang: str, data_dir: str) -> Dict[str, str]:
  """Train/validation shard patterns of one language (raw mC4 naming)."""
  root = f"{data_dir.rstrip('/')}/mc4"
  return {
      "train": f"{root}/c4-{lang}.tfrecord-*-of-*.json.gz",
      "validation": f"{root}/c4-{lang}-validation.tfrecord-*-of-*.json.gz",
  }


@functools.lru_cache(maxsize=None)
def _list_files(pattern: str) -> tuple:
  return tuple(sorted(tf.io.gfile.glob(pattern)))


class Mc4FileSource(seqio.FileDataSource):
  """mC4 JSON-lines shards of one language; fails naming the pattern."""

  def __init__(self, lang: str, data_dir: str):
    self._lang = lang
    super().__init__(read_file_fn=read_json_lines_file,
                     split_to_filepattern=file_patterns(lang, data_dir))

  def list_shards(self, split: str) -> Sequence[str]:
    return list(_list_files(self._split_to_filepattern[split]))

  def has_files(self, split: str = "train") -> bool:
    return bool(self.list_shards(split))

  def get_dataset(self, split: str = "train", shuffle: bool = True,
                  seed: Optional[int] = None, shard_info=None, **kwargs):
    if split not in self._split_to_filepattern:
      raise ValueError(f"mC4 {self._lang}: no split {split!r}; have "
                       f"{', '.join(self._split_to_filepattern)}")
    if not self.has_files(split):
      raise FileNotFoundError(
          f"mC4 language {self._lang!r} ({split}): no files match "
          f"{self._split_to_filepattern[split]} (raw mC4 layout; set "
          f"${config.DATA_DIR_ENV} to the directory holding mc4/, or "
          f"${config.SOURCE_ENV}=tfds)")
    return super().get_dataset(split, shuffle, seed, shard_info, **kwargs)

  def size(self, measure: str) -> int:
    """Training-split size: compressed bytes (cheap) or documents (reads
    every shard)."""
    files = self.list_shards("train")
    if measure == SIZE_BYTES:
      return sum(tf.io.gfile.stat(f).length for f in files)
    if measure == SIZE_DOCUMENTS:
      return sum(_count_lines(f) for f in files)
    raise ValueError(f"size measure {measure!r}: use {SIZE_BYTES!r} or "
                     f"{SIZE_DOCUMENTS!r}")


@functools.lru_cache(maxsize=None)
def _count_lines(path: str) -> int:
  count = 0
  with tf.io.gfile.GFile(path, "rb") as raw, gzip.GzipFile(fileobj=raw) as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      count += block.count(b"\n")
  return count


def mc4_source(lang: str, source_kind: Optional[str] = None,
               data_dir: Optional[str] = None) -> seqio.DataSource:
  """TFDS or file source of one mC4 language, per `byt5_tasks.config`."""
  languages.language(lang)  # Validates the code.
  kind = source_kind or config.source_kind()
  if kind == config.SOURCE_TFDS:
    return seqio.TfdsDataSource(
        tfds_name=TFDS_NAME,
        splits={"train": lang, "validation": f"{lang}-validation"})
  if kind == config.SOURCE_FILES:
    root = data_dir or config.data_dir()
    if not root:
      raise ValueError(f"mC4 from files needs a data directory "
                       f"(${config.DATA_DIR_ENV})")
    return Mc4FileSource(lang, root)
  raise ValueError(f"unknown source kind {kind!r}")


def source_size(source: seqio.DataSource,
                measure: Optional[str] = None) -> int:
  """Size used for mixing: TFDS documents, or file bytes/documents."""
  if isinstance(source, Mc4FileSource):
    return source.size(measure or SIZE_BYTES)
  if measure not in (None, SIZE_DOCUMENTS):
    raise ValueError("TFDS sizes are document counts only")
  size = source.num_input_examples("train")
  if size is None:
    raise ValueError(f"{source}: no training-split size available")
  return size


def _has_data(task: seqio.Task) -> bool:
  source = task.source
  return not isinstance(source, Mc4FileSource) or source.has_files()


# ---------------------------------------------------------------------------
# Tasks and mixtures.


def task_name(lang: str, prefix: str = TASK_PREFIX) -> str:
  """`byt5_mc4.bg_Latn` for `bg-Latn`: seqio names allow no hyphen."""
  return f"{prefix}.{lang.replace('-', '_')}"


def mixture_name(family: str, prefix: str = TASK_PREFIX) -> str:
  return f"{prefix}_{family}"


def pretraining_output_features() -> Mapping[str, seqio.Feature]:
  """Byte features; `inputs` only exists after span corruption, which runs
  after the cache, so it is not required of cached data."""
  features = dict(vocab.byte_output_features())
  features["inputs"] = dataclasses.replace(features["inputs"], required=False)
  return features


def pretraining_preprocessors(
    noise_density: float = span_corruption.DEFAULT_NOISE_DENSITY,
    mean_noise_span_length: float = (
        span_corruption.DEFAULT_MEAN_NOISE_SPAN_LENGTH),
    align_to_characters: bool = False,
    corruption_fn: Optional[Callable] = None) -> List[Callable]:
  """Text -> byte ids -> (cache) -> span corruption -> EOS.

  `corruption_fn` replaces our span corruption (the benchmark plugs T5's in).
  """
  if corruption_fn is None:
    corruption_fn = functools.partial(
        span_corruption.span_corruption, noise_density=noise_density,
        mean_noise_span_length=mean_noise_span_length,
        align_to_characters=align_to_characters)
  return [
      functools.partial(seqio.preprocessors.rekey,
                        key_map={"targets": "text"}),
      functools.partial(seqio.preprocessors.tokenize,
                        copy_pretokenized=False),
      seqio.CacheDatasetPlaceholder(),
      corruption_fn,
      seqio.preprocessors.append_eos_after_trim,
  ]


def register_language_task(
    lang: str,
    source_kind: Optional[str] = None,
    data_dir: Optional[str] = None,
    prefix: str = TASK_PREFIX,
    noise_density: float = span_corruption.DEFAULT_NOISE_DENSITY,
    mean_noise_span_length: float = (
        span_corruption.DEFAULT_MEAN_NOISE_SPAN_LENGTH),
    align_to_characters: bool = False) -> seqio.Task:
  """Registers `{prefix}.{lang}` (replacing a task of that name)."""
  name = task_name(lang, prefix)
  seqio.TaskRegistry.remove(name)
  return seqio.TaskRegistry.add(
      name,
      source=mc4_source(lang, source_kind, data_dir),
      preprocessors=pretraining_preprocessors(
          noise_density, mean_noise_span_length, align_to_characters),
      output_features=pretraining_output_features(),
      metric_fns=[])


class FamilyMixture(seqio.Mixture):
  """A family's languages, sampled by size**alpha.

  Reading files, languages without shards are left out of the mixture (with a
  warning naming the expected files) when it is used, so a data directory
  holding part of a family still trains on that part; `family_rate_table`
  lists them as missing. That check is made lazily: constructing the mixture
  touches neither the file system nor the network.
  """

  def __init__(self, name: str, family: str, langs: Sequence[str],
               alpha: float, size_measure: Optional[str], prefix: str):
    self._ready = False
    self._warned = False
    self.family = family
    self.langs = tuple(langs)
    self.alpha = alpha
    self.size_measure = size_measure
    self._prefix = prefix
    rate = functools.partial(_language_rate, alpha=alpha,
                             measure=size_measure)
    super().__init__(name, [(task_name(lang, prefix), rate)
                            for lang in self.langs])
    self._ready = True

  @property
  def tasks(self) -> List[seqio.Task]:
    every_task = super().tasks
    if not self._ready:
      return every_task
    present = [t for t in every_task if _has_data(t)]
    missing = [t for t in every_task if t not in present]
    if missing and not self._warned:
      self._warned = True
      logging.warning(
          "%s: no data for %s; expected files like %s", self.name,
          ", ".join(t.name for t in missing),
          missing[0].source._split_to_filepattern["train"])  # pylint: disable=protected-access
    if not present:
      raise FileNotFoundError(
          f"{self.name}: no language of family {self.family!r} has data; "
          "expected e.g. " +
          every_task[0].source._split_to_filepattern["train"])  # pylint: disable=protected-access
    return present


def _language_rate(task: seqio.Task, alpha: float,
                   measure: Optional[str]) -> float:
  return float(source_size(task.source, measure)) ** alpha


def register_family_mixture(
    family: str,
    langs: Optional[Sequence[str]] = None,
    alpha: float = DEFAULT_ALPHA,
    size_measure: Optional[str] = None,
    source_kind: Optional[str] = None,
    data_dir: Optional[str] = None,
    prefix: str = TASK_PREFIX,
    register_tasks: bool = True,
    noise_density: float = span_corruption.DEFAULT_NOISE_DENSITY,
    mean_noise_span_length: float = (
        span_corruption.DEFAULT_MEAN_NOISE_SPAN_LENGTH),
    align_to_characters: bool = False) -> FamilyMixture:
  """Registers `{prefix}_{family}` over the family's per-language tasks.

  Args:
    family: a family of `byt5_tasks.languages`, or a new name with `langs`.
    langs: mC4 codes; registers (or replaces) the family with them.
    alpha: sampling exponent; rate of a language ∝ size**alpha.
    size_measure: `documents` (TFDS's only measure; reads every shard for
      files) or `bytes` (compressed shard bytes; the default for files).
    source_kind, data_dir: as `byt5_tasks.config`; default from environment.
    prefix: task and mixture name prefix.
    register_tasks: also (re)register the per-language tasks, with these
      span corruption settings (noise_density, mean_noise_span_length,
      align_to_characters); use a different `prefix` for non-default ones.
  """
  if alpha <= 0:
    raise ValueError(f"alpha must be positive, got {alpha}")
  if langs is not None:
    languages.register_family(family, langs, overwrite=True)
  codes = languages.family_languages(family)
  if register_tasks:
    for lang in codes:
      register_language_task(lang, source_kind, data_dir, prefix,
                             noise_density, mean_noise_span_length,
                             align_to_characters)
  name = mixture_name(family, prefix)
  seqio.MixtureRegistry.remove(name)
  mixture = FamilyMixture(name, family, codes, alpha, size_measure, prefix)
  seqio.MixtureRegistry.add_provider(name, mixture)
  return mixture


def register_pretraining_tasks(source_kind: Optional[str] = None,
                               data_dir: Optional[str] = None,
                               alpha: float = DEFAULT_ALPHA) -> List[str]:
  """Registers `byt5_mc4.{lang}` for every mC4 language and
  `byt5_mc4_{family}` for every registered family; returns the names."""
  names = [register_language_task(lang, source_kind, data_dir).name
           for lang in languages.MC4_LANGUAGES]
  for family in languages.families():
    names.append(register_family_mixture(
        family, alpha=alpha, source_kind=source_kind, data_dir=data_dir,
        register_tasks=False).name)
  return names


# ---------------------------------------------------------------------------
# Inspection.


@dataclasses.dataclass(frozen=True)
class LanguageRate:
  lang: str
  task: str
  size: Optional[int]  # None when the language has no data.
  size_unit: str
  rate: float  # Normalized over the family's languages with data.


def family_rate_table(family: str,
                      prefix: str = TASK_PREFIX) -> List[LanguageRate]:
  """Each language of the registered mixture, its size and sampling rate.

  Looks sizes up (TFDS metadata, file sizes), so it may be slow or need
  network access for TFDS or gs:// data.
  """
  mixture = seqio.get_mixture_or_task(mixture_name(family, prefix))
  if not isinstance(mixture, FamilyMixture):
    raise ValueError(f"{mixture.name} is not a family mixture")
  present = {t.name for t in mixture.tasks}
  rows = []
  for lang in mixture.langs:
    task = seqio.get_mixture_or_task(task_name(lang, prefix))
    unit = mixture.size_measure or (
        SIZE_BYTES if isinstance(task.source, Mc4FileSource)
        else SIZE_DOCUMENTS)
    size = (source_size(task.source, mixture.size_measure)
            if task.name in present else None)
    rows.append((lang, task.name, size, unit))
  weights = [0.0 if size is None else float(size) ** mixture.alpha
             for _, _, size, _ in rows]
  total = sum(weights)
  return [LanguageRate(lang, name, size, unit, weight / total)
          for (lang, name, size, unit), weight in zip(rows, weights)]


def family_rates(family: str, prefix: str = TASK_PREFIX) -> Dict[str, float]:
  """{task name: sampling rate} of a family mixture (rates sum to 1)."""
  return {row.task: row.rate for row in family_rate_table(family, prefix)
          if row.size is not None}
