"""SQuAD v1.1 and MLQA v1 exact match / token F1 as seqio metric functions.

Results must be comparable with published numbers, so normalisation follows
the official scripts (SQuAD `evaluate-v1.1.py`, MLQA `mlqa_evaluation_v1.py`)
rule for rule, including their quirks; the reference cases in
`shared/reference/qa_metric_cases.jsonl` pin this down. Pure Python on
purpose: no TensorFlow, so reports and debugging can import it anywhere.

Metric functions take seqio's `(targets, predictions)`:

* `targets[i]` is the list of gold answers of example i. A bare string is
  accepted and taken as the one gold answer: iterating it would silently turn
  every character into a "gold answer", which is never what a caller means.
  `bytes` (what TF string tensors turn into) are decoded as UTF-8.
* `predictions[i]` is the predicted answer string (or UTF-8 bytes).

Per-example scores are fractions in [0, 1]; the aggregated `{"em", "f1"}` are
means over examples ×100, as t5/mT5 and the official scripts report them.
"""
import collections
import functools
import re
import string
import sys
import unicodedata
from typing import (Callable, Dict, FrozenSet, Iterable, List, NamedTuple,
                    Sequence, Union)

Text = Union[str, bytes]
Answers = Union[Text, Iterable[Text]]

# --- Normalisation ----------------------------------------------------------

_SQUAD_PUNCTUATION = frozenset(string.punctuation)
_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")

# MLQA articles per language. `\b` is Unicode-aware for `str` patterns, so an
# article is only dropped as a whole word ("el" in "él" or "elefante" stays).
_MLQA_ARTICLES = {
    "en": re.compile(r"\b(a|an|the)\b"),
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "de": re.compile(
        r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    # The official script uses `re.sub('\sال^|ال', ' ', text)`. Its first
    # branch can never match (`^` after consumed characters), so in effect
    # every "ال" is replaced by a space, also inside words. We keep that
    # behaviour so Arabic scores match published ones.
    "ar": re.compile("ال"),
    "hi": None,  # Hindi has no articles.
    "zh": None,  # Chinese has no articles.
}
MLQA_LANGUAGES = tuple(sorted(_MLQA_ARTICLES))
_MIXED_SEGMENTATION_LANGUAGES = frozenset({"zh"})

# The official script's CJK test: the basic CJK Unified Ideographs block up to
# U+9FA5 only (not the full block to U+9FFF, nor the extensions).
_CJK_CHAR = re.compile(r"[\u4e00-\u9fa5]")


@functools.lru_cache(maxsize=None)
def mlqa_punctuation() -> FrozenSet[str]:
  """Every Unicode `P*` character plus ASCII punctuation (MLQA's set).

  Built on first use (it scans all code points, ~0.3 s) and cached. Like the
  official script it uses `range(sys.maxunicode)` and this Python's Unicode
  database (`unicodedata.unidata_version`).
  """
  unicode_punct = {
      chr(i) for i in range(sys.maxunicode)
      if unicodedata.category(chr(i)).startswith("P")
  }
  return frozenset(unicode_punct | _SQUAD_PUNCTUATION)


def normalize_squad(text: Text) -> str:
  """SQuAD v1.1: lowercase, drop ASCII punctuation and English articles,
  collapse whitespace."""
  text = _as_text(text).lower()
  text = "".join(ch for ch in text if ch not in _SQUAD_PUNCTUATION)
  text = _SQUAD_ARTICLES.sub(" ", text)
  return " ".join(text.split())


def squad_tokens(text: Text) -> List[str]:
  """The tokens SQuAD's F1 counts: whitespace split of the normalised text."""
  return normalize_squad(text).split()


def segment_mixed(text: str) -> List[str]:
  """MLQA's zh tokeniser: each CJK character and punctuation mark is a token;
  runs of other characters are split on whitespace."""
  punct = mlqa_punctuation()
  tokens = []
  pending = ""
  for ch in text:
    if _CJK_CHAR.match(ch) or ch in punct:
      tokens.extend(pending.split())
      pending = ""
      tokens.append(ch)
    else:
      pending += ch
  tokens.extend(pending.split())
  return tokens


def check_mlqa_language(lang: str) -> str:
  """Returns `lang` if MLQA defines normalisation for it, else raises."""
  if lang not in _MLQA_ARTICLES:
    raise ValueError(
        f"MLQA metric: unknown language {lang!r}; supported languages are "
        f"{', '.join(MLQA_LANGUAGES)}")
  return lang


def normalize_mlqa(text: Text, lang: str) -> str:
  """MLQA v1: lowercase, drop Unicode punctuation, drop `lang`'s articles,
  then re-join the language's tokens with single spaces."""
  articles = _MLQA_ARTICLES[check_mlqa_language(lang)]
  punct = mlqa_punctuation()
  text = _as_text(text).lower()
  text = "".join(ch for ch in text if ch not in punct)
  if articles is not None:
    text = articles.sub(" ", text)
  if lang in _MIXED_SEGMENTATION_LANGUAGES:
    tokens = segment_mixed(text)
  else:
    tokens = text.split()
  return " ".join(t for t in tokens if t.strip())


def mlqa_tokens(text: Text, lang: str) -> List[str]:
  """The tokens MLQA's F1 counts (for zh: one per CJK character)."""
  return normalize_mlqa(text, lang).split()


# --- Per-example scores -----------------------------------------------------


class ExampleScore(NamedTuple):
  """One example's scores, each the max over its gold answers, in [0, 1]."""
  em: float
  f1: float


def token_f1(prediction_tokens: Sequence[str],
             gold_tokens: Sequence[str]) -> float:
  """Bag-of-tokens F1; 0 when nothing overlaps (also when both are empty,
  as in the official scripts)."""
  common = collections.Counter(prediction_tokens) & collections.Counter(
      gold_tokens)
  num_same = sum(common.values())
  if num_same == 0:
    return 0.0
  precision = num_same / len(prediction_tokens)
  recall = num_same / len(gold_tokens)
  return (2 * precision * recall) / (precision + recall)


def _score_example(answers: Answers, prediction: Text,
                   normalize: Callable[[Text], str]) -> ExampleScore:
  golds = [normalize(a) for a in _as_answer_list(answers)]
  if not golds:
    raise ValueError("an example has no gold answers; EM/F1 are undefined")
  pred = normalize(prediction)
  pred_tokens = pred.split()
  em = max(float(pred == gold) for gold in golds)
  f1 = max(token_f1(pred_tokens, gold.split()) for gold in golds)
  return ExampleScore(em=em, f1=f1)


def squad_example(answers: Answers, prediction: Text) -> ExampleScore:
  """SQuAD v1.1 EM and F1 of one prediction against its gold answers."""
  return _score_example(answers, prediction, normalize_squad)


def mlqa_example(answers: Answers, prediction: Text,
                 lang: str) -> ExampleScore:
  """MLQA v1 EM and F1 of one prediction against its gold answers."""
  check_mlqa_language(lang)
  return _score_example(answers, prediction,
                        functools.partial(normalize_mlqa, lang=lang))


def _per_example(targets: Sequence[Answers], predictions: Sequence[Text],
                 score: Callable[[Answers, Text], ExampleScore],
                 metric: str) -> List[ExampleScore]:
  targets, predictions = list(targets), list(predictions)
  if len(targets) != len(predictions):
    raise ValueError(
        f"{metric} metric: got {len(targets)} targets but "
        f"{len(predictions)} predictions; they must pair up one to one")
  scores = []
  for i, (answers, prediction) in enumerate(zip(targets, predictions)):
    try:
      scores.append(score(answers, prediction))
    except (TypeError, ValueError) as e:
      raise type(e)(f"{metric} metric, example {i}: {e}") from e
  return scores


def squad_per_example(targets: Sequence[Answers],
                      predictions: Sequence[Text]) -> List[ExampleScore]:
  """SQuAD v1.1 scores of every example, in input order."""
  return _per_example(targets, predictions, squad_example, "SQuAD")


def mlqa_per_example(targets: Sequence[Answers], predictions: Sequence[Text],
                     lang: str) -> List[ExampleScore]:
  """MLQA v1 scores of every example, in input order."""
  check_mlqa_language(lang)
  return _per_example(targets, predictions,
                      functools.partial(mlqa_example, lang=lang), "MLQA")


# --- seqio metric functions -------------------------------------------------


def aggregate(scores: Sequence[ExampleScore]) -> Dict[str, float]:
  """Means ×100, summed then divided like the official scripts."""
  if not scores:
    raise ValueError("no examples to score: EM/F1 of an empty set are "
                     "undefined (is the eval split empty?)")
  n = len(scores)
  return {
      "em": 100.0 * sum(s.em for s in scores) / n,
      "f1": 100.0 * sum(s.f1 for s in scores) / n,
  }


def squad(targets: Sequence[Answers],
          predictions: Sequence[Text]) -> Dict[str, float]:
  """SQuAD v1.1 EM and F1 in percent; a seqio `metric_fns` entry."""
  return aggregate(squad_per_example(targets, predictions))


def mlqa(targets: Sequence[Answers], predictions: Sequence[Text],
         lang: str) -> Dict[str, float]:
  """MLQA v1 EM and F1 in percent with `lang`'s normalisation."""
  return aggregate(mlqa_per_example(targets, predictions, lang))


def mlqa_metric(lang: str) -> Callable[..., Dict[str, float]]:
  """`mlqa` bound to `lang`, with the `(targets, predictions)` signature seqio
  requires. Checks `lang` now, so a bad task definition fails at registration
  rather than after a long evaluation."""
  check_mlqa_language(lang)

  def metric_fn(targets: Sequence[Answers],
                predictions: Sequence[Text]) -> Dict[str, float]:
    return mlqa(targets, predictions, lang)

  metric_fn.__name__ = metric_fn.__qualname__ = f"mlqa_{lang}"
  return metric_fn


# --- Input coercion ---------------------------------------------------------


def _as_text(value: Text) -> str:
  if isinstance(value, str):
    return value
  if isinstance(value, bytes):
    return value.decode("utf-8")
  raise TypeError(f"expected a string (str or UTF-8 bytes), got "
                  f"{type(value).__name__}: {value!r}")


def _as_answer_list(answers: Answers) -> List[str]:
  """A bare string is one answer; any other iterable is a list of them."""
  if isinstance(answers, (str, bytes)):
    return [_as_text(answers)]
  try:
    items = list(answers)
  except TypeError:
    raise TypeError(
        f"gold answers must be a list of strings (or one string), got "
        f"{type(answers).__name__}: {answers!r}") from None
  return [_as_text(a) for a in items]
