"""Per-character case mapping of a text batch, as TF ops.

Every case scheme maps characters here: `random_case` upper- or lowercases
each character on its own, `uppercase` and `antspeak` uppercase them all
(`upper_case`). Each character's output comes from `case_table` by its code
point (a mapping may have another length: "ß" -> "SS"; caseless characters
keep their bytes): Unicode's default mapping, the same on every machine.
ICU's `tf.strings.upper` is not used because it follows the process's
locale (LANG, LC_ALL): under tr_TR it uppercases "i" to "İ", under el_GR it
drops Greek accents, so the "same" noise would differ between machines.
Equivalent implementations (tested against each other) cost very
differently by script; `map_case` picks per batch (`tf.cond`):
- few multi-byte characters that may have case (found by their first byte;
  never Arabic, Devanagari, Thai or CJK): ASCII letters byte-wise, and
  those characters decoded one by one and spliced in;
- many (Greek, Cyrillic): one table lookup per byte, by the byte and the
  next one, maps ASCII and every 2-byte character whose mapping is 2 bytes
  in place; only the rare others are decoded and spliced in;
and splices as string pieces where the spliced characters are very few,
else by one byte gather.
Decoding every character instead costs ~2x the whole clean eval pipeline.
"""
from typing import Callable, NamedTuple, Tuple

import tensorflow as tf

from byt5_tasks import case_table
from byt5_tasks import text_batch
from byt5_tasks import utf8_ops

# Which implementation a batch takes, by how many of its bytes begin a
# multi-byte character that may have case (XQuAD: 1 in ~3,000 for ar/hi/th,
# ~50 es/zh, ~70 de, ~24 ro, ~14 tr, ~7 vi, 2 ru/el). Up to 1 in
# _MULTI_BYTE_SHARE they are decoded and spliced; beyond, 2-byte characters
# are mapped in place and only the rest spliced. Where fewer than 1 in
# _FEW_LEADS bytes begin a spliced character, the pieces between them are
# joined as strings (~50 ns a piece) rather than gathered byte by byte
# (~3.5 ns a byte). Crossovers estimated from those per-op costs.
_FEW_LEADS = 40
_MULTI_BYTE_SHARE = 5


class _Table(NamedTuple):
  """The `case_table` tables as tensors (~620 KB of constants).

  Made once, outside `map_case`'s branches, so that the function holds one
  copy rather than one per branch.
  """
  offsets: tf.Tensor  # int32
  begins: tf.Tensor  # int32
  ends: tf.Tensor  # int32
  blob: tf.Tensor  # uint8
  blob_text: tf.Tensor  # The same bytes as a scalar string.
  pairs: tf.Tensor  # int32: `case_table.byte_pair_mappings()`.


def _table() -> _Table:
  table = case_table.case_table()
  return _Table(tf.constant(table.offsets), tf.constant(table.begins),
                tf.constant(table.ends), tf.constant(table.blob_bytes),
                tf.constant(table.blob),
                tf.constant(case_table.byte_pair_mappings()))


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


def cased_lead_flags(data: tf.Tensor) -> tf.Tensor:
  """Whether each byte begins a multi-byte character that may have case.

  By first byte (`case_table.cased_lead_byte_ranges`); every other
  character has no case.
  """
  flags = None
  for low, high in case_table.cased_lead_byte_ranges():
    run = (tf.equal(data, tf.constant(low, tf.uint8)) if low == high else
           tf.logical_and(data >= tf.constant(low, tf.uint8),
                          data <= tf.constant(high, tf.uint8)))
    flags = run if flags is None else tf.logical_or(flags, run)
  return flags


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


def _splice(data, mapped, leads, upper, table, few):
  """`mapped` (bytes of the same length as `data`) with the characters of
  `data` starting at offsets `leads` replaced by their own case mappings.

  Each is decoded from `data`; its mapping's bytes follow the texts' in one
  buffer (a character without case keeps its own bytes). `few` (a scalar
  bool tensor): the leads are few, so the pieces between them are long and
  cheaper to join as strings than to gather byte by byte.
  """
  code_points, lengths = _code_points(data, leads)
  mapped_begin, mapped_end, cased = _case_mappings(
      code_points, utf8_ops.gather(upper, leads), table)
  # Pieces: the bytes up to each character, then its mapping; then the rest.
  size = tf.size(data, out_type=tf.int64)
  after = leads + lengths
  begin = utf8_ops.interleave(
      utf8_ops.with_zero(after),
      utf8_ops.then_zero(tf.where(cased, mapped_begin + size, leads)))
  end = utf8_ops.interleave(
      utf8_ops.with_end(leads, size),
      utf8_ops.then_zero(tf.where(cased, mapped_end + size, after)))

  def join():
    source = tf.strings.join([utf8_ops.bytes_to_string(mapped),
                              table.blob_text])
    return utf8_ops.join_pieces(source, begin, end)

  def gather():
    return utf8_ops.gather_ranges(tf.concat([mapped, table.blob], 0), begin,
                                  end)

  return tf.cond(few, join, gather)


def _following(values: tf.Tensor) -> tf.Tensor:
  """Each position's next value (0 after the last)."""
  return tf.concat([values[1:], tf.zeros([1], values.dtype)], 0)


def _previous(values: tf.Tensor) -> tf.Tensor:
  """Each position's previous value (0 before the first)."""
  return tf.concat([tf.zeros([1], values.dtype), values[:-1]], 0)


def _mapped_by_pairs(data, upper, table):
  """For text with many multi-byte cased characters (Greek, Cyrillic): one
  lookup per byte in `case_table.byte_pair_mappings`, by the byte and the
  next one, maps ASCII and every 2-byte character whose mapping is 2 bytes
  in place, with no decode. Returns those bytes and the offsets of the few
  others (3- and 4-byte cased characters, mappings of another length), which
  are to be spliced in."""
  as_int = tf.cast(data, tf.int32)
  # Products, not shifts: TensorFlow's shifts check their amounts element by
  # element.
  key = (as_int * 256 + _following(as_int)
         + tf.cast(upper, tf.int32) * 65536)
  entry = utf8_ops.gather(table.pairs, key)
  # In uint8 arithmetic (mod 256): each byte's new value, plus the carry a
  # 2-byte character's lead hands its second byte.
  first = tf.cast(tf.bitwise.bitwise_and(entry, 0xFF), tf.uint8)
  carry = tf.cast(tf.bitwise.bitwise_and(
      tf.bitwise.right_shift(entry, case_table.PAIR_CARRY_SHIFT), 0xFF),
                  tf.uint8)
  return (first + _previous(carry),
          utf8_ops.where(entry >= case_table.PAIR_SPLICE))


def _map_case(batch: text_batch.TextBatch, upper: tf.Tensor,
              ascii_mapped: Callable[[], tf.Tensor]) -> tf.Tensor:
  """`map_case`, given how to map ASCII (the bytes of `batch.data` with
  ASCII letters mapped, used where few characters are multi-byte).

  Two small branches (how bytes are mapped in place; how the pieces are
  assembled) around one splice: tf.data instantiates every branch of a
  function at each iterator, at ~10 µs per node.
  """
  table = _table()
  data = batch.data
  leads = utf8_ops.where(cased_lead_flags(data))
  size = tf.size(data)
  mapped, splice_at = tf.cond(
      tf.size(leads) * _MULTI_BYTE_SHARE < size,
      lambda: (ascii_mapped(), leads),
      lambda: _mapped_by_pairs(data, upper, table))
  return _splice(data, mapped, splice_at, upper, table,
                 tf.size(splice_at) * _FEW_LEADS < size)


def map_case(batch: text_batch.TextBatch, upper: tf.Tensor) -> tf.Tensor:
  """The batch's `whole` with each character upper- or lowercased.

  `upper` (bool, one per byte) says which, read at each character's first
  byte.
  """
  return _map_case(batch, upper, lambda: _ascii_case(batch.data, upper))


def upper_case(batch: text_batch.TextBatch) -> tf.Tensor:
  """The batch's `whole` with every character uppercased (see module doc)."""
  # Without an encoding, tf.strings.upper maps ASCII letters only
  # (absl::AsciiStrToUpper): no locale, and cheaper than the arithmetic.
  return _map_case(batch, tf.ones(tf.shape(batch.data), tf.bool),
                   lambda: utf8_ops.to_bytes(tf.strings.upper(batch.whole)))
