"""Tests for byt5_tasks.noise: rates, determinism, UTF-8 safety, exact cases."""
import collections
import dataclasses
import json
import os
import random
import subprocess
import sys

import pytest
import tensorflow as tf

from byt5_tasks import draws
from byt5_tasks import noise
from byt5_tasks import text_batch
from draw_reference import byte_draw

# Texts whose characters are all distinct make every edit visible.
_UNIQUE_BASE = 0x4E00  # CJK ideographs: 20k+ distinct code points.
_GREEK = "αβγδεζηθικλμνξοπρστυφχψω"


def _run(scheme, text, key="k", run_seed=0, **params):
  seed = noise.example_seed(run_seed, tf.constant(key), scheme)
  out = noise.SCHEMES[scheme](tf.constant(text), seed, **params).numpy()
  return out.decode("utf-8")  # Strict: fails on invalid UTF-8.


def _unique_texts(num_texts, length):
  return [
      "".join(chr(_UNIQUE_BASE + i * length + j) for j in range(length))
      for i in range(num_texts)
  ]


def _latin_texts(num_texts, length, seed=1):
  rng = random.Random(seed)
  return ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(length))
          for _ in range(num_texts)]


# ---------------------------------- rates -------------------------------------


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_drop_rate(rate):
  texts = _latin_texts(100, 200)
  kept = sum(len(_run("drop", t, key=f"k{i}", rate=rate))
             for i, t in enumerate(texts))
  measured = 1 - kept / 20000
  assert abs(measured - rate) < 0.012


def test_drop_keeps_order_of_surviving_characters():
  text = _unique_texts(1, 500)[0]
  out = _run("drop", text)
  positions = [text.index(c) for c in out]
  assert positions == sorted(positions)


def test_add_drop_mutate_rates():
  rate, n, length = 0.1, 30000, 300
  missing = foreign = inserted = 0
  for i, text in enumerate(_unique_texts(n // length, length)):
    out = _run("add_drop_mutate", text, key=f"k{i}", rate=rate,
               alphabet=_GREEK)
    assert set(out) <= set(text) | set(_GREEK)
    survivors = [c for c in out if c not in _GREEK]
    missing += length - len(survivors)
    foreign += len(out) - len(survivors)
    # c[j-1], one inserted char, c[j] in a row: position j inserted and
    # position j-1 kept (or inserted before). Expectation (1 - 2p/3) * p/3.
    for a, b, c in zip(out, out[1:], out[2:]):
      if (b in _GREEK and a not in _GREEK and c not in _GREEK and
          ord(c) == ord(a) + 1):
        inserted += 1
  insert_rate = inserted / (n * (1 - 2 * rate / 3))
  replace_rate = foreign / n - insert_rate
  delete_rate = missing / n - replace_rate
  for measured in (insert_rate, replace_rate, delete_rate):
    assert abs(measured - rate / 3) < 0.007
  assert abs(insert_rate + replace_rate + delete_rate - rate) < 0.01


def test_add_drop_mutate_draws_from_the_same_text_by_default():
  text = "ابجد هوز حطي كلمن"
  for i in range(50):
    assert set(_run("add_drop_mutate", text, key=str(i), rate=0.5)) <= set(text)


def test_repetitions_rate_and_counts():
  rate, length = 0.2, 250
  texts = _unique_texts(48, length)  # 12,000 characters.
  extra_counts = collections.Counter()
  for i, text in enumerate(texts):
    out = _run("repetitions", text, key=f"k{i}")
    counts = collections.Counter(out)
    assert "".join(dict.fromkeys(out)) == text  # Nothing lost, order kept.
    extra_counts.update(counts[c] - 1 for c in text)
  n = len(texts) * length
  selected = n - extra_counts[0]
  assert abs(selected / n - rate) < 0.015
  assert set(extra_counts) == {0, 1, 2, 3}
  for extra in (1, 2, 3):
    assert abs(extra_counts[extra] / selected - 1 / 3) < 0.05


def test_repetitions_configurable_range():
  text = _unique_texts(1, 2000)[0]
  out = _run("repetitions", text, rate=1.0, min_repeats=4, max_repeats=4)
  assert out == "".join(c * 5 for c in text)


@pytest.mark.parametrize("rate", [0.5, 0.2])
def test_random_case_rate(rate):
  texts = _latin_texts(100, 200, seed=2)
  upper = letters = 0
  for i, text in enumerate(texts):
    out = _run("random_case", text, key=f"k{i}", rate=rate)
    assert out.lower() == text
    letters += sum(c.isalpha() for c in out)
    upper += sum(c.isupper() for c in out)
  assert letters > 10_000
  # Within 5 binomial standard deviations.
  assert abs(upper / letters - rate) < 5 * (rate * (1 - rate) / letters)**0.5


# ------------------------------- determinism ----------------------------------


@pytest.mark.parametrize("scheme", ["drop", "add_drop_mutate", "repetitions",
                                    "random_case"])
def test_same_seed_and_key_same_output_other_key_differs(scheme):
  text = "The quick brown fox jumps over the lazy dog. " * 4
  first = _run(scheme, text, key="q1")
  assert _run(scheme, text, key="q1") == first
  assert _run(scheme, text, key="q2") != first
  assert _run(scheme, text, key="q1", run_seed=1) != first


def test_same_output_inside_tf_data_as_eagerly():
  texts = _latin_texts(20, 100, seed=3)
  keys = [f"id{i}" for i in range(20)]

  def corrupt(text, key):
    return noise.drop(text, noise.example_seed(7, key, "drop"))

  ds = tf.data.Dataset.from_tensor_slices((texts, keys)).shuffle(20, seed=1)
  in_pipeline = {k.decode(): t.decode()
                 for t, k in ds.map(lambda t, k: (corrupt(t, k), k))
                 .as_numpy_iterator()}
  eager = {k: corrupt(tf.constant(t), tf.constant(k)).numpy().decode()
           for t, k in zip(texts, keys)}
  assert in_pipeline == eager


@pytest.mark.parametrize("scheme", noise.ALL_SCHEMES)
def test_a_text_gets_the_same_noise_alone_or_in_any_batch(scheme):
  texts = _latin_texts(6, 80, seed=4) + ["", "Grüße 你好"]
  keys = [f"id{i}" for i in range(len(texts))]
  seeds = noise.example_seed(3, tf.constant(keys), scheme)
  fn = noise.SCHEMES[scheme]
  batch = [t.decode() for t in fn(tf.constant(texts), seeds).numpy()]
  alone = [_run(scheme, t, key=k, run_seed=3) for t, k in zip(texts, keys)]
  reversed_batch = fn(tf.constant(texts[::-1]), tf.reverse(seeds, [0]))
  assert batch == alone
  assert [t.decode() for t in reversed_batch.numpy()] == alone[::-1]


@pytest.mark.parametrize("scheme", noise.ALL_SCHEMES)
def test_seeded_says_whether_the_seed_matters(scheme):
  # Schemes marked unseeded are noised once per distinct field value; that is
  # exact only if their output ignores the seed.
  spec = noise.SCHEMES[scheme]
  texts = tf.constant(_latin_texts(4, 60, seed=6) + ["Grüße ΣΊΣΥΦΟΣ"])
  outputs = {
      spec.impl(text_batch.layout(texts, tf.constant([seed] * 5, tf.int64)),
                **spec.defaults).numpy()
      for seed in (1, 2, 3)}
  assert (len(outputs) > 1) == spec.seeded


@pytest.mark.parametrize(
    "scheme", [s for s in noise.ALL_SCHEMES if not noise.SCHEMES[s].seeded])
def test_unseeded_schemes_noise_each_distinct_field_once_and_alike(scheme):
  # A QA batch repeats each context once per question. Noising distinct
  # values gives what noising every example's joined fields gives.
  spec = noise.SCHEMES[scheme]
  contexts = ["Ein Kontext über Grüße", "", "Ещё один контекст",
              "Ein Kontext über Grüße", "नमस्ते दुनिया", "Ещё один контекст"]
  fields = [tf.constant([f"q{i} ß" for i in range(6)]), tf.constant(contexts)]
  seeds = tf.range(6, dtype=tf.int64)
  error = lambda ok: ["passed:", ok]
  distinct = spec.noise_fields(fields, seeds, spec.defaults, error)
  joined = dataclasses.replace(spec, seeded=True).noise_fields(
      fields, seeds, spec.defaults, error)
  assert [f.numpy().tolist() for f in distinct] == [
      f.numpy().tolist() for f in joined]
  assert [t.decode() for t in distinct[1].numpy()] == [
      _run(scheme, c) for c in contexts]
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"\[passed:\] \[1 0 1"):
    spec.noise_fields([fields[0], tf.constant(
        [c + "\x1f" if i == 1 else c for i, c in enumerate(contexts)])],
                      seeds, spec.defaults, error)


def test_run_seed_out_of_range():
  with pytest.raises(ValueError, match="run seed"):
    noise.example_seed(-1, tf.constant("k"))


# --------------------------------- UTF-8 --------------------------------------

_MIXED = ("Grüße aus Köln! Γειά σου κόσμε. Привет, мир. नमस्ते दुनिया। "
          "مرحبا بالعالم. 你好，世界。 İstanbul'da ılık bir gün. 😀👍🏽 e\u0301")


@pytest.mark.parametrize("scheme", noise.ALL_SCHEMES)
def test_output_is_valid_utf8(scheme):
  for i in range(30):
    _run(scheme, _MIXED, key=str(i))  # _run decodes strictly.


@pytest.mark.parametrize("scheme", noise.ALL_SCHEMES)
def test_invalid_input_gives_valid_output(scheme):
  seed = noise.example_seed(0, tf.constant("k"))
  out = noise.SCHEMES[scheme](tf.constant(b"ab\xff\xfecd\xc3"), seed)
  out.numpy().decode("utf-8")


@pytest.mark.parametrize("scheme", noise.ALL_SCHEMES)
def test_empty_string_survives(scheme):
  assert _run(scheme, "") == ""


@pytest.mark.parametrize("scheme", noise.ALL_SCHEMES)
def test_combining_marks_survive(scheme):
  marks = "\u0301\u0308\u0323\u0327\u093f\u094d"  # No base characters.
  for i in range(10):
    out = _run(scheme, marks, key=str(i), **(
        {"rate": 0.5} if "rate" in noise.SCHEMES[scheme].defaults else {}))
    assert set(out) <= set(marks) | {" "}


# ----------------------------- exact outputs ----------------------------------

_UPPERCASE_CASES = [
    ("Latin", "Straße, naïve café", "STRASSE, NAÏVE CAFÉ"),
    ("Greek", "γειά σου κόσμε", "ΓΕΙΆ ΣΟΥ ΚΌΣΜΕ"),
    ("Cyrillic", "привет, мир ёж", "ПРИВЕТ, МИР ЁЖ"),
    ("Devanagari", "नमस्ते दुनिया", "नमस्ते दुनिया"),
    ("Arabic", "مرحبا بالعالم", "مرحبا بالعالم"),
    ("CJK", "你好，世界", "你好，世界"),
    # Language-independent mapping: i -> I (not İ), ı -> I, İ stays.
    ("Turkish", "istanbul ılık İzmir", "ISTANBUL ILIK İZMIR"),
]

_ANTSPEAK_CASES = [
    ("Latin", "abc de", " A B C   D E "),
    ("Latin ß", "ß", " S S "),
    ("Greek", "γειά", " Γ Ε Ι Ά "),
    ("Cyrillic", "ёж", " Ё Ж "),
    ("Devanagari", "नमस्ते", " न म स \u094d त \u0947 "),
    ("Arabic", "مرحبا", " م ر ح ب ا "),
    ("CJK", "你好", " 你 好 "),
    ("Turkish", "ıi", " I I "),
]


@pytest.mark.parametrize("script,text,expected", _UPPERCASE_CASES)
def test_uppercase_exact(script, text, expected):
  del script
  assert _run("uppercase", text) == expected


@pytest.mark.parametrize("script,text,expected", _ANTSPEAK_CASES)
def test_antspeak_exact(script, text, expected):
  del script
  assert _run("antspeak", text) == expected


def test_uppercase_agrees_with_python():
  # The scheme maps character by character; Python's str.upper maps the whole
  # text. The default mapping has no context, so the two agree.
  assert _run("uppercase", _MIXED) == _MIXED.upper()


_LOCALE_TEXT = "istanbul ılık άλφα ΐ i\u0307"
_IN_A_LOCALE = """
import json, sys
import tensorflow as tf
from byt5_tasks import noise
text = tf.constant(sys.argv[1])
out = {"icu": tf.strings.upper(text, encoding="utf-8").numpy().decode()}
for scheme in ("uppercase", "antspeak", "random_case"):
  seed = noise.example_seed(0, tf.constant("k"), scheme)
  out[scheme] = noise.SCHEMES[scheme](text, seed).numpy().decode()
print(json.dumps(out))
"""


@pytest.mark.parametrize("locale", ["tr_TR.UTF-8", "el_GR.UTF-8",
                                    "lt_LT.UTF-8"])
def test_case_schemes_do_not_follow_the_process_locale(locale):
  # ICU's tf.strings.upper follows LANG/LC_ALL (tr: i -> İ; el: accents
  # dropped; lt: the dot above dropped); the schemes must not, or a cached
  # benchmark would depend on the machine that wrote it.
  env = {**os.environ, "LANG": locale, "LC_ALL": locale,
         "TF_CPP_MIN_LOG_LEVEL": "3"}
  run = subprocess.run([sys.executable, "-c", _IN_A_LOCALE, _LOCALE_TEXT],
                       env=env, capture_output=True, text=True, check=True)
  there = json.loads(run.stdout.splitlines()[-1])
  assert there["uppercase"] == _LOCALE_TEXT.upper()
  assert there["antspeak"] == _run("antspeak", _LOCALE_TEXT)
  assert there["random_case"] == _run("random_case", _LOCALE_TEXT)
  if there["icu"] == _LOCALE_TEXT.upper():
    pytest.skip(f"this TensorFlow's ICU ignores {locale}: nothing told apart")


def test_random_case_maps_each_character_on_its_own():
  # Python's per-character str.upper/lower is the oracle: no final sigma,
  # "ß" -> "SS", "İ" -> "i̇"; characters changing byte length ("ı" -> "I",
  # Kelvin sign -> "k"); rows of every kind in one batch.
  texts = ["ΟΔΥΣΣΕΥΣ Σ", "Straße", "İzmir ılık", "ǅemal", "plain text", "",
           "ılık kış", "30 \u212a", "ΣΑΣ ıi"]
  seeds = noise.example_seed(0, tf.constant([str(i) for i in range(9)]))
  for rate, method in ((1.0, str.upper), (0.0, str.lower)):
    out = noise.random_case(tf.constant(texts), seeds, rate=rate).numpy()
    assert [t.decode() for t in out] == [
        "".join(method(c) for c in t) for t in texts]


def test_random_case_uppercases_a_character_when_its_draw_is_below_the_rate():
  # The character at byte offset b of a text uses draw b of the text's seed
  # (half of SplitMix64 output b // 2; draw_reference); also for texts whose
  # case mappings change the character count.
  texts = ["plain text Ωμέγα", "ılık kış 30 \u212a", "Straße İzmir ΣΑΣ", "x"]
  for i, text in enumerate(texts):
    seed = noise.example_seed(5, tf.constant(f"k{i}"))
    key = int(seed.numpy()) & draws.SEED_MASK
    expected, offset = [], 0
    for c in text:
      upper = byte_draw(key, offset) < draws.threshold(0.5)
      expected.append(c.upper() if upper else c.lower())
      offset += len(c.encode("utf-8"))
    got = noise.random_case(tf.constant(text), seed).numpy().decode()
    assert got == "".join(expected)


@pytest.mark.parametrize("text", ["नमस्ते दुनिया", "مرحبا بالعالم", "你好，世界", "สวัสดี"])
def test_case_schemes_are_identity_without_case(text):
  assert not noise.has_case(tf.constant(text)).numpy()
  for scheme in noise.ALL_SCHEMES:
    if noise.is_identity_without_case(scheme):
      for i in range(5):
        assert _run(scheme, text, key=str(i)) == text
  assert _run("antspeak", text).replace(" ", "") == text.replace(" ", "")


def test_cased_fraction():
  assert noise.cased_fraction(["Ab", "1 日本"]) == pytest.approx(2 / 6)
  assert noise.cased_fraction(["مرحبا", ""]) == 0.0
  assert noise.cased_fraction([]) == 0.0


def test_has_case():
  assert noise.has_case(tf.constant("abc")).numpy()
  assert noise.has_case(tf.constant("ABC")).numpy()
  assert noise.has_case(tf.constant("日本 Tokyo")).numpy()
  assert not noise.has_case(tf.constant("123 日本")).numpy()


# ------------------------------ scheme table ----------------------------------


def test_table_holds_the_paper_defaults():
  assert noise.ALL_SCHEMES == ("drop", "add_drop_mutate", "repetitions",
                               "antspeak", "uppercase", "random_case")
  assert noise.SCHEMES["drop"].defaults == {"rate": 0.1}
  assert noise.SCHEMES["add_drop_mutate"].defaults["rate"] == 0.1
  assert noise.SCHEMES["repetitions"].defaults == {
      "rate": 0.2, "min_repeats": 1, "max_repeats": 3}
  assert noise.SCHEMES["random_case"].defaults == {"rate": 0.5}
  assert [s for s in noise.ALL_SCHEMES if noise.is_identity_without_case(s)
         ] == ["uppercase", "random_case"]


@pytest.mark.parametrize("scheme,params,message", [
    ("drop", {"rate": 1.5}, "probability"),
    ("drop", {"prob": 0.1}, "no parameter"),
    ("antspeak", {"rate": 0.1}, "no parameter"),
    ("repetitions", {"min_repeats": 3, "max_repeats": 1}, "min_repeats"),
    ("add_drop_mutate", {"alphabet": ""}, "alphabet"),
    ("add_drop_mutate", {"alphabet": "ab\x1f"}, "U\\+001F"),
])
def test_bad_params_are_rejected(scheme, params, message):
  with pytest.raises(ValueError, match=message):
    noise.get_scheme(scheme).params(params)


def test_unknown_scheme():
  with pytest.raises(ValueError, match="unknown noise scheme 'typo'"):
    noise.get_scheme("typo")


@pytest.mark.parametrize("scheme", ["drop", "antspeak"])
def test_texts_holding_the_reserved_separator_are_rejected(scheme):
  # U+001F ends each text of a noised batch; a text holding it would shift
  # the texts after it, so the public functions refuse it.
  with pytest.raises(tf.errors.InvalidArgumentError, match="U\\+001F"):
    noise.SCHEMES[scheme](tf.constant(["fine", "a\x1fb"]), None)
