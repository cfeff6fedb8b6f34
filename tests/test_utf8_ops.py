"""Tests for byt5_tasks.utf8_ops: the byte-level UTF-8 helpers of the noise."""
import random

import pytest
import tensorflow as tf

from byt5_tasks import utf8_ops

_MIXED = "aé€😀 ΣΑΣ ß İ ı नमस्ते 你好 \u0301\x00\x7f\uffff\U0010ffff"


def _python_valid(data: bytes, excluded=None) -> bool:
  try:
    text = data.decode("utf-8")
  except UnicodeDecodeError:
    return False
  return excluded is None or chr(excluded) not in text


def _fuzz_byte_strings(count: int, seed: int = 0):
  """Random byte strings near valid UTF-8: valid text with bytes mutated."""
  rng = random.Random(seed)
  tricky = [b"\xc0\x80", b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
            b"\xf5", b"\xff", b"\x80", b"\xc3", b"\xef\xbf\xbf", b"\x1f"]
  for _ in range(count):
    start = rng.randrange(len(_MIXED))
    data = bytearray(_MIXED[start:start + rng.randrange(1, 8)].encode())
    for _ in range(rng.randrange(2)):
      position = rng.randrange(len(data) + 1)
      data[position:position] = rng.choice(tricky)
    if rng.random() < 0.2:
      data[rng.randrange(len(data))] = rng.randrange(256)
    yield bytes(data)


@pytest.mark.parametrize("excluded", [None, 0x1F])
def test_is_valid_utf8_agrees_with_python(excluded):
  samples = list(_fuzz_byte_strings(3000, seed=excluded or 0)) + [
      b"", _MIXED.encode(), b"a\x1fb"]
  got = utf8_ops.is_valid_utf8(tf.constant(samples), excluded).numpy()
  expected = [_python_valid(s, excluded) for s in samples]
  assert list(got) == expected
  assert 0.2 < sum(expected) / len(expected) < 0.8  # Both kinds were tested.
  assert expected[-1] == (excluded is None)


def test_to_valid_utf8_repairs_only_invalid_strings():
  samples = list(_fuzz_byte_strings(500, seed=1))
  out = utf8_ops.to_valid_utf8(tf.constant(samples)).numpy()
  for before, after in zip(samples, out):
    after.decode("utf-8")  # Strict.
    if _python_valid(before):
      assert after == before


@pytest.mark.parametrize("size", [0, 1, 127, 128, 129, 300, 16383, 16384, 70000])
def test_bytes_to_string_round_trips_every_byte_value(size):
  data = bytes(i % 256 for i in range(size))
  vector = tf.constant(list(data), tf.uint8)
  assert utf8_ops.bytes_to_string(vector).numpy() == data


def test_character_starts_and_lengths_match_python():
  data = utf8_ops.to_bytes(tf.constant(_MIXED))
  starts = [int(i) for i in utf8_ops.where(utf8_ops.character_starts(data))]
  assert starts == [len(_MIXED[:i].encode()) for i in range(len(_MIXED))]
  lengths = utf8_ops.character_lengths(data, tf.constant(starts, tf.int64))
  assert list(lengths.numpy()) == [len(c.encode()) for c in _MIXED]


def test_join_pieces_and_gather_ranges_concatenate_byte_ranges():
  text = "héllo wörld"
  source = text.encode()
  begin = tf.constant([0, 7, 3, 3], tf.int64)
  end = tf.constant([3, 13, 3, 5], tf.int64)
  expected = source[0:3] + source[7:13] + source[3:5]
  assert utf8_ops.join_pieces(tf.constant(text), begin, end).numpy() == expected
  assert utf8_ops.gather_ranges(utf8_ops.to_bytes(tf.constant(text)), begin,
                                end).numpy() == expected


@pytest.mark.parametrize("size", [0, 1, 2, 255, 1000])
@pytest.mark.parametrize("flagged", [0.5, 0.95, 1.0])  # Both ways.
def test_insert_before_matches_python(size, flagged):
  rng = random.Random(size)
  data = bytes(rng.randrange(256) for _ in range(size))
  flags = [rng.random() < flagged for _ in range(size)]
  expected = b"".join((b"\x2a" if flag else b"") + bytes([value])
                      for value, flag in zip(data, flags))
  out = utf8_ops.insert_before(tf.constant(list(data), tf.uint8),
                               tf.constant(flags, tf.bool), 0x2A)
  assert out.numpy() == expected


def test_columns_first_reads_the_rows_column_by_column():
  rows = [tf.constant([1, 2, 3], tf.int64), tf.constant([4, 5, 6], tf.int64),
          tf.constant([7, 8, 9], tf.int64)]
  assert utf8_ops.columns_first(rows).numpy().tolist() == [
      1, 4, 7, 2, 5, 8, 3, 6, 9]
  assert utf8_ops.interleave(rows[0], rows[1]).numpy().tolist() == [
      1, 4, 2, 5, 3, 6]
