"""Tests for byt5_tasks.case_ops: its case-mapping paths agree."""
import pytest
import tensorflow as tf

from byt5_tasks import case_ops
from byt5_tasks import case_table
from byt5_tasks import draws
from byt5_tasks import noise
from byt5_tasks import text_batch
from byt5_tasks import utf8_ops

_CASED = [chr(cp) for cp in case_table.cased_code_points() if cp >= 0x80]


def _cased_leads(data):
  return utf8_ops.where(case_ops.cased_lead_flags(data))


_TEXT_SETS = [
    ["plain ASCII text, Some Words", "", "x"],  # Byte arithmetic.
    ["Грамматика русского языка", "Γειά σου κόσμε ΣΑΣ", "你好，世界"],  # In place.
    ["Straße İzmir ılık 30 \u212a ǅemal", "mostly ascii, few ü", "😀 e\u0301"],
    ["مرحبا Ali", "नमस्ते Ravi", "สวัสดี ĐỨC ǲ ﬀ Ｆ 𐐀"],  # Few cased leads.
    # Every 2-byte cased character, including those whose mapping has
    # another length (in place or spliced), then 3- and 4-byte ones.
    ["".join(c for c in _CASED if len(c.encode()) == 2),
     "ı İ ſ ŉ ǰ ΐ ΰ և ẞ Ω K Å " + "".join(
         c for c in _CASED if len(c.encode()) > 2)[:400],
     "Σ" * 50 + "ß" * 50],
]


def _every_path(batch, upper, ascii_mapped):
  """The outputs of map_case's four implementations (it picks one by the
  batch's share of multi-byte characters): bytes mapped byte-wise or by
  pairs, then the rest spliced in as string pieces or by a byte gather."""
  # pylint: disable=protected-access
  table = case_ops._table()
  by_bytes = (ascii_mapped(), _cased_leads(batch.data))
  by_pairs = case_ops._mapped_by_pairs(batch.data, upper, table)
  return [case_ops._splice(batch.data, mapped, splice_at, upper, table,
                           tf.constant(few)).numpy()
          for mapped, splice_at in (by_bytes, by_pairs)
          for few in (True, False)]
  # pylint: enable=protected-access


def _layout(texts):
  seeds = noise.example_seed(2, tf.constant([f"k{i}" for i in range(3)]))
  return seeds, text_batch.layout(tf.constant(texts), seeds)


@pytest.mark.parametrize("texts", _TEXT_SETS)
def test_all_implementations_agree_and_random_case_uses_them(texts):
  # All must give the same output on any text, the one random_case gives
  # each text on its own.
  seeds, batch = _layout(texts)
  upper = draws.happens(draws.byte_bits(batch.keys), 0.5)
  outputs = _every_path(batch, upper, lambda: case_ops._ascii_case(  # pylint: disable=protected-access
      batch.data, upper))
  assert len(set(outputs)) == 1
  assert text_batch.split(outputs[0], batch, 1).numpy().tolist() == (
      noise.random_case(tf.constant(texts), seeds).numpy().tolist())


@pytest.mark.parametrize("texts", _TEXT_SETS)
def test_every_implementation_uppercases_like_python(texts):
  # upper_case maps ASCII with tf.strings.upper (no encoding) instead of
  # the arithmetic; each path must still give str.upper of every text.
  _, batch = _layout(texts)
  every = tf.ones(tf.shape(batch.data), tf.bool)
  outputs = _every_path(batch, every, lambda: utf8_ops.to_bytes(
      tf.strings.upper(batch.whole)))
  for output in outputs:
    assert [t.decode() for t in text_batch.split(output, batch, 1).numpy()
           ] == [t.upper() for t in texts]
  assert case_ops.upper_case(batch).numpy() == outputs[0]


def test_cased_leads_cover_every_multi_byte_cased_character():
  text = "".join(_CASED)
  data = tf.constant(list(text.encode("utf-8")), tf.uint8)
  leads = _cased_leads(data).numpy().tolist()
  assert leads == [len(text[:i].encode("utf-8")) for i in range(len(_CASED))]


def test_cased_leads_skip_caseless_scripts():
  text = "مرحبا नमस्ते สวัสดี 你好 é"
  data = tf.constant(list(text.encode("utf-8")), tf.uint8)
  assert _cased_leads(data).numpy().tolist() == [
      len(text[:text.index("é")].encode("utf-8"))]
