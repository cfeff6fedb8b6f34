"""Reading SQuAD-format JSON files (SQuAD, XQuAD, MLQA, TyDiQA-GoldP).

Every QA benchmark we use ships in the SQuAD v1.1 layout
`{"data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}`. This module
turns one such file into flat examples and accounts for every question: it is
either kept or dropped for a named reason, and the counts are kept per file so
nothing disappears silently.
"""
import collections
import dataclasses
import gzip
import json
import logging
import threading
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import tensorflow as tf

# What happens to a question that cannot be used (no answers, an answer that
# does not occur in the context where `answer_start` says it does):
ON_ERROR_DROP = "drop"  # drop it and count it under its reason
ON_ERROR_RAISE = "raise"  # stop with an error naming file and question id

# Official TyDiQA-GoldP ids start with the language's English name.
TYDIQA_ID_PREFIX_TO_LANG = {
    "arabic": "ar",
    "bengali": "bn",
    "english": "en",
    "finnish": "fi",
    "indonesian": "id",
    "korean": "ko",
    "russian": "ru",
    "swahili": "sw",
    "telugu": "te",
}


class QADataError(ValueError):
  """A SQuAD-format file or question is malformed; says which and why."""


@dataclasses.dataclass(frozen=True)
class QAExample:
  """One question with its context and every gold answer."""
  id: str
  lang: str
  title: str
  context: str
  question: str
  answers: Tuple[str, ...]


@dataclasses.dataclass
class ReadStats:
  """How many questions a file held, and what became of them.

  `lang` is set when only that language's questions of a multilingual file
  were read; each language then has its own counts.
  """
  path: str
  lang: Optional[str] = None
  read: int = 0
  kept: int = 0
  dropped: Dict[str, int] = dataclasses.field(
      default_factory=collections.Counter)
  # The first few dropped ids per reason, to find them in the file.
  dropped_examples: Dict[str, List[str]] = dataclasses.field(
      default_factory=lambda: collections.defaultdict(list))

  def drop(self, reason: str, qid: str) -> None:
    self.dropped[reason] += 1
    if len(self.dropped_examples[reason]) < 5:
      self.dropped_examples[reason].append(qid)

  @property
  def num_dropped(self) -> int:
    return sum(self.dropped.values())

  @property
  def name(self) -> str:
    return f"{self.path} [{self.lang}]" if self.lang else self.path

  def summary(self) -> str:
    text = f"{self.name}: read {self.read}, kept {self.kept}"
    for reason, count in sorted(self.dropped.items()):
      ids = ", ".join(self.dropped_examples[reason])
      text += f", dropped {count} ({reason}; e.g. {ids})"
    return text


# Statistics of every file read in this process, by path: the last read wins.
_READ_STATS: Dict[str, ReadStats] = {}
_READ_STATS_LOCK = threading.Lock()


def read_stats() -> Mapping[str, ReadStats]:
  """Counts for every SQuAD-format file (and language) read in this process."""
  with _READ_STATS_LOCK:
    return dict(_READ_STATS)


def load_json(path: str) -> Any:
  """Loads `.json` or `.json.gz` from a local or `gs://` path."""
  try:
    with tf.io.gfile.GFile(path, "rb") as f:
      raw = f.read()
  except tf.errors.NotFoundError as e:
    raise FileNotFoundError(f"{path}: no such file") from e
  if path.endswith(".gz"):
    try:
      raw = gzip.decompress(raw)
    except (OSError, EOFError) as e:
      raise QADataError(f"{path}: not a valid gzip file ({e})") from e
  try:
    return json.loads(raw.decode("utf-8"))
  except UnicodeDecodeError as e:
    raise QADataError(f"{path}: not UTF-8 ({e})") from e
  except json.JSONDecodeError as e:
    raise QADataError(f"{path}: invalid JSON ({e})") from e


def _field(obj: Any, key: str, kind: type, where: str) -> Any:
  """obj[key], or an error saying where it is missing or of the wrong type."""
  if not isinstance(obj, dict) or key not in obj:
    raise QADataError(f"{where}: missing field {key!r}")
  value = obj[key]
  if not isinstance(value, kind):
    raise QADataError(
        f"{where}: field {key!r} should be {kind.__name__}, "
        f"got {type(value).__name__}")
  return value


def _answer_problem(context: str, answers: Sequence[Any],
                    where: str) -> Tuple[Optional[str], Tuple[str, ...]]:
  """Checks a question's answers: returns (problem or None, answer texts)."""
  if not answers:
    return "no answers", ()
  texts = []
  for i, answer in enumerate(answers):
    text = _field(answer, "text", str, f"{where}, answer {i}")
    if not text.strip():
      return "empty answer text", ()
    if "answer_start" in answer:
      start = answer["answer_start"]
      if (not isinstance(start, int) or start < 0 or
          context[start:start + len(text)] != text):
        return "answer_start does not match the context", ()
    texts.append(text)
  return None, tuple(texts)


def iter_squad_examples(
    data: Any,
    path: str,
    lang: Optional[str],
    stats: ReadStats,
    on_error: str = ON_ERROR_DROP,
    lang_from_id: Optional[Callable[[str], Optional[str]]] = None,
) -> Iterator[QAExample]:
  """Yields the usable questions of a parsed SQuAD-format document.

  Structural damage (missing `data`, `paragraphs`, `context`, `qas`,
  `question` or `id`) always raises: a half-read file would change the
  benchmark. Unusable answers follow `on_error`.

  Args:
    data: the parsed JSON.
    path: file name, for messages and counts.
    lang: the language of every question, or None to take it from the id.
    stats: updated with what was read, kept and dropped.
    on_error: ON_ERROR_DROP or ON_ERROR_RAISE for unusable answers.
    lang_from_id: maps a question id to its language (combined TyDiQA files);
      questions it maps to a language other than `lang` are skipped, not
      counted, since they belong to another task.
  """
  if on_error not in (ON_ERROR_DROP, ON_ERROR_RAISE):
    raise ValueError(f"on_error must be 'drop' or 'raise', got {on_error!r}")
  for a, article in enumerate(_field(data, "data", list, path)):
    where_article = f"{path}: data[{a}]"
    title = article.get("title", "") if isinstance(article, dict) else ""
    for p, paragraph in enumerate(
        _field(article, "paragraphs", list, where_article)):
      where_paragraph = f"{where_article}.paragraphs[{p}]"
      context = _field(paragraph, "context", str, where_paragraph)
      for q, qa in enumerate(_field(paragraph, "qas", list, where_paragraph)):
        qid = _field(qa, "id", str, f"{where_paragraph}.qas[{q}]")
        where = f"{path}: question {qid}"
        example_lang = lang
        if lang_from_id is not None:
          id_lang = lang_from_id(qid)
          if id_lang is None:
            raise QADataError(f"{where}: cannot tell the language from the id")
          if lang is not None and id_lang != lang:
            continue
          example_lang = id_lang
        stats.read += 1
        question = _field(qa, "question", str, where)
        answers = _field(qa, "answers", list, where)
        problem, texts = _answer_problem(context, answers, where)
        if problem:
          if on_error == ON_ERROR_RAISE:
            raise QADataError(f"{where}: {problem}")
          stats.drop(problem, qid)
          continue
        stats.kept += 1
        yield QAExample(
            id=qid, lang=example_lang or "", title=str(title), context=context,
            question=question, answers=texts)


def tydiqa_lang_from_id(qid: str) -> Optional[str]:
  """The language of an official TyDiQA-GoldP id (`english-…` → `en`)."""
  return TYDIQA_ID_PREFIX_TO_LANG.get(qid.split("-", 1)[0])


def record_stats(stats: ReadStats) -> None:
  """Keeps a file's counts for `read_stats()` and logs them."""
  with _READ_STATS_LOCK:
    _READ_STATS[stats.name] = stats
  log = logging.warning if stats.num_dropped else logging.info
  log("%s", stats.summary())


def read_squad_file(
    path: str,
    lang: Optional[str],
    on_error: str = ON_ERROR_DROP,
    lang_from_id: Optional[Callable[[str], Optional[str]]] = None,
    document: Optional[Any] = None,
) -> Tuple[List[QAExample], ReadStats]:
  """Reads one SQuAD-format file; returns its usable examples and counts.

  `document` is the file's already parsed JSON, for callers that read one
  file for several languages (the combined TyDiQA files).
  """
  stats = ReadStats(path=path, lang=lang if lang_from_id else None)
  if document is None:
    document = load_json(path)
  examples = list(iter_squad_examples(document, path, lang, stats, on_error,
                                      lang_from_id))
  record_stats(stats)
  return examples, stats


def examples_to_dataset(examples: Sequence[QAExample]) -> tf.data.Dataset:
  """Examples as a `tf.data.Dataset` of string features.

  Built from tensors rather than a Python generator so the pipeline stays a
  pure graph (serialisable, and fast to iterate).
  """
  answers = tf.RaggedTensor.from_row_lengths(
      tf.constant([a for ex in examples for a in ex.answers], tf.string),
      tf.constant([len(ex.answers) for ex in examples], tf.int64))
  columns = {
      name: tf.constant([getattr(ex, name) for ex in examples], tf.string)
      for name in ("id", "lang", "title", "context", "question")
  }
  return tf.data.Dataset.from_tensor_slices({**columns, "answers": answers})
