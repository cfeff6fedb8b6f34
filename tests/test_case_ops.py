"""Tests for byt5_tasks.case_ops: its two case-mapping paths agree."""
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


@pytest.mark.parametrize("texts", [
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
])
def test_all_implementations_agree_and_random_case_uses_them(texts):
  # map_case picks one of three implementations per batch by its share of
  # multi-byte characters; all must give the same output on any text, the
  # one random_case gives each text on its own.
  seeds = noise.example_seed(2, tf.constant([f"k{i}" for i in range(3)]))
  batch = text_batch.layout(tf.constant(texts), seeds)
  upper = draws.happens(draws.byte_bits(batch.keys), 0.5)
  leads = _cased_leads(batch.data)
  table = case_ops._table()  # pylint: disable=protected-access
  by_bytes = case_ops._map_case_by_bytes(batch, leads, upper, table, few=False).numpy()  # pylint: disable=protected-access
  joined = case_ops._map_case_by_bytes(batch, leads, upper, table, few=True).numpy()  # pylint: disable=protected-access
  in_place = case_ops._map_case_in_place(  # pylint: disable=protected-access
      batch, upper, table, case_ops.cased_lead_flags(batch.data)).numpy()
  assert by_bytes == joined == in_place
  assert text_batch.split(by_bytes, batch, 1).numpy().tolist() == (
      noise.random_case(tf.constant(texts), seeds).numpy().tolist())


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
