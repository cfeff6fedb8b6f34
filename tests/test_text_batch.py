"""Tests for byt5_tasks.text_batch: the one-string layout of a batch."""
import pytest
import tensorflow as tf

from byt5_tasks import draws
from byt5_tasks import text_batch


def test_layout_keys_each_byte_pair_by_its_texts_seed_and_offset():
  texts = ["ab", "", "ü€"]
  seeds = [5, 2**63 - 1, -7]
  batch = text_batch.layout(tf.constant(texts), tf.constant(seeds, tf.int64))
  # Each text ends at an even length: one separator, or two.
  assert batch.whole.numpy() == "ab\x1f\x1f\x1f\x1fü€\x1f".encode()
  assert batch.data.numpy().tobytes() == batch.whole.numpy()
  assert batch.starts.numpy().tolist() == [0, 4, 6, 12]
  assert batch.padded_before.numpy().tolist() == [0, 1, 2]
  expected = []
  for text, seed in zip(texts, seeds):
    masked = seed & draws.SEED_MASK
    expected += [masked + i for i in range((len(text.encode()) + 2) // 2)]
  assert batch.keys.numpy().tolist() == expected


def test_split_gives_the_fields_back():
  texts = ["a\x1fb", "\x1f", "cd\x1f"]  # Fields: a, b; (empty) x2; cd, ().
  batch = text_batch.layout(tf.constant(texts), tf.zeros([3], tf.int64))
  assert text_batch.split(batch.whole, batch, 2).numpy().tolist() == [
      b"a", b"b", b"", b"", b"cd", b""]


def test_after_runs_the_check_first():
  @tf.function
  def checked_whole(ok):
    batch = text_batch.layout(tf.constant(["x"]), tf.zeros([1], tf.int64))
    check = tf.raw_ops.Assert(condition=ok, data=["checked first"])
    return text_batch.after(batch, check).whole

  assert checked_whole(tf.constant(True)).numpy() == b"x\x1f"
  with pytest.raises(tf.errors.InvalidArgumentError, match="checked first"):
    checked_whole(tf.constant(False))


def test_checked_layout_checks_every_field_of_every_text():
  def layout(fields):
    return text_batch.checked_layout(
        [tf.constant(f, tf.string) for f in fields],
        tf.zeros([len(fields[0])], tf.int64), lambda ok: ["passed:", ok])

  assert layout([["q", ""], ["c", ""]]).whole.numpy() == b"q\x1fc\x1f\x1f\x1f"
  assert layout([["x", "y"]]).whole.numpy() == b"x\x1fy\x1f"
  # Shared fields are checked once but reported for every text holding them.
  ok = b"ok \xc3\xa9"
  for fields, passed in (([["q", "r", "s"], [ok, "c\x1fd", "c\x1fd"]],
                          r"\[1 0 0\]"),  # A field held U+001F.
                         ([[ok, b"bad \xc3", ok], ["c", "c", "c"]],
                          r"\[1 0 1\]")):  # Truncated UTF-8.
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"\[passed:\] " + passed):
      layout(fields)


def test_checked_distinct_layout_lays_out_each_value_once():
  fields = [tf.constant(["q1", "q2", "q1"]), tf.constant(["c", "c", ""])]
  batch, index = text_batch.checked_distinct_layout(
      fields, lambda ok: ["passed:", ok])
  texts = text_batch.split(batch.whole, batch, 1).numpy().tolist()
  assert texts == [b"q1", b"q2", b"c", b""]
  assert [[texts[i] for i in field_index.numpy()] for field_index in index
         ] == [f.numpy().tolist() for f in fields]
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"\[passed:\] \[1 0 1\]"):
    text_batch.checked_distinct_layout(
        [fields[0], tf.constant(["c", b"\xc3", "c"])],
        lambda ok: ["passed:", ok])
