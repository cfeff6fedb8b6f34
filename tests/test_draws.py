"""Tests for byt5_tasks.draws: SplitMix64 in TF ops against plain Python."""
import collections

import numpy as np
import pytest
import tensorflow as tf

from byt5_tasks import draws
from draw_reference import byte_draw
from draw_reference import splitmix64_bits

def test_splitmix64_reference_matches_the_published_generator():
  # SplitMix64 seeded with 0 (Steele et al.; Vigna's splitmix64.c) first
  # outputs 0xE220A8397B1DCDAF: its state after one step is GAMMA, i.e. key 1.
  assert splitmix64_bits(1) == 0xE220A8397B1DCDAF >> 32


@pytest.mark.parametrize("stream", [0, 1, 7])
def test_bits_match_python(stream):
  keys = [0, 1, 2, 12345, draws.SEED_MASK, draws.SEED_MASK - 3, 2**40 + 17]
  got = draws.bits(tf.constant(keys, tf.int64), stream).numpy()
  assert got.dtype == np.uint64
  assert [int(b) for b in got] == [splitmix64_bits(k, stream) for k in keys]


def test_byte_bits_are_both_halves_of_each_output():
  keys = [0, 1, 12345, draws.SEED_MASK, 2**40 + 17]
  got = draws.byte_bits(tf.constant(keys, tf.int64)).numpy()
  assert got.dtype == np.uint32
  assert [int(b) for b in got] == [
      byte_draw(k, offset) for k in keys for offset in (0, 1)]
  # A text's draws: byte offset b of seed s is draw b % 2 of key s + b // 2.
  assert byte_draw(7, 5) == int(draws.byte_bits(tf.constant([9], tf.int64))[1])


def test_byte_bits_are_uniform_over_consecutive_keys():
  got = draws.byte_bits(tf.range(50_000, dtype=tf.int64) + 987654321).numpy()
  counts = collections.Counter((got.astype(np.uint64) * 16 >> 32).tolist())
  assert set(counts) == set(range(16))
  assert all(abs(c - 6250) < 400 for c in counts.values())  # ~5 sigma.
  # The two halves of an output are uncorrelated.
  low, high = got[0::2].astype(float), got[1::2].astype(float)
  assert abs(np.corrcoef(low, high)[0, 1]) < 0.03


def test_bits_are_uniform_over_consecutive_keys():
  got = draws.bits(tf.range(100_000, dtype=tf.int64) + 987654321).numpy()
  assert got.max() < draws.ONE
  counts = collections.Counter((got * 16 // draws.ONE).tolist())
  assert set(counts) == set(range(16))
  assert all(abs(c - 6250) < 400 for c in counts.values())  # ~5 sigma.


def test_threshold():
  assert draws.threshold(0.0) == 0
  assert draws.threshold(1.0) == draws.ONE
  assert draws.threshold(0.5) == 2**31
  assert draws.threshold(0.1) == round(0.1 * 2**32)


def test_bucket_splits_the_selected_draws_evenly():
  rate = 0.3
  limit = draws.threshold(rate)
  u = tf.constant(np.linspace(0, limit - 1, 3000).astype(np.uint64))
  parts = draws.bucket(u, rate, 3).numpy()
  assert parts.min() == 0 and parts.max() == 2
  assert collections.Counter(parts.tolist()) == {0: 1000, 1: 1000, 2: 1000}


@pytest.mark.parametrize("rate,buckets", [(0.2, 3), (0.3, 4), (1.0, 3),
                                          (0.0, 2), (1e-9, 5)])
def test_bucket_starts_are_where_each_part_begins(rate, buckets):
  limit = max(draws.threshold(rate), 1)
  rng = np.random.default_rng(0)
  u = np.concatenate([rng.integers(0, limit, 5000), np.arange(min(limit, 64)),
                      limit - 1 - np.arange(min(limit, 64))]).astype(np.uint64)
  starts = draws.bucket_starts(rate, buckets)
  parts = draws.bucket(tf.constant(u), rate, buckets).numpy()
  for m in range(buckets):
    assert ((parts >= m) == (u >= starts[m])).all()
  # Every part holds the draws from its start on, so each start is a draw
  # of that part unless the part is empty.
  for m, start in enumerate(starts):
    if start < limit:
      assert draws.bucket(tf.constant([start], tf.uint64), rate,
                          buckets).numpy()[0] >= m


def test_below_stays_in_range_and_covers_it():
  u = tf.constant(np.arange(0, draws.ONE, 2**20, dtype=np.uint64))
  for count in (1, 3, 1000):
    got = draws.below(u, tf.constant(count, tf.int64)).numpy()
    assert got.min() == 0 and got.max() == count - 1


@pytest.mark.parametrize("dtype", [tf.uint32, tf.uint64])
def test_happens_below_the_threshold_only(dtype):
  limit = draws.threshold(0.25)
  u = tf.constant([0, limit - 1, limit, draws.ONE - 1], dtype)
  assert draws.happens(u, 0.25).numpy().tolist() == [True, True, False, False]
  assert draws.happens(u, 1.0).numpy().all()
  assert not draws.happens(u, 0.0).numpy().any()
