"""Text-to-text formatting and postprocessing for extractive QA.

The format is the ByT5/mT5 one, `question: {q} context: {c}` -> answer, with
one difference kept on purpose: text is not re-spaced around punctuation (as
T5's SQuAD preprocessor does), so every UTF-8 byte of the data reaches the
model unchanged.
"""
from typing import Any, List, Mapping, Optional, Sequence

import seqio
import tensorflow as tf

QUESTION_MARKER = "question:"
CONTEXT_MARKER = "context:"


@seqio.map_over_dataset
def format_qa(ex: Mapping[str, tf.Tensor]) -> Mapping[str, tf.Tensor]:
  """Builds `inputs`/`targets`; trains on the first gold answer.

  All other features (id, lang, answers, ...) are kept, so the postprocessor
  can hand every gold answer, the language and the id to the metric.
  """
  inputs = tf.strings.join(
      [QUESTION_MARKER, ex["question"], CONTEXT_MARKER, ex["context"]],
      separator=" ")
  return {**ex, "inputs": inputs, "targets": ex["answers"][0]}


def _text(value: Any) -> str:
  return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class QATarget(list):
  """The gold answers of one question, carrying its id and language.

  A list, so `metrics.squad(targets, predictions)` sees lists of answers as
  in t5/mT5; the attributes let per-language metrics and reports use the
  example's language and id.
  """

  def __init__(self, answers: Sequence[str], qid: str = "",
               lang: Optional[str] = None):
    super().__init__(answers)
    self.id = qid
    self.lang = lang


def postprocess_qa(output: Any,
                   example: Optional[Mapping[str, Any]] = None,
                   is_target: bool = False):
  """seqio postprocessor: targets become `QATarget`s, predictions text."""
  if not is_target:
    return _text(output)
  if example is None:
    raise ValueError("postprocess_qa needs the example to read gold answers")
  answers: List[str] = [_text(a) for a in example["answers"]]
  lang = _text(example["lang"]) if "lang" in example else None
  qid = _text(example["id"]) if "id" in example else ""
  return QATarget(answers, qid=qid, lang=lang or None)
