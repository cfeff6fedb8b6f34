"""Tests for byt5_tasks.metrics: normalisation rules, scoring, input checks,
and exact agreement with the official scripts on the shared reference cases."""
import collections
import inspect
import json
import math

import pytest

from byt5_tasks import metrics

# --- SQuAD normalisation ----------------------------------------------------


def test_squad_lowercases_strips_ascii_punctuation_and_collapses_space():
  assert metrics.normalize_squad("  Hello,\tWORLD!!  (1,000) ") == (
      "hello world 1000")


def test_squad_drops_articles_only_as_whole_words():
  assert metrics.normalize_squad("The theater and an Anthem, a banana") == (
      "theater and anthem banana")


def test_squad_keeps_non_ascii_punctuation():
  # SQuAD's set is string.punctuation only; MLQA's is all of Unicode's.
  assert metrics.normalize_squad("«Bonjour» — ¿sí?") == "«bonjour» — ¿sí"


def test_squad_article_joined_by_punctuation_is_not_a_word():
  # Punctuation goes first, so "the-end" becomes "theend" and stays.
  assert metrics.normalize_squad("the-end") == "theend"
  assert metrics.squad_tokens("The end.") == ["end"]


# --- MLQA normalisation -----------------------------------------------------


def test_mlqa_strips_unicode_punctuation():
  assert metrics.normalize_mlqa("¿Qué «pasó»… aquí?", "es") == "qué pasó aquí"
  assert metrics.normalize_mlqa("Hello—world", "en") == "helloworld"


def test_mlqa_punctuation_set_has_unicode_p_and_ascii_symbols():
  punct = metrics.mlqa_punctuation()
  assert {"¿", "«", "，", "。", "、", "—"} <= punct
  # ASCII symbols that Unicode does not class as P* are in via ASCII's set.
  assert {"$", "+", "<", "^", "`", "|", "~"} <= punct
  assert not {"a", "1", " ", "中", "€"} & punct


@pytest.mark.parametrize("lang,text,expected", [
    ("en", "The cat and a dog", "cat and dog"),
    ("es", "El gato y la casa de los perros", "gato y casa de perros"),
    ("es", "él elefante Unas", "él elefante"),
    ("de", "Der Hund, die Katze und das Haus eines Mannes",
     "hund katze und haus mannes"),
    ("de", "Derby Diesel", "derby diesel"),
    ("vi", "Cái bàn của tôi là những chiếc ghế", "bàn tôi ghế"),
    ("hi", "the भारत a", "the भारत a"),
    # zh: no articles, and each CJK character becomes its own token.
    ("zh", "the 北京", "the 北 京"),
])
def test_mlqa_articles_per_language(lang, text, expected):
  assert metrics.normalize_mlqa(text, lang) == expected


def test_mlqa_arabic_removes_al_everywhere_like_the_official_script():
  # The official regex drops every "ال", even inside a word; we keep that.
  assert metrics.normalize_mlqa("الكتاب جميل", "ar") == "كتاب جميل"
  assert metrics.normalize_mlqa("سالم", "ar") == "س م"


def test_mlqa_zh_splits_each_cjk_character_and_keeps_other_runs():
  assert metrics.mlqa_tokens("北京大学 in 2008年，Beijing", "zh") == [
      "北", "京", "大", "学", "in", "2008", "年", "beijing"]


def test_mlqa_zh_segmenter_makes_punctuation_its_own_token():
  # normalize_mlqa has removed punctuation by then; the segmenter on its own
  # still splits it off, as the official script's does.
  assert metrics.segment_mixed("上海，abc def!") == [
      "上", "海", "，", "abc", "def", "!"]


def test_mlqa_zh_cjk_range_stops_at_u9fa5_like_the_official_script():
  # Characters past U+9FA5 (and CJK extensions) are not split apart.
  assert metrics.mlqa_tokens("\u9fa5\u9fa5", "zh") == ["\u9fa5", "\u9fa5"]
  assert metrics.mlqa_tokens("\u9fa6\u9fa6 𠀀𠀀", "zh") == [
      "\u9fa6\u9fa6", "𠀀𠀀"]


def test_mlqa_unknown_language_lists_supported_ones():
  with pytest.raises(ValueError, match=r"'el'.*ar, de, en, es, hi, vi, zh"):
    metrics.normalize_mlqa("x", "el")
  with pytest.raises(ValueError, match="unknown language 'xx'"):
    metrics.mlqa([["a"]], ["a"], "xx")
  with pytest.raises(ValueError, match="unknown language"):
    metrics.mlqa_metric("fr")


# --- Scoring ----------------------------------------------------------------


def test_token_f1_counts_repeated_tokens_once_per_match():
  # common = {cat: 1}: precision 1/2, recall 1/1.
  assert metrics.token_f1(["cat", "cat"], ["cat"]) == pytest.approx(2 / 3)
  assert metrics.token_f1(["a", "b", "c"], ["b", "c", "d"]) == pytest.approx(
      2 / 3)
  assert metrics.token_f1([], []) == 0.0


def test_example_score_takes_max_over_gold_answers():
  answers = ["Denver Broncos", "Denver Broncos won the game", "Carolina"]
  score = metrics.squad_example(answers, "Denver Broncos won")
  # vs "denver broncos won game": precision 3/3, recall 3/4.
  assert score.em == 0.0
  assert score.f1 == pytest.approx(2 * 0.75 / 1.75)
  assert metrics.squad_example(list(reversed(answers)),
                               "Denver Broncos won") == score
  exact = metrics.squad_example(["Carolina", "the Denver Broncos"],
                                "Denver Broncos")
  assert exact == metrics.ExampleScore(em=1.0, f1=1.0)


def test_empty_prediction_scores_zero():
  assert metrics.squad_example(["1685"], "") == (0.0, 0.0)
  assert metrics.mlqa_example(["两支"], "", "zh") == (0.0, 0.0)


def test_prediction_and_gold_both_empty_after_normalisation():
  # As in the official scripts: equal strings give EM 1, but F1 over no
  # tokens is 0.
  assert metrics.squad_example(["The."], "") == (1.0, 0.0)


def test_zh_partial_credit_is_per_character():
  score = metrics.mlqa_example(["北京大学"], "北京", "zh")
  assert score.em == 0.0
  assert score.f1 == pytest.approx(2 * 1.0 * 0.5 / 1.5)
  # Whitespace tokenisation would give no credit at all.
  assert metrics.mlqa_example(["北京大学"], "北京", "en").f1 == 0.0


def test_squad_aggregates_means_in_percent():
  result = metrics.squad(
      [["the cat"], ["p q r s"], ["x"]], ["Cat", "q r s t", "y"])
  assert set(result) == {"em", "f1"}
  assert result["em"] == pytest.approx(100 / 3)
  assert result["f1"] == pytest.approx(100 * (1 + 0.75 + 0) / 3)


def test_mlqa_metric_is_a_seqio_predict_metric_fn():
  fn = metrics.mlqa_metric("es")
  # seqio files a metric as "predict" when its parameters without defaults
  # are exactly (targets, predictions).
  required = tuple(name
                   for name, p in inspect.signature(fn).parameters.items()
                   if p.default is inspect.Parameter.empty)
  assert required == ("targets", "predictions")
  assert fn.__name__ == "mlqa_es"
  targets, predictions = [["el perro"], ["¿Dónde?"]], ["Perro", "donde"]
  assert fn(targets, predictions) == metrics.mlqa(targets, predictions, "es")
  assert fn(targets, predictions)["em"] == 50.0


# --- Input validation -------------------------------------------------------


def test_mismatched_lengths_raise_with_both_counts():
  with pytest.raises(ValueError, match="2 targets but 1 predictions"):
    metrics.squad([["a"], ["b"]], ["a"])
  with pytest.raises(ValueError, match="1 targets but 2 predictions"):
    metrics.mlqa([["a"]], ["a", "b"], "en")


def test_bare_string_target_is_one_gold_answer():
  # Not one answer per character: "ab" must not match the prediction "a".
  assert metrics.squad(["ab"], ["a"]) == {"em": 0.0, "f1": 0.0}
  assert metrics.squad(["ab"], ["AB"]) == metrics.squad([["ab"]], ["AB"])


def test_bytes_and_tuples_are_accepted():
  assert metrics.squad([(b"caf\xc3\xa9",)], [b"Caf\xc3\xa9"]) == {
      "em": 100.0, "f1": 100.0}


def test_bad_examples_are_named_by_index():
  with pytest.raises(ValueError, match="example 1: .*no gold answers"):
    metrics.squad([["a"], []], ["a", "b"])
  with pytest.raises(TypeError, match="example 0: .*string.*int"):
    metrics.squad([["a"]], [3])
  with pytest.raises(TypeError, match="example 0: gold answers must be"):
    metrics.squad([None], ["a"])


def test_empty_input_raises():
  with pytest.raises(ValueError, match="no examples"):
    metrics.squad([], [])


# --- Reference cases from the official scripts ------------------------------


def _load_reference_cases(real_data_dir):
  path = real_data_dir / ".." / "reference" / "qa_metric_cases.jsonl"
  with open(path, encoding="utf-8") as f:
    return [json.loads(line) for line in f if line.strip()]


@pytest.mark.data
def test_reproduces_official_scores_on_every_reference_case(real_data_dir):
  cases = _load_reference_cases(real_data_dir)
  assert len(cases) == 750
  mismatches = []
  checked = collections.Counter()
  for case in cases:
    ours = {"squad": metrics.squad_example(case["answers"], case["prediction"])}
    if case["mlqa"] is not None:
      ours["mlqa"] = metrics.mlqa_example(case["answers"], case["prediction"],
                                          case["lang"])
    else:
      # Not an MLQA language (el): we must refuse rather than guess.
      with pytest.raises(ValueError, match="unknown language"):
        metrics.mlqa_example(case["answers"], case["prediction"], case["lang"])
    for name, score in ours.items():
      checked[name] += 1
      expected = case[name]
      if (abs(score.em - expected["em"]) > 1e-9 or
          abs(score.f1 - expected["f1"]) > 1e-9):
        mismatches.append((case["id"], name, case["prediction"],
                           case["answers"], score, expected))
  assert not mismatches, "\n".join(map(repr, mismatches[:20]))
  assert checked == {"squad": 750, "mlqa": 600}


@pytest.mark.data
def test_reproduces_official_means_per_language(real_data_dir):
  by_lang = collections.defaultdict(list)
  for case in _load_reference_cases(real_data_dir):
    by_lang[case["lang"]].append(case)
  assert sorted(by_lang) == ["de", "el", "en", "es", "zh"]
  for lang, cases in by_lang.items():
    targets = [c["answers"] for c in cases]
    predictions = [c["prediction"] for c in cases]
    names = ["squad"] + (["mlqa"] if lang in metrics.MLQA_LANGUAGES else [])
    for name in names:
      expected = {k: 100.0 * math.fsum(c[name][k] for c in cases) / len(cases)
                  for k in ("em", "f1")}
      if name == "squad":
        ours = metrics.squad(targets, predictions)
      else:
        ours = metrics.mlqa(targets, predictions, lang)
      for k in ("em", "f1"):
        assert ours[k] == pytest.approx(expected[k], abs=1e-9), (lang, name, k)


@pytest.mark.data
def test_reference_cases_tell_squad_and_mlqa_apart(real_data_dir):
  # Guards the two tests above against a reference set on which both
  # normalisations agree (then swapping them would go unnoticed).
  differ = [c for c in _load_reference_cases(real_data_dir)
            if c["mlqa"] is not None and c["mlqa"] != c["squad"]]
  assert differ
  for case in differ:
    ours_squad = metrics.squad_example(case["answers"], case["prediction"])
    ours_mlqa = metrics.mlqa_example(case["answers"], case["prediction"],
                                     case["lang"])
    assert ours_squad != ours_mlqa, case["id"]
