"""Tests for byt5_tasks.batched_map: batches in, examples out, unchanged."""
import numpy as np
import pytest
import tensorflow as tf

from byt5_tasks import batched_map


def _examples():
  answers = [["a"], [], ["b", "c", "d"], ["e", "f"], ["g"]]
  return tf.data.Dataset.from_tensor_slices({
      "id": [f"q{i}" for i in range(5)],
      "text": ["one", "two", "three", "four", "five"],
      "answers": tf.ragged.constant(answers),
      "number": np.arange(5, dtype=np.int64),
      "pair": np.arange(10, dtype=np.int32).reshape(5, 2),
  }), answers


def _upper_text(batch):
  return {**batch, "text": tf.strings.upper(batch["text"])}


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_features_come_out_as_they_went_in(batch_size):
  ds, answers = _examples()
  out = batched_map.map_in_batches(ds, _upper_text, batch_size)
  # As any map makes them: "answers", a slice of a RaggedTensor, is dense.
  assert out.element_spec == ds.map(lambda ex: ex).element_spec
  rows = list(out.as_numpy_iterator())
  assert [r["text"] for r in rows] == [b"ONE", b"TWO", b"THREE", b"FOUR",
                                       b"FIVE"]
  assert [r["answers"].tolist() for r in rows] == [
      [a.encode() for a in row] for row in answers]
  assert [int(r["number"]) for r in rows] == list(range(5))
  assert [r["pair"].tolist() for r in rows] == [[2 * i, 2 * i + 1]
                                                for i in range(5)]


def test_a_feature_named_like_the_shape_feature_survives():
  ds = tf.data.Dataset.from_tensor_slices({
      "text": ["x", "y"], "answers": tf.ragged.constant([["a"], []]),
      "__shape_of_answers": ["keep", "me"]})
  rows = list(batched_map.map_in_batches(ds, _upper_text, 2)
              .as_numpy_iterator())
  assert [r["__shape_of_answers"] for r in rows] == [b"keep", b"me"]
  assert [r["answers"].tolist() for r in rows] == [[b"a"], []]


def test_ragged_features_get_batches_of_one():
  ds = tf.data.Dataset.from_tensor_slices({
      "text": ["x", "y"],
      "nested": tf.ragged.constant([[[1], [2, 3]], [[4]]])}).map(
          lambda ex: ex)  # Elements carry a RaggedTensor.
  assert isinstance(ds.element_spec["nested"], tf.RaggedTensorSpec)
  rows = list(batched_map.map_in_batches(ds, _upper_text, 8)
              .as_numpy_iterator())
  assert [r["text"] for r in rows] == [b"X", b"Y"]
  assert [[row.tolist() for row in r["nested"]] for r in rows] == [
      [[1], [2, 3]], [[4]]]


def test_map_inline_marks_its_function_for_plain_instantiation():
  ds = batched_map.map_inline(tf.data.Dataset.range(4), lambda x: x * 2)
  assert list(ds.as_numpy_iterator()) == [0, 2, 4, 6]
  attrs = ds.function.function_def.attr
  assert attrs["experimental_ints_on_device"].b
  # Not a "tf.data function", whose body tf.data's per-iterator graph rewrite
  # would also optimize.
  assert "_tf_data_function" not in attrs


def test_map_inline_keeps_the_ordinary_instantiation_for_int32():
  # TensorFlow fails to build the iterator of a marked function with int32
  # inputs or outputs ("Expected only one fetch node").
  with_int32 = tf.data.Dataset.from_tensor_slices(
      {"n": np.arange(3, dtype=np.int32), "text": ["a", "b", "c"]})
  without = tf.data.Dataset.from_tensor_slices({"text": ["a", "b", "c"]})
  for ds, fn in ((with_int32, lambda ex: ex),
                 (with_int32, lambda ex: {"text": ex["text"]}),
                 (without, lambda ex: {**ex, "m": tf.constant(1, tf.int32)})):
    out = batched_map.map_inline(ds, fn)
    attrs = out.function.function_def.attr
    assert "experimental_ints_on_device" not in attrs
    assert len(list(out.as_numpy_iterator())) == 3
