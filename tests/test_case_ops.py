"""Tests for byt5_tasks.case_ops: its two case-mapping paths agree."""
import pytest
import tensorflow as tf

from byt5_tasks import case_ops
from byt5_tasks import draws
from byt5_tasks import noise
from byt5_tasks import text_batch


@pytest.mark.parametrize("texts", [
    ["plain ASCII text, Some Words", "", "x"],  # Byte arithmetic.
    ["Грамматика русского языка", "Γειά σου κόσμε ΣΑΣ", "你好，世界"],  # Decode.
    ["Straße İzmir ılık 30 \u212a ǅemal", "mostly ascii, few ü", "😀 e\u0301"],
])
def test_both_implementations_agree_and_random_case_uses_them(texts):
  # map_case picks one of two implementations per batch by its share of
  # multi-byte characters; both must give the same output on any text.
  seeds = noise.example_seed(2, tf.constant([f"k{i}" for i in range(3)]))
  batch = text_batch.layout(tf.constant(texts), seeds)
  upper = draws.happens(draws.bits(batch.keys), 0.5)
  leads = tf.squeeze(tf.where(batch.data >= 0xC0), 1)
  table = case_ops._table()  # pylint: disable=protected-access
  by_bytes = case_ops._map_case_by_bytes(batch, leads, upper, table).numpy()  # pylint: disable=protected-access
  decoded = case_ops._map_case_decoded(batch, upper, table).numpy()  # pylint: disable=protected-access
  assert by_bytes == decoded
  assert by_bytes.decode().split("\x1f")[:3] == [
      t.decode() for t in noise.random_case(tf.constant(texts), seeds).numpy()]
