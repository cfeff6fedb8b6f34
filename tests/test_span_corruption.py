"""Tests for byte-level span corruption: lengths, reconstruction, statistics."""
import random

import numpy as np
import pytest
import seqio
import tensorflow as tf

from byt5_tasks import span_corruption as sc
from byt5_tasks import vocab

SENTINEL_START = 258  # Top id of seqio.ByteVocabulary: byte 0xFF.
OFFSET = 3  # seqio.ByteVocabulary: byte b has id b + 3.


def _ids(data: bytes):
  return [b + OFFSET for b in data]


def _docs_dataset(docs):
  flat = np.frombuffer(b"".join(docs), dtype=np.uint8).astype(np.int32)
  ids = tf.RaggedTensor.from_row_lengths(flat + OFFSET,
                                         [len(d) for d in docs])
  return tf.data.Dataset.from_tensor_slices({"targets": ids})


def _corrupt(docs, seed=1, inputs_length=1024, **kwargs):
  ds = _docs_dataset(docs)
  with seqio.map_seed_manager(seed):
    out = sc.span_corruption(ds, {"inputs": inputs_length},
                             vocab.byte_output_features(), **kwargs)
  return list(out.as_numpy_iterator())


def _reconstruct(inputs, targets):
  """Original ids from inputs and targets, sentinels interleaved.

  Valid only for data without bytes 0xF6-0xFF (ids of the first sentinels).
  """
  spans = _split_targets(targets, as_bytes=False)
  out = []
  expected = SENTINEL_START
  for token in inputs:
    if token == expected:
      out.extend(spans[SENTINEL_START - token])
      expected -= 1
    else:
      out.append(token)
  assert expected == SENTINEL_START - len(spans), "sentinel missing in inputs"
  return out


def _split_targets(targets, as_bytes=True):
  """Noise spans from a targets sequence (sentinels count down from 258)."""
  spans, expected = [], SENTINEL_START
  for token in targets:
    if token == expected:
      spans.append([])
      expected -= 1
    else:
      spans[-1].append(token - OFFSET if as_bytes else token)
  return spans


# --- Lengths -----------------------------------------------------------------


def test_byt5_and_t5_lengths():
  # ByT5: 1024 inputs, 189 targets (its released gin); T5: 512 -> 114.
  byt5 = sc.span_corruption_lengths(1024, 0.15, 20)
  assert (byt5.inputs_length, byt5.targets_length) == (1024, 189)
  assert sc.targets_length_for(1024, 0.15, 20) == 189
  assert sc.targets_length_for(512, 0.15, 3) == 114


@pytest.mark.parametrize("density,span", [(0.15, 20), (0.15, 3), (0.3, 8)])
def test_inputs_length_for_inverts_targets_length_for(density, span):
  for targets_length in range(20, 400, 7):
    inputs_length = sc.inputs_length_for(targets_length, density, span)
    assert sc.targets_length_for(inputs_length, density, span) <= (
        targets_length)
    assert sc.targets_length_for(inputs_length + 1, density, span) > (
        targets_length)


def test_chunk_is_the_longest_that_fits():
  lengths = sc.span_corruption_lengths(1024)
  noise = round(lengths.tokens_length * 0.15)
  spans = round(noise / 20)
  assert lengths.tokens_length - noise + spans + 1 <= 1024
  longer = lengths.tokens_length + 1
  noise = round(longer * 0.15)
  assert longer - noise + round(noise / 20) + 1 > 1024


def test_bad_settings_are_rejected():
  with pytest.raises(ValueError, match="noise_density"):
    sc.span_corruption_lengths(1024, noise_density=0.0)
  with pytest.raises(ValueError, match="mean_noise_span_length"):
    sc.span_corruption_lengths(1024, mean_noise_span_length=0.5)
  with pytest.raises(ValueError, match="need 189"):
    sc.span_corruption(
        _docs_dataset([b"abc"]), {"inputs": 1024, "targets": 100},
        vocab.byte_output_features())


# --- Reconstruction and chunking ---------------------------------------------


def _text_docs(count, seed=0):
  rng = random.Random(seed)
  words = ["byte", "Wörter", "λέξη", "слово", "शब्द", "単語", "🙂", "x"]
  return [" ".join(rng.choice(words) for _ in range(rng.randint(0, 900)))
          .encode("utf-8") for _ in range(count)]


def test_pipeline_reconstructs_every_byte_in_order():
  docs = _text_docs(40)
  examples = _corrupt(docs, docs_per_group=16)
  rebuilt = []
  for ex in examples:
    rebuilt.extend(_reconstruct(ex["inputs"], ex["targets"]))
  assert rebuilt == _ids(b"".join(docs))


def test_long_documents_are_chunked_not_truncated():
  long_doc = bytes(range(32, 127)) * 200  # 19,000 bytes: 15+ chunks.
  examples = _corrupt([long_doc])
  assert len(examples) == -(-len(long_doc) // 1193)
  rebuilt = [t for ex in examples
             for t in _reconstruct(ex["inputs"], ex["targets"])]
  assert rebuilt == _ids(long_doc)


def test_chunking_counts_balance_and_count_dropped_tails():
  docs = _text_docs(50, seed=3)
  total = sum(len(d) for d in docs)
  kept_all = sc.chunking_counts(_docs_dataset(docs), 1193, docs_per_group=8)
  assert kept_all["documents"] == 50
  assert kept_all["bytes_read"] == kept_all["bytes_emitted"] == total
  assert kept_all["tails_dropped"] == 0
  drop = sc.chunking_counts(_docs_dataset(docs), 1193, docs_per_group=8,
                            min_tail_length=1000)
  assert drop["bytes_read"] == total
  assert drop["bytes_emitted"] + drop["tail_bytes_dropped"] == total
  assert drop["tails_dropped"] > 0
  # The chunks that span_corruption emits are exactly the counted ones.
  examples = _corrupt(docs, docs_per_group=8, min_tail_length=1000)
  assert len(examples) == drop["chunks"]
  emitted = sum(len(_reconstruct(e["inputs"], e["targets"]))
                for e in examples)
  assert emitted == drop["bytes_emitted"]


def test_lengths_never_exceed_1024_and_189():
  docs = _text_docs(30, seed=5)
  for align in (False, True):
    for ex in _corrupt(docs, align_to_characters=align):
      assert len(ex["inputs"]) <= 1023 and len(ex["targets"]) <= 188


# --- Statistics --------------------------------------------------------------


def _stats(examples):
  noise = total = 0
  spans = []
  for ex in examples:
    lengths = [len(x) for x in _split_targets(ex["targets"])]
    spans.extend(lengths)
    noise += sum(lengths)
    total += len(ex["inputs"]) - len(lengths) + sum(lengths)
  return noise / total, float(np.mean(spans)), spans


@pytest.mark.parametrize("align", [False, True])
def test_noise_density_and_mean_span_match_settings(align):
  docs = _text_docs(150, seed=11)
  examples = _corrupt(docs, seed=7, align_to_characters=align)
  assert len(examples) > 150
  density, mean_span, spans = _stats(examples)
  assert abs(density - 0.15) <= 0.01
  assert abs(mean_span - 20) <= 1
  # Spans are random, not all equal (uniform random compositions).
  assert np.std(spans) > 5


def test_other_settings_are_honoured():
  docs = _text_docs(200, seed=2)
  examples = _corrupt(docs, noise_density=0.3, mean_noise_span_length=5,
                      inputs_length=512)
  density, mean_span, _ = _stats(examples)
  assert abs(density - 0.3) <= 0.01
  assert abs(mean_span - 5) <= 1


def test_spans_start_anywhere_in_the_chunk():
  rows = 400
  mask = sc.noise_mask(tf.fill([rows], 1193), tf.constant([3, 4])).numpy()
  first_noise = mask.argmax(axis=1)
  assert first_noise.min() < 100 and first_noise.max() > 300
  # Away from the ends (a chunk starts with non-noise and ends with noise,
  # as in T5) every position is noised with about the noise density.
  per_position = mask[:, 100:900].mean(axis=0)
  assert per_position.min() > 0.05 and per_position.max() < 0.3


def test_aligned_spans_never_cut_a_character():
  docs = _text_docs(60, seed=9)
  for ex in _corrupt(docs, align_to_characters=True):
    for span in _split_targets(ex["targets"]):
      bytes(span).decode("utf-8")  # Raises if a character was cut.


def test_unaligned_spans_do_cut_characters():
  # The documented difference: ByT5's byte-level spans split characters.
  docs = [("λέξη слово शब्द 単語 " * 200).encode("utf-8")] * 5
  cut = 0
  for ex in _corrupt(docs):
    for span in _split_targets(ex["targets"]):
      try:
        bytes(span).decode("utf-8")
      except UnicodeDecodeError:
        cut += 1
  assert cut > 0


# --- Determinism and odd input -----------------------------------------------


def test_deterministic_given_seed():
  docs = _text_docs(20, seed=4)
  first = _corrupt(docs, seed=5)
  again = _corrupt(docs, seed=5)
  other = _corrupt(docs, seed=6)
  assert all(np.array_equal(a["inputs"], b["inputs"]) and
             np.array_equal(a["targets"], b["targets"])
             for a, b in zip(first, again))
  assert any(not np.array_equal(a["inputs"], b["inputs"])
             for a, b in zip(first, other))


@pytest.mark.parametrize("align", [False, True])
def test_any_bytes_including_invalid_utf8_and_empty(align):
  rng = np.random.default_rng(0)
  # Bytes below 0xF6, so no data byte looks like one of the first sentinels
  # and the original can be rebuilt.
  docs = [b"", b"\x80", b"\xc3", b"\xc3\x28\xa0", b"a"] + [
      bytes(rng.integers(0, 0xF6, size=n, dtype=np.uint8))
      for n in (1, 2, 3, 50, 1192, 1193, 1194, 5000)] + [b""]
  examples = _corrupt(docs, docs_per_group=4, align_to_characters=align)
  rebuilt = []
  for ex in examples:
    assert len(ex["inputs"]) <= 1023 and len(ex["targets"]) <= 188
    rebuilt.extend(_reconstruct(ex["inputs"], ex["targets"]))
  assert rebuilt == _ids(b"".join(docs))
  # Sentinel-valued bytes (0xF6-0xFF) are data like any other: no crash.
  top_bytes = [bytes(range(0xF6, 0x100)) * 300, b"\xff"]
  for ex in _corrupt(top_bytes, align_to_characters=align):
    assert len(ex["inputs"]) <= 1023 and len(ex["targets"]) <= 188


def test_all_empty_documents_give_no_examples():
  assert not _corrupt([b"", b"", b""])


def test_single_bytes_are_kept_unnoised():
  examples = _corrupt([b"q"], docs_per_group=1)
  assert [list(e["inputs"]) for e in examples] == [_ids(b"q")]
  assert [list(e["targets"]) for e in examples] == [[]]
