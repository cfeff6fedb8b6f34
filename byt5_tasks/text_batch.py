"""Many texts as one UTF-8 buffer, for noising a batch with a few dozen ops.

A noise scheme is a few dozen small TF ops. Run once per example, their
fixed per-op cost exceeds the work; run once per batch, it vanishes. The
schemes therefore see a batch as one string, `whole`: every text followed by
`FIELD_SEPARATOR` (which no scheme touches), once more if that leaves it at
an odd length; its bytes; and a random-draw key per two bytes that depends
only on the text's own seed and the pair's place inside the text, so a text
gets the same noise in any batch (`draws.byte_bits` makes two draws of
each key). `split` cuts a noised `whole` back into texts at the separators.
`checked_distinct_layout` lays out each distinct value of the fields once,
for noise without draws.
"""
import dataclasses
from typing import Callable, List, Sequence, Tuple

import tensorflow as tf

from byt5_tasks import draws
from byt5_tasks import utf8_ops

# U+001F (unit separator): ends every text of a batch and joins the fields of
# an example (`byt5_tasks.noised`). No scheme selects, draws or changes it.
FIELD_SEPARATOR = "\x1f"
SEPARATOR_BYTE = 0x1F


@dataclasses.dataclass(frozen=True)
class TextBatch:
  """Texts laid out for byte-level noising; see the module docstring."""
  whole: tf.Tensor  # Scalar string: each text, FIELD_SEPARATOR, maybe again.
  data: tf.Tensor  # uint8 [n]: the bytes of `whole` (n even).
  keys: tf.Tensor  # int64 [n / 2]: the text's seed (62 bits) + pair offset.
  starts: tf.Tensor  # int64 [texts + 1]: where each text begins (even); n.
  padded_before: tf.Tensor  # int64 [texts]: texts before each with 2 ends.


def layout(texts: tf.Tensor, seeds: tf.Tensor) -> TextBatch:
  """Lays out valid UTF-8 `texts` [B] with their int64 `seeds` [B]."""
  sizes = tf.cast(tf.strings.length(texts), tf.int64) + 1
  padded = tf.bitwise.bitwise_and(sizes, 1)
  ends = tf.where(tf.equal(padded, 1), FIELD_SEPARATOR * 2, FIELD_SEPARATOR)
  whole = tf.strings.reduce_join(tf.strings.join([texts, ends]))
  seeds = tf.bitwise.bitwise_and(seeds, tf.constant(draws.SEED_MASK, tf.int64))
  pair_starts, keys = tf.raw_ops.RaggedRange(
      starts=seeds, limits=seeds + (sizes + padded) // 2,
      deltas=tf.constant(1, tf.int64))
  return TextBatch(whole, utf8_ops.to_bytes(whole), keys, 2 * pair_starts,
                   tf.cumsum(padded, exclusive=True))


def _parts(whole: tf.Tensor) -> tf.Tensor:
  # The raw op's values are the parts in order; `tf.strings.split` would
  # build and check a RaggedTensor around them.
  return tf.raw_ops.StringSplitV2(input=tf.reshape(whole, [1]),
                                  sep=FIELD_SEPARATOR).values


def split(whole: tf.Tensor, batch: TextBatch, fields: int) -> tf.Tensor:
  """The `fields` fields of each text of a noised `whole` of `batch`, [B * F].

  Cut at the separators; the empty part after a text's second end is skipped.
  """
  text = tf.range(tf.size(batch.padded_before, out_type=tf.int64))
  first = text * fields + batch.padded_before
  index = tf.reshape(first[:, None] + tf.range(fields, dtype=tf.int64), [-1])
  return utf8_ops.gather(_parts(whole), index)


def after(batch: TextBatch, op: tf.Operation) -> TextBatch:
  """`batch`, whose tensors are used only once `op` (a check) has run."""
  with tf.control_dependencies([op]):
    return TextBatch(*(tf.identity(getattr(batch, field.name))
                       for field in dataclasses.fields(batch)))


def _distinct(fields: Sequence[tf.Tensor]
              ) -> List[Tuple[tf.Tensor, tf.Tensor]]:
  """Per string vector of `fields`: its distinct values and, per entry, the
  index of its value among them (int64).

  A QA batch holds each context once per question on it (XQuAD: ~5), and
  the contexts are most of its bytes.
  """
  return [tuple(tf.unique(field, out_idx=tf.int64)) for field in fields]


def _check(distinct: Sequence[Tuple[tf.Tensor, tf.Tensor]],
           error: Callable[[tf.Tensor], List[tf.Tensor]]) -> tf.Operation:
  """Asserts that every field (`_distinct`) is valid UTF-8 without
  FIELD_SEPARATOR: one regex pass per distinct value and no control flow (a
  branch would be one more function for tf.data to instantiate at every
  iterator). `error(ok)`, given whether each text passed, is the failing
  check's message data."""
  ok = None
  for values, index in distinct:
    valid = utf8_ops.gather(utf8_ops.is_valid_utf8(values, SEPARATOR_BYTE),
                            index)
    ok = valid if ok is None else tf.logical_and(ok, valid)
  return tf.raw_ops.Assert(condition=tf.reduce_all(ok), data=error(ok))


def checked_layout(fields: Sequence[tf.Tensor], seeds: tf.Tensor,
                   error: Callable[[tf.Tensor], List[tf.Tensor]]
                   ) -> TextBatch:
  """The texts `fields` joined by FIELD_SEPARATOR, laid out with `seeds`.

  `fields` are string vectors [B], the fields of B texts. The batch is used
  only once every field has passed `_check` (`error` names the texts that
  failed).
  """
  check = _check(_distinct(fields), error)
  texts = (fields[0] if len(fields) == 1 else
           tf.strings.join(list(fields), separator=FIELD_SEPARATOR))
  return after(layout(texts, seeds), check)


def checked_distinct_layout(fields: Sequence[tf.Tensor],
                            error: Callable[[tf.Tensor], List[tf.Tensor]]
                            ) -> Tuple[TextBatch, List[tf.Tensor]]:
  """The distinct values of the string vectors `fields`, laid out as texts.

  For noise without draws, a function of the text alone, which then needs
  each distinct value once: returns the batch (seeds 0; used only once every
  field has passed `_check`) and, per field, where each of its entries is
  among the batch's texts (int64 [B]).
  """
  distinct = _distinct(fields)
  check = _check(distinct, error)
  texts, index, offset = [], [], tf.constant(0, tf.int64)
  for values, value_index in distinct:
    texts.append(values)
    index.append(value_index + offset)
    offset += tf.size(values, out_type=tf.int64)
  texts = tf.concat(texts, 0)
  return after(layout(texts, tf.zeros(tf.shape(texts), tf.int64)),
               check), index
