"""Per-character case mapping of a text batch, as TF ops.

`random_case` upper- or lowercases every character on its own, so each
character's output comes from `case_table` by its code point (a mapping may
have another length: "ß" -> "SS"; caseless characters keep their bytes).
Two equivalent implementations (tested against each other) cost very
differently by script: ASCII letters by byte arithmetic and a per-character
decode of the multi-byte characters that may have case (by their first
byte: never Arabic, Devanagari, Thai or CJK); or, for text where those are
many (Greek, Cyrillic), one decode of every character. `map_case` picks one
per batch with `tf.cond`.
"""
from typing import NamedTuple, Tuple

import tensorflow as tf

from byt5_tasks import case_table
from byt5_tasks import text_batch
from byt5_tasks import utf8_ops

# The byte-arithmetic path while multi-byte characters that may have case
# start in fewer than 1 in this many bytes. Measured per XQuAD language:
# faster for es/de (~1 in 50), slower for ru/el (1 in 2 to 1 in 3); the exact
# crossover was not measured.
_MULTI_BYTE_SHARE = 5


class _Table(NamedTuple):
  """`case_table.case_table()` as tensors (~110 KB of constants).

  Made once, outside `map_case`'s `tf.cond`, so that the function holds one
  copy rather than one per branch.
  """
  offsets: tf.Tensor  # int32
  begins: tf.Tensor  # int32
  ends: tf.Tensor  # int32
  blob: tf.Tensor  # uint8


def _table() -> _Table:
  table = case_table.case_table()
  return _Table(tf.constant(table.offsets), tf.constant(table.begins),
                tf.constant(table.ends), tf.constant(table.blob_bytes))


def _ascii_case(data: tf.Tensor, upper: tf.Tensor) -> tf.Tensor:
  """ASCII letters upper- (where `upper`) or lowercased; other bytes kept.

  Bit 0x20 is an ASCII letter's case: set it on every letter, then clear it
  where `upper`. Arithmetic, not `tf.where`, which copies byte by byte.
  """
  folded = tf.bitwise.bitwise_or(data, tf.constant(0x20, tf.uint8))
  letter = tf.logical_and(folded >= tf.constant(ord("a"), tf.uint8),
                          folded <= tf.constant(ord("z"), tf.uint8))
  case_bit = tf.bitwise.left_shift(tf.cast(letter, tf.uint8),
                                   tf.constant(5, tf.uint8))
  upper_bit = case_bit * tf.cast(upper, tf.uint8)
  return tf.bitwise.bitwise_or(data, case_bit) - upper_bit


def cased_leads(data: tf.Tensor) -> tf.Tensor:
  """Offsets (int64) of the multi-byte characters that may have case.

  By first byte (`case_table.cased_lead_byte_ranges`); every other
  character has no case.
  """
  flags = None
  for low, high in case_table.cased_lead_byte_ranges():
    run = (tf.equal(data, tf.constant(low, tf.uint8)) if low == high else
           tf.logical_and(data >= tf.constant(low, tf.uint8),
                          data <= tf.constant(high, tf.uint8)))
    flags = run if flags is None else tf.logical_or(flags, run)
  return utf8_ops.where(flags)


def _code_points(data: tf.Tensor, leads: tf.Tensor
                 ) -> Tuple[tf.Tensor, tf.Tensor]:
  """Code points (int32) and byte lengths (int64) of the multi-byte UTF-8
  characters starting at offsets `leads` of valid UTF-8 `data`."""
  padded = tf.concat([data, tf.zeros([3], tf.uint8)], 0)
  b0, b1, b2, b3 = (tf.cast(utf8_ops.gather(padded, leads + i), tf.int32)
                    for i in range(4))
  tail = lambda b: tf.bitwise.bitwise_and(b, 0x3F)
  shift = tf.bitwise.left_shift
  two = tf.bitwise.bitwise_or(shift(tf.bitwise.bitwise_and(b0, 0x1F), 6),
                              tail(b1))
  three = tf.bitwise.bitwise_or(shift(tf.bitwise.bitwise_and(b0, 0x0F), 12),
                                tf.bitwise.bitwise_or(shift(tail(b1), 6),
                                                      tail(b2)))
  four = tf.bitwise.bitwise_or(
      shift(tf.bitwise.bitwise_and(b0, 0x07), 18),
      tf.bitwise.bitwise_or(shift(tail(b1), 12),
                            tf.bitwise.bitwise_or(shift(tail(b2), 6),
                                                  tail(b3))))
  code_points = tf.where(b0 < 0xE0, two, tf.where(b0 < 0xF0, three, four))
  return code_points, utf8_ops.character_lengths(data, leads)


def _case_mappings(code_points: tf.Tensor, upper: tf.Tensor, table: _Table
                   ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
  """Where each character's chosen mapping lies in `table.blob`, and whether
  it has case (-1 ranges otherwise)."""
  code_points = tf.minimum(code_points, case_table.MAX_CASED)
  entry = utf8_ops.gather(table.offsets,
                          tf.bitwise.right_shift(code_points,
                                                 case_table.BLOCK_BITS))
  row = 2 * (entry + code_points) + tf.cast(upper, tf.int32)
  mapped_begin = tf.cast(utf8_ops.gather(table.begins, row), tf.int64)
  mapped_end = tf.cast(utf8_ops.gather(table.ends, row), tf.int64)
  return mapped_begin, mapped_end, mapped_begin >= 0


def _map_case_by_bytes(batch, leads, upper, table):
  """`map_case` for text with few multi-byte cased characters: ASCII letters
  by byte arithmetic, each multi-byte character that may have case (at
  offsets `leads`, `cased_leads`) decoded from its bytes, all others kept."""
  data = batch.data
  ascii_cased = _ascii_case(data, upper)
  code_points, lengths = _code_points(data, leads)
  mapped_begin, mapped_end, cased = _case_mappings(
      code_points, utf8_ops.gather(upper, leads), table)
  # Pieces: the (ASCII-mapped) bytes up to each multi-byte character, then
  # its mapping, whose bytes follow the texts' in one buffer (or its own
  # bytes if it has no case); then the rest.
  size = tf.size(data, out_type=tf.int64)
  after = leads + lengths
  begin = utf8_ops.interleave(
      utf8_ops.with_zero(after),
      utf8_ops.then_zero(tf.where(cased, mapped_begin + size, leads)))
  end = utf8_ops.interleave(
      utf8_ops.with_end(leads, size),
      utf8_ops.then_zero(tf.where(cased, mapped_end + size, after)))
  return utf8_ops.gather_ranges(
      tf.concat([ascii_cased, table.blob], 0), begin, end)


def _map_case_decoded(batch, upper, table):
  """`map_case` for text with many multi-byte characters: one decode."""
  _, code_points, begins = tf.raw_ops.UnicodeDecodeWithOffsets(
      input=tf.reshape(batch.whole, [1]), input_encoding="UTF-8")
  size = tf.size(batch.data, out_type=tf.int64)
  ends = utf8_ops.with_end(begins[1:], size)
  mapped_begin, mapped_end, cased = _case_mappings(
      code_points, utf8_ops.gather(upper, begins), table)
  # The mappings' bytes follow the texts' in one buffer.
  data = tf.concat([batch.data, table.blob], 0)
  return utf8_ops.gather_ranges(data,
                                tf.where(cased, mapped_begin + size, begins),
                                tf.where(cased, mapped_end + size, ends))


def map_case(batch: text_batch.TextBatch, upper: tf.Tensor) -> tf.Tensor:
  """The batch's `whole` with each character upper- or lowercased.

  `upper` (bool, one per byte) says which, read at each character's first
  byte.
  """
  table = _table()
  leads = cased_leads(batch.data)
  few_leads = tf.size(leads) * _MULTI_BYTE_SHARE < tf.size(batch.data)
  return tf.cond(
      few_leads,
      lambda: _map_case_by_bytes(batch, leads, upper, table),
      lambda: _map_case_decoded(batch, upper, table))
