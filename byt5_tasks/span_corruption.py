"""Byte-level span corruption: T5's pretraining objective as ByT5 uses it.

SeqIO has no span corruption and the `t5` package cannot be installed next to
our SeqIO, so this is our own implementation of the objective:

* Documents are concatenated (groups of `docs_per_group`, as T5 does) and cut
  into chunks of `tokens_length` bytes. Long documents are therefore split,
  never truncated; only a group's last, shorter chunk (its tail) can be
  dropped, and only if `min_tail_length` asks for it. `chunking_counts` runs
  the very same chunking and returns bytes read, emitted and dropped.
* Each chunk gets a noise mask of random spans (density 0.15, mean span 20
  bytes by default): span lengths are uniformly random compositions of the
  noise and non-noise byte counts, interleaved starting with non-noise.
* Inputs keep the non-noise bytes and put a sentinel where each noise span
  was; targets list each sentinel followed by the span it hides. Sentinels
  count down from the top id of the vocabulary (258 = byte 0xFF for
  `seqio.ByteVocabulary`), as ByT5 does.

Everything runs as vectorized TF ops over a whole group of chunks at once
(one `tf.data` map call per group, not per example): that is where the speed
over a per-example implementation comes from.

`align_to_characters=True` moves span boundaries to UTF-8 character starts
(see `align_boundaries_to_characters`); it is off by default because ByT5 cuts
spans at arbitrary bytes.
"""
import dataclasses
import functools
from typing import Callable, Mapping, Optional, Tuple

import seqio
import tensorflow as tf

DEFAULT_NOISE_DENSITY = 0.15
DEFAULT_MEAN_NOISE_SPAN_LENGTH = 20.0  # ByT5 (T5 used 3 tokens).
DEFAULT_DOCS_PER_GROUP = 128  # T5's reduce_concat_tokens batch size.
# Aligned mode moves each boundary by at most 3 bytes and keeps the running
# change in noise bytes within +-3 (see align_boundaries_to_characters); this
# many bytes are kept free in both inputs and targets for it.
ALIGNMENT_SLACK = 4
# Number of special ids before byte 0 in seqio.ByteVocabulary (pad, eos, unk).
_BYTE_ID_OFFSET = 3


@dataclasses.dataclass(frozen=True)
class SpanCorruptionLengths:
  """Chunk length before noising and the feature lengths it produces.

  `inputs_length` and `targets_length` count the EOS that seqio appends.
  """
  tokens_length: int
  inputs_length: int
  targets_length: int


def _noise_counts(tokens_length: int, noise_density: float,
                  mean_noise_span_length: float) -> Tuple[int, int]:
  """Noise tokens and spans for a chunk; the same rule as `noise_mask`."""
  length = max(tokens_length, 2)
  num_noise = min(max(int(round(length * noise_density)), 1), length - 1)
  num_spans = max(int(round(num_noise / mean_noise_span_length)), 1)
  num_spans = min(num_spans, num_noise, length - num_noise)
  return num_noise, num_spans


def _feature_lengths(tokens_length: int, noise_density: float,
                     mean_noise_span_length: float) -> Tuple[int, int]:
  """(inputs, targets) lengths, EOS included, of a chunk of that length."""
  num_noise, num_spans = _noise_counts(tokens_length, noise_density,
                                       mean_noise_span_length)
  return (tokens_length - num_noise + num_spans + 1,
          num_noise + num_spans + 1)


def _lengths_fn(noise_density: float, mean_noise_span_length: float
                ) -> Callable[[int], Tuple[int, int]]:
  """Validated settings -> (tokens_length -> (inputs, targets) lengths)."""
  if not 0.0 < noise_density < 1.0:
    raise ValueError(f"noise_density must be in (0, 1), got {noise_density}")
  if mean_noise_span_length < 1.0:
    raise ValueError("mean_noise_span_length must be >= 1, got "
                     f"{mean_noise_span_length}")
  return functools.partial(_feature_lengths, noise_density=noise_density,
                           mean_noise_span_length=mean_noise_span_length)


def _longest_chunk(lengths: Callable[[int], Tuple[int, int]], feature: int,
                   limit: int) -> int:
  """The longest chunk (>= 1) whose inputs (0) or targets (1) fit `limit`.

  Lengths grow with the chunk, so the first chunk that does not fit ends the
  search.
  """
  tokens_length = 1
  while lengths(tokens_length + 1)[feature] <= limit:
    tokens_length += 1
  return tokens_length


def span_corruption_lengths(
    inputs_length: int,
    noise_density: float = DEFAULT_NOISE_DENSITY,
    mean_noise_span_length: float = DEFAULT_MEAN_NOISE_SPAN_LENGTH,
    align_to_characters: bool = False,
) -> SpanCorruptionLengths:
  """The longest chunk whose corrupted inputs fit `inputs_length`.

  For ByT5's settings, 1024 inputs take chunks of 1193 bytes and give 189
  targets. With `align_to_characters`, `ALIGNMENT_SLACK` bytes are kept free
  in inputs and targets (the targets limit stays the unaligned one), so chunks
  are a few bytes shorter.
  """
  lengths = _lengths_fn(noise_density, mean_noise_span_length)
  if inputs_length < 2:
    raise ValueError(f"inputs_length must be >= 2, got {inputs_length}")
  tokens_length = _longest_chunk(lengths, 0, inputs_length)
  targets_length = lengths(tokens_length)[1]
  if align_to_characters:
    while tokens_length > 1 and (
        lengths(tokens_length)[0] + ALIGNMENT_SLACK > inputs_length or
        lengths(tokens_length)[1] + ALIGNMENT_SLACK > targets_length):
      tokens_length -= 1
  return SpanCorruptionLengths(tokens_length, inputs_length, targets_length)


def targets_length_for(
    inputs_length: int,
    noise_density: float = DEFAULT_NOISE_DENSITY,
    mean_noise_span_length: float = DEFAULT_MEAN_NOISE_SPAN_LENGTH) -> int:
  """Targets length (with EOS) that goes with `inputs_length` (1024 -> 189)."""
  return span_corruption_lengths(inputs_length, noise_density,
                                 mean_noise_span_length).targets_length


def inputs_length_for(
    targets_length: int,
    noise_density: float = DEFAULT_NOISE_DENSITY,
    mean_noise_span_length: float = DEFAULT_MEAN_NOISE_SPAN_LENGTH) -> int:
  """The inverse: the longest inputs length whose targets fit.

  That is the largest L with `targets_length_for(L) <= targets_length`
  (189 -> 1026: inputs of 1024 to 1026 bytes all need 189 targets).
  """
  lengths = _lengths_fn(noise_density, mean_noise_span_length)
  if targets_length < 2:
    raise ValueError(f"targets_length must be >= 2, got {targets_length}")
  # The longest chunk whose targets fit; one byte more is the first chunk
  # that must not be chosen, so inputs stop just short of its length.
  tokens_length = _longest_chunk(lengths, 1, targets_length)
  return lengths(tokens_length + 1)[0] - 1


# ---------------------------------------------------------------------------
# Noise mask, vectorized over rows of different lengths.


def _random_compositions(totals: tf.Tensor, parts: tf.Tensor,
                         max_parts: tf.Tensor, width: tf.Tensor,
                         seed: tf.Tensor) -> tf.Tensor:
  """Uniform random split of each `totals[r]` into `parts[r]` positive parts.

  Picks `parts - 1` distinct cut points among positions 1..total-1 (the
  smallest random keys win). Returns [rows, max_parts]; rows with fewer parts
  have trailing zeros.
  """
  rows = tf.shape(totals)[0]
  positions = tf.range(width)[tf.newaxis, :]
  candidate = (positions >= 1) & (positions < totals[:, tf.newaxis])
  keys = tf.random.stateless_uniform([rows, width], seed=seed)
  keys = tf.where(candidate, keys, 2.0)
  num_cuts = max_parts - 1
  _, cut_positions = tf.math.top_k(-keys, k=num_cuts, sorted=False)
  wanted = tf.range(num_cuts)[tf.newaxis, :] < (parts - 1)[:, tf.newaxis]
  cut_positions = tf.where(wanted, cut_positions, totals[:, tf.newaxis])
  bounds = tf.concat([
      tf.zeros([rows, 1], tf.int32),
      tf.sort(cut_positions, axis=1),
      totals[:, tf.newaxis]], axis=1)
  return bounds[:, 1:] - bounds[:, :-1]


def _span_boundaries(lengths: tf.Tensor, noise_density: float,
                     mean_noise_span_length: float,
                     seed: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
  """Span boundary positions [rows, 2 * max_spans - 1] and the row widths.

  Boundary 2j is where noise span j starts, 2j+1 where it ends. Rows shorter
  than 2 are treated as length 2 (so a lone byte stays un-noised, as in T5).
  """
  padded = tf.maximum(lengths, 2)
  length_f = tf.cast(padded, tf.float64)
  num_noise = tf.cast(tf.round(length_f * noise_density), tf.int32)
  num_noise = tf.minimum(tf.maximum(num_noise, 1), padded - 1)
  num_spans = tf.cast(
      tf.round(tf.cast(num_noise, tf.float64) / mean_noise_span_length),
      tf.int32)
  num_spans = tf.maximum(num_spans, 1)
  num_spans = tf.minimum(num_spans, tf.minimum(num_noise, padded - num_noise))
  # max(..., 1) and max(..., 2) keep an empty group of rows well-defined.
  max_spans = tf.maximum(tf.reduce_max(num_spans), 1)
  width = tf.maximum(tf.reduce_max(padded), 2)
  seeds = tf.random.experimental.stateless_split(seed, 2)
  noise_lengths = _random_compositions(num_noise, num_spans, max_spans,
                                       width, seeds[0])
  nonnoise_lengths = _random_compositions(padded - num_noise, num_spans,
                                          max_spans, width, seeds[1])
  interleaved = tf.reshape(
      tf.stack([nonnoise_lengths, noise_lengths], axis=2),
      [tf.shape(lengths)[0], 2 * max_spans])
  boundaries = tf.cumsum(interleaved, axis=1)[:, :-1]
  return boundaries, width


def _mask_from_boundaries(boundaries: tf.Tensor, lengths: tf.Tensor,
                          width: tf.Tensor) -> tf.Tensor:
  """Noise mask [rows, width]: a position is noise after an odd number of
  boundaries. Coinciding boundaries (empty spans) cancel out."""
  rows = tf.shape(boundaries)[0]
  flat_positions = (boundaries +
                    tf.range(rows)[:, tf.newaxis] * (width + 1))
  flat_positions = tf.reshape(flat_positions, [-1])
  indicator = tf.math.unsorted_segment_sum(
      tf.ones_like(flat_positions), flat_positions, rows * (width + 1))
  indicator = tf.reshape(indicator, [rows, width + 1])[:, :width]
  is_noise = tf.math.floormod(tf.cumsum(indicator, axis=1), 2) == 1
  return is_noise & (tf.range(width)[tf.newaxis, :] < lengths[:, tf.newaxis])


def noise_mask(lengths: tf.Tensor,
               seed: tf.Tensor,
               noise_density: float = DEFAULT_NOISE_DENSITY,
               mean_noise_span_length: float = DEFAULT_MEAN_NOISE_SPAN_LENGTH
               ) -> tf.Tensor:
  """Random-span noise masks [rows, max(lengths, 2)] for rows of `lengths`.

  A row of length n gets round(n * density) noise bytes (at least 1, at most
  n - 1) in round(noise / mean_span) spans (at least 1), starting with a
  non-noise span. Positions past a row's length are False.
  """
  lengths = tf.cast(lengths, tf.int32)
  boundaries, width = _span_boundaries(lengths, noise_density,
                                       mean_noise_span_length, seed)
  return _mask_from_boundaries(boundaries, lengths, width)


# ---------------------------------------------------------------------------
# UTF-8 alignment.


def _character_start_candidates(
    byte_ids: tf.Tensor, lengths: tf.Tensor,
    boundaries: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
  """Nearest character start at or before / at or after each boundary.

  A position starts a character unless its byte is a UTF-8 continuation byte
  (10xxxxxx); the row's end counts as a start. A boundary with no start within
  3 bytes (only in invalid UTF-8) stays where it is.
  """
  width = tf.shape(byte_ids)[1]
  continuation = tf.bitwise.bitwise_and(byte_ids - _BYTE_ID_OFFSET,
                                        0xC0) == 0x80
  continuation &= tf.range(width)[tf.newaxis, :] < lengths[:, tf.newaxis]
  # Pad so that position `width` (the end) and out-of-range lookups are
  # character starts.
  continuation = tf.pad(continuation, [[0, 0], [1, 4]])  # index p -> p + 1.

  def is_start(offset):
    index = tf.clip_by_value(boundaries + offset, -1, width + 3) + 1
    return ~tf.gather(continuation, index, batch_dims=1)

  before, after = boundaries, boundaries
  for offset in (3, 2, 1, 0):  # Nearest wins: assign the farthest first.
    before = tf.where(is_start(-offset) & (boundaries - offset >= 0),
                      boundaries - offset, before)
    after = tf.where(is_start(offset), boundaries + offset, after)
  return before, after


def align_boundaries_to_characters(byte_ids: tf.Tensor, lengths: tf.Tensor,
                                   boundaries: tf.Tensor) -> tf.Tensor:
  """Moves span boundaries to UTF-8 character starts.

  Each boundary goes to the character start just before or just after it,
  whichever keeps the running change in the number of noise bytes closest to
  zero (a greedy walk along the row): the noise density is unchanged on
  average, every span still starts and ends on whole characters, and a span
  shorter than a character can vanish (its sentinel disappears with it).
  """
  before, after = _character_start_candidates(byte_ids, lengths, boundaries)
  num_boundaries = tf.shape(boundaries)[1]
  # +1 for boundaries that start noise (moving them left adds noise), -1 for
  # those that end it.
  direction = tf.where(tf.range(num_boundaries) % 2 == 0, 1, -1)

  def step(carry, column):
    drift, previous = carry
    boundary, lo, hi, sign = column
    lo = tf.maximum(lo, previous)
    hi = tf.maximum(hi, previous)
    delta_lo = sign * (boundary - lo)
    delta_hi = sign * (boundary - hi)
    # Pull the drift towards zero; at zero drift take the nearer start.
    take_lo = tf.where(
        drift > 0, delta_lo <= delta_hi,
        tf.where(drift < 0, delta_lo >= delta_hi,
                 tf.abs(delta_lo) <= tf.abs(delta_hi)))
    chosen = tf.where(take_lo, lo, hi)
    drift += tf.where(take_lo, delta_lo, delta_hi)
    return drift, chosen

  rows = tf.shape(boundaries)[0]
  columns = (tf.transpose(boundaries), tf.transpose(before),
             tf.transpose(after),
             tf.broadcast_to(direction[:, tf.newaxis],
                             [num_boundaries, rows]))
  _, chosen = tf.scan(
      step, columns,
      initializer=(tf.zeros([rows], tf.int32), tf.zeros([rows], tf.int32)))
  return tf.transpose(chosen)


# ---------------------------------------------------------------------------
# Inputs and targets.


def corrupt_rows(tokens: tf.Tensor,
                 lengths: tf.Tensor,
                 seed: tf.Tensor,
                 sentinel_start: int,
                 noise_density: float = DEFAULT_NOISE_DENSITY,
                 mean_noise_span_length: float =
                 DEFAULT_MEAN_NOISE_SPAN_LENGTH,
                 align_to_characters: bool = False,
                 max_inputs_tokens: Optional[int] = None,
                 max_targets_tokens: Optional[int] = None,
                 ) -> Tuple[tf.RaggedTensor, tf.RaggedTensor]:
  """Span-corrupts rows of a padded [rows, width] id matrix.

  Returns ragged (inputs, targets) without EOS. Noise span k is replaced in
  the inputs by `sentinel_start - k`; the targets hold that sentinel followed
  by the span. With `align_to_characters`, a row whose aligned spans would
  exceed `max_inputs_tokens` / `max_targets_tokens` keeps its byte-level
  spans instead, so lengths are always within the limits.
  """
  tokens = tf.cast(tokens, tf.int32)
  lengths = tf.cast(lengths, tf.int32)
  rows = tf.shape(tokens)[0]
  boundaries, width = _span_boundaries(lengths, noise_density,
                                       mean_noise_span_length, seed)
  tokens = tf.pad(tokens, [[0, 0], [0, width - tf.shape(tokens)[1]]])
  mask = _mask_from_boundaries(boundaries, lengths, width)
  if align_to_characters:
    aligned = _mask_from_boundaries(
        align_boundaries_to_characters(tokens, lengths, boundaries),
        lengths, width)
    fits = tf.ones([rows], tf.bool)
    num_spans = tf.reduce_sum(tf.cast(_span_starts(aligned), tf.int32), 1)
    num_noise = tf.reduce_sum(tf.cast(aligned, tf.int32), 1)
    if max_inputs_tokens is not None:
      fits &= lengths - num_noise + num_spans <= max_inputs_tokens
    if max_targets_tokens is not None:
      fits &= num_noise + num_spans <= max_targets_tokens
    mask = tf.where(fits[:, tf.newaxis], aligned, mask)
  starts = _span_starts(mask)
  sentinels = sentinel_start - (tf.cumsum(tf.cast(starts, tf.int32), 1) - 1)
  valid = tf.range(width)[tf.newaxis, :] < lengths[:, tf.newaxis]

  def interleave(keep_sentinel, keep_token):
    # Each position contributes (sentinel?, token?), in that order.
    values = tf.reshape(tf.stack([sentinels, tokens], axis=2), [rows, -1])
    keep = tf.reshape(tf.stack([keep_sentinel, keep_token], axis=2),
                      [rows, -1])
    return tf.ragged.boolean_mask(values, keep)

  inputs = interleave(starts, valid & ~mask)
  targets = interleave(starts, mask)
  return inputs, targets


def _span_starts(mask: tf.Tensor) -> tf.Tensor:
  previous = tf.pad(mask, [[0, 0], [1, 0]])[:, :-1]
  return mask & ~previous


# ---------------------------------------------------------------------------
# Chunking and the SeqIO preprocessor.


def _chunk_group(tokens: tf.RaggedTensor, chunk_length: int,
                 min_tail_length: int, align_to_characters: bool = False
                 ) -> Tuple[tf.RaggedTensor, Mapping[str, tf.Tensor]]:
  """Concatenates a group of documents and cuts it into chunks.

  Returns the chunks (ragged [chunks, <= chunk_length]) and the group's
  counts. Only the last chunk can be short; it is dropped (and counted) when
  shorter than `min_tail_length`. With `align_to_characters` the cuts are
  made every `chunk_length - 3` bytes and then moved back (by up to 3 bytes)
  to a UTF-8 character start, so chunks never split a character either.
  """
  values = tf.cast(tokens.flat_values, tf.int32)
  total = tf.size(values)
  step = chunk_length - 3 if align_to_characters else chunk_length
  num_full = total // step
  cuts = tf.range(1, num_full + 1) * step
  if align_to_characters:
    # Each cut moves back to the nearest character start at most 3 bytes
    # earlier (it stays put if there is none: invalid UTF-8). Chunks are
    # then between step - 3 and step + 3 = chunk_length bytes long.
    continuation = tf.bitwise.bitwise_and(values - _BYTE_ID_OFFSET,
                                          0xC0) == 0x80
    continuation = tf.concat([continuation, [False]], axis=0)  # The end.
    snapped = cuts
    for back in (3, 2, 1, 0):  # Nearest wins: assign the farthest first.
      candidate = cuts - back
      snapped = tf.where(~tf.gather(continuation, candidate), candidate,
                         snapped)
    cuts = snapped
  full_lengths = cuts - tf.concat([[0], cuts[:-1]], axis=0)
  consumed = tf.reduce_sum(full_lengths)
  tail = total - consumed
  keep_tail = (tail > 0) & (tail >= min_tail_length)
  row_lengths = tf.concat([
      full_lengths,
      tf.reshape(tail, [1])[:tf.cast(keep_tail, tf.int32)]], axis=0)
  emitted = tf.reduce_sum(row_lengths)
  chunks = tf.RaggedTensor.from_row_lengths(values[:emitted], row_lengths)
  dropped = tf.cast(~keep_tail & (tail > 0), tf.int64)
  counts = {
      "documents": tf.cast(tokens.nrows(), tf.int64),
      "bytes_read": tf.cast(total, tf.int64),
      "chunks": tf.cast(tf.size(row_lengths), tf.int64),
      "bytes_emitted": tf.cast(emitted, tf.int64),
      "tails_dropped": dropped,
      "tail_bytes_dropped": tf.cast(total - emitted, tf.int64),
  }
  return chunks, counts


def _grouped(dataset: tf.data.Dataset, feature_key: str,
             docs_per_group: int) -> tf.data.Dataset:
  return dataset.map(
      lambda ex: ex[feature_key],
      num_parallel_calls=tf.data.AUTOTUNE).ragged_batch(docs_per_group)


def chunking_counts(dataset: tf.data.Dataset,
                    chunk_length: int,
                    docs_per_group: int = DEFAULT_DOCS_PER_GROUP,
                    min_tail_length: int = 0,
                    feature_key: str = "targets",
                    align_to_characters: bool = False) -> Mapping[str, int]:
  """Iterates `dataset` (tokenized documents) through the chunking that
  `span_corruption` applies and returns what it read, emitted and dropped.

  bytes_read == bytes_emitted + tail_bytes_dropped always holds.
  """
  counts = _grouped(dataset, feature_key, docs_per_group).map(
      lambda group: _chunk_group(group, chunk_length, min_tail_length,
                                 align_to_characters)[1])
  zero = {k: tf.constant(0, tf.int64) for k in (
      "documents", "bytes_read", "chunks", "bytes_emitted", "tails_dropped",
      "tail_bytes_dropped")}
  total = counts.reduce(
      zero, lambda acc, c: {k: acc[k] + c[k] for k in acc})
  return {k: int(v) for k, v in total.items()}


def span_corruption(
    dataset: tf.data.Dataset,
    sequence_length: Mapping[str, int],
    output_features: Mapping[str, seqio.Feature],
    noise_density: float = DEFAULT_NOISE_DENSITY,
    mean_noise_span_length: float = DEFAULT_MEAN_NOISE_SPAN_LENGTH,
    align_to_characters: bool = False,
    docs_per_group: int = DEFAULT_DOCS_PER_GROUP,
    min_tail_length: int = 0,
    feature_key: str = "targets",
) -> tf.data.Dataset:
  """SeqIO preprocessor: tokenized documents -> span-corrupted examples.

  Reads `feature_key` (byte ids, no EOS) and emits {"inputs", "targets"}
  sized for `sequence_length["inputs"]` once seqio appends EOS; the chunk
  length is `span_corruption_lengths(...)`. If `sequence_length["targets"]`
  is given it must be at least the derived targets length. Random draws come
  from seqio's map seeds, so the output is deterministic given the seed passed
  to `get_dataset`.
  """
  inputs_length = sequence_length["inputs"]
  lengths = span_corruption_lengths(inputs_length, noise_density,
                                    mean_noise_span_length,
                                    align_to_characters)
  given_targets = sequence_length.get("targets")
  if given_targets is not None and given_targets < lengths.targets_length:
    raise ValueError(
        f"targets length {given_targets} is too short for inputs length "
        f"{inputs_length} at noise density {noise_density} and mean span "
        f"{mean_noise_span_length}: need {lengths.targets_length} "
        "(targets_length_for computes it)")
  vocabulary = output_features["targets"].vocabulary
  if align_to_characters and not isinstance(vocabulary, seqio.ByteVocabulary):
    raise ValueError("align_to_characters needs seqio.ByteVocabulary ids")
  sentinel_start = vocabulary.vocab_size - 1

  @seqio.map_over_dataset(num_seeds=1)
  def corrupt_group(group, seed):
    chunks, _ = _chunk_group(group, lengths.tokens_length, min_tail_length,
                             align_to_characters)
    inputs, targets = corrupt_rows(
        chunks.to_tensor(), chunks.row_lengths(), seed,
        sentinel_start=sentinel_start,
        noise_density=noise_density,
        mean_noise_span_length=mean_noise_span_length,
        align_to_characters=align_to_characters,
        max_inputs_tokens=lengths.inputs_length - 1,
        max_targets_tokens=lengths.targets_length - 1)
    return {"inputs": inputs, "targets": targets}

  grouped = _grouped(dataset, feature_key, docs_per_group)
  return corrupt_group(grouped).unbatch()
