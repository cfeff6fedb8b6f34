"""The per-character case table and the random_case graph that reads it."""
import tensorflow as tf

from byt5_tasks import case_table
from byt5_tasks import noise


def _cased_characters():
  return [chr(cp) for cp in case_table.cased_code_points()]


def test_no_character_above_the_table_has_case():
  assert not [hex(cp) for cp in range(case_table.MAX_CASED + 1, 0x110000)
              if case_table.has_case(chr(cp))]


def test_random_case_maps_every_cased_character_like_python():
  # Every table entry, read through the graph's lookup, at both rates.
  chars = _cased_characters()
  assert len(chars) > 2500
  text = "".join(chars)
  seed = noise.example_seed(0, tf.constant("all"))
  for rate, method in ((1.0, str.upper), (0.0, str.lower)):
    got = noise.random_case(tf.constant(text), seed, rate=rate).numpy()
    assert got.decode() == "".join(method(c) for c in chars)


def test_caseless_characters_keep_their_bytes():
  text = "\x00日本 ١٢٣ नमस्ते 𝄞 \U0010FFFD ๑"
  assert noise.random_case(tf.constant(text), 1, rate=1.0).numpy().decode() == text


def test_uppercase_maps_every_cased_character_like_python():
  text = "".join(_cased_characters())
  seed = noise.example_seed(0, tf.constant("all"))
  assert noise.uppercase(tf.constant(text), seed).numpy().decode() == (
      text.upper())


def test_icu_agrees_wherever_it_knows_the_character():
  # An independent check of the table: ICU (in this process's locale, not
  # tr/az/el/lt, which tailor it) may differ only on characters newer than
  # TensorFlow's ICU, which leaves those unchanged.
  chars = _cased_characters()
  tensor = tf.constant(chars)
  for method, icu in ((str.upper, tf.strings.upper),
                      (str.lower, tf.strings.lower)):
    mapped = [m.decode() for m in icu(tensor, encoding="utf-8").numpy()]
    disagree = [c for c, m in zip(chars, mapped) if m not in (method(c), c)]
    assert not disagree
