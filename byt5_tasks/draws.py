"""Counter-based random draws for the noise schemes: SplitMix64 in TF ops.

A noise scheme needs one draw per character of many texts at once, each
text under its own seed, so that a text's noise does not depend on which
batch it arrives in. TensorFlow's stateless random ops take one seed per
call; a counter-based generator built from integer ops takes one key per
draw instead: the output for key `k` is SplitMix64's output function applied
to `k * GAMMA` (a text with seed `s` gets keys `s, s + 1, ...`, i.e. the
outputs of a SplitMix64 generator started at state `(s - 1) * GAMMA`).
SplitMix64 passes BigCrush; the output function is a bijection of 64-bit
integers, so distinct keys never collide.

Each 64-bit output gives two 32-bit draws (`byte_bits`: its low half for an
even byte offset of a text, its high half for the odd one after it), so a
text's per-byte draws cost one output per two bytes. Draws are compared with
integer thresholds (`threshold`): exact, and no float conversion per byte.
"""
import sys
from typing import List

import tensorflow as tf

GAMMA = 0x9E3779B97F4A7C15
_MIX_1 = 0xBF58476D1CE4E5B9
_MIX_2 = 0x94D049BB133111EB
# Keys are a text's seed plus a byte offset; seeds keep 62 bits so that the
# sum stays a non-negative int64.
SEED_MASK = 2**62 - 1
ONE = 2**32  # Draws lie in [0, ONE).


def _uint64(value: int) -> tf.Tensor:
  return tf.constant(value, tf.uint64)


def _xor_shift(z: tf.Tensor, shift: int) -> tf.Tensor:
  return tf.bitwise.bitwise_xor(z, tf.bitwise.right_shift(z, _uint64(shift)))


def _output(keys: tf.Tensor, stream=0) -> tf.Tensor:
  """SplitMix64's 64-bit outputs (uint64) for int64 `keys` of any shape."""
  z = tf.bitcast(keys, tf.uint64) * _uint64(GAMMA)
  if isinstance(stream, tf.Tensor):
    z = z + tf.cast(stream, tf.uint64)
  elif stream:
    z = z + _uint64(stream)
  z = _xor_shift(z, 30) * _uint64(_MIX_1)
  z = _xor_shift(z, 27) * _uint64(_MIX_2)
  return _xor_shift(z, 31)


def bits(keys: tf.Tensor, stream=0) -> tf.Tensor:
  """32-bit draws (uint64 in [0, 2**32)) for int64 `keys` of any shape.

  `stream` (a small int, or int64 tensor like `keys`) gives an independent
  draw for the same key: the top half of the output at `k * GAMMA + stream`.
  """
  return tf.bitwise.right_shift(_output(keys, stream), _uint64(32))


def byte_bits(pair_keys: tf.Tensor) -> tf.Tensor:
  """Two 32-bit draws (uint32 [2n]) per int64 key of `pair_keys` [n].

  Draw 2i is the low half of key i's output, draw 2i + 1 its high half.
  """
  halves = tf.reshape(tf.bitcast(_output(pair_keys), tf.uint32), [-1, 2])
  if sys.byteorder == "big":  # bitcast gives the high half first.
    halves = tf.reverse(halves, [1])
  return tf.reshape(halves, [-1])


def threshold(rate: float) -> int:
  """The integer a draw must stay below to happen with probability `rate`."""
  return min(round(rate * ONE), ONE)


def happens(draws: tf.Tensor, rate: float) -> tf.Tensor:
  """Whether each 32-bit draw (uint32 or uint64) is below `threshold(rate)`:
  probability `rate`."""
  limit = threshold(rate)
  if limit >= ONE:  # Not representable as a uint32; every draw is below.
    return tf.ones(tf.shape(draws), tf.bool)
  return draws < tf.constant(limit, draws.dtype)


def bucket(draws: tf.Tensor, rate: float, buckets: int) -> tf.Tensor:
  """For draws below `threshold(rate)`: which of `buckets` equal parts.

  A draw conditioned on being below the threshold is uniform below it, so
  this reuses the selection draw instead of spending a second one. Returns
  int64 in [0, buckets).
  """
  limit = max(threshold(rate), 1)
  part = tf.cast(draws, tf.uint64) * _uint64(buckets) // _uint64(limit)
  return tf.cast(tf.minimum(part, _uint64(buckets - 1)), tf.int64)


def bucket_starts(rate: float, buckets: int) -> List[int]:
  """The smallest draw in each part of `bucket`, for comparing instead.

  `bucket(u, rate, buckets) >= m` exactly when `u >= bucket_starts(rate,
  buckets)[m]`: one comparison per draw instead of a 64-bit product and
  division.
  """
  limit = max(threshold(rate), 1)
  return [-(-m * limit // buckets) for m in range(buckets)]


def below(draws: tf.Tensor, count: tf.Tensor) -> tf.Tensor:
  """Uniform int64 indices in [0, count) from 32-bit draws (count < 2**31)."""
  return tf.bitwise.right_shift(
      tf.cast(draws, tf.int64) * tf.cast(count, tf.int64),
      tf.constant(32, tf.int64))
