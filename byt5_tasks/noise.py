"""The six synthetic noise schemes of the ByT5 paper, as TensorFlow string ops.

Each scheme maps UTF-8 strings to noised strings and works on characters,
i.e. Unicode code points, not bytes. The ops are plain graph ops (no
`tf.py_function`; the only branches are `tf.cond`s choosing between
equivalent implementations by script), so they run inside a `tf.data`
pipeline, in a seqio cache job, and anywhere a `tf.function` runs.

A scheme noises a batch of texts at once (`NoiseScheme.noise_batch`): the
texts are laid out as one string (`byt5_tasks.text_batch`), so a few dozen
ops serve a whole batch instead of every example. It finds characters by
their first UTF-8 byte and assembles the output from byte ranges of the
input (`byt5_tasks.utf8_ops`) and never re-encodes code points: decoding
and re-encoding alone would cost more than the whole clean eval pipeline.
(The case schemes look characters up in `case_table` by code point: they
decode only the multi-byte characters that may have case, by their first
byte, where these are few; in Greek or Cyrillic text they map 2-byte
characters in place from their two bytes; `byt5_tasks.case_ops`.)

Randomness is stateless and per text: the character starting at byte
offset i of a text uses draw i of the text's seed, half of SplitMix64
output i // 2 (`byt5_tasks.draws.byte_bits`), so a text's noise does not
depend on the batch it is in. `example_seed` derives each text's seed from
a run seed and a stable example key, so an example gets the same noise in
every run, in every shard order, in any batch, and in a seqio cache,
independent of seqio's own seeds. `antspeak` and `uppercase` draw nothing:
a function of the text alone, they noise each distinct field value of a
batch once (`NoiseScheme.noise_fields`; a QA batch repeats each context).

Decisions where the paper is silent:
- Random characters (`add_drop_mutate` insertions and substitutions) are drawn
  uniformly from the characters of the same text by default (so frequent
  characters are drawn more often and the noise stays in the text's script),
  or from a fixed `alphabet` when one is given. A substitution may draw the
  character it replaces; the configured rate counts selections, not changes.
- An insertion goes before the selected character, which is kept.
- Case uses Unicode's default, language-independent full case mapping: "ß"
  uppercases to "SS", and Turkish "i" uppercases to "I", not "İ" ("ı" also
  gives "I"; "İ" stays). All three case schemes map each character through a
  table of Python's `str.upper`/`str.lower` (`case_table`, `case_ops`), not
  ICU's `tf.strings.upper`, whose output follows the process's locale (under
  LANG=tr_TR.UTF-8 it gives "İ"; tested), so the noise is the same on every
  machine. Uppercasing a text character by character equals uppercasing it
  whole: the default mapping has no context.
  Characters without case (Arabic, Devanagari, Thai, CJK, digits, ...) are
  left unchanged, so `uppercase` and `random_case` are the identity on
  caseless scripts (`NoiseScheme.case_only`), and `antspeak` only adds spaces.
- `antspeak` uppercases the text, then puts one space before every character
  and one after the last: "abc de" -> " A B C   D E " (an existing space is a
  character like any other, so it ends up between two separator spaces). The
  empty string stays empty.
- Everything works per code point, as the paper says: `antspeak` pads a
  combining accent or a Devanagari vowel sign like any letter (detaching it
  from its base), and `drop` may delete a base letter but keep its marks.
- `random_case` uppercases each character with probability `rate` (0.5) and
  lowercases it otherwise; each character is mapped on its own, so a Greek
  capital sigma lowercases to "σ" even at the end of a word.
- Invalid UTF-8 input is repaired with U+FFFD replacement characters by the
  public functions, so the output is always valid UTF-8 (`byt5_tasks.noised`
  rejects invalid input with an error naming the example instead). U+001F
  (unit separator) is reserved: it ends each text of a batch, so texts
  holding it are rejected.
"""
import dataclasses
from typing import (Any, Callable, Dict, Iterable, List, Mapping, Optional,
                    Sequence, Tuple)

import tensorflow as tf

from byt5_tasks import case_ops
from byt5_tasks import case_table
from byt5_tasks import draws
from byt5_tasks import text_batch
from byt5_tasks import utf8_ops

_SPACE = 0x20
_INT64_MAX = 2**63 - 1
FIELD_SEPARATOR = text_batch.FIELD_SEPARATOR
_SEPARATOR_BYTE = text_batch.SEPARATOR_BYTE


# ------------------------------- randomness -----------------------------------


def example_seed(run_seed: int, key: tf.Tensor, salt: str = "") -> tf.Tensor:
  """The int64 seed of each text: a fingerprint of run seed, salt and key.

  `key` (string, any shape) names the example, e.g. a question id; `salt`
  separates independent draws for the same example (scheme, field). The
  fingerprint (FarmHash Fingerprint64) is stable across processes, machines
  and TF versions, which makes the noise reproducible everywhere.
  """
  if not 0 <= run_seed <= _INT64_MAX:
    raise ValueError(f"run seed must be in [0, 2**63 - 1], got {run_seed}")
  return tf.strings.to_hash_bucket_fast(
      tf.strings.join([f"{run_seed}\x1f{salt}", key], separator="\x1f"),
      _INT64_MAX)


def has_case(text: tf.Tensor) -> tf.Tensor:
  """Whether any character of `text` changes under upper- or lowercasing."""
  return tf.logical_or(
      tf.not_equal(tf.strings.upper(text, encoding="utf-8"), text),
      tf.not_equal(tf.strings.lower(text, encoding="utf-8"), text))


def _candidates(data: tf.Tensor) -> tf.Tensor:
  """Whether each byte begins a character a scheme may touch or draw.

  That is every character but `FIELD_SEPARATOR`.
  """
  return tf.logical_and(
      utf8_ops.character_starts(data),
      tf.not_equal(data, tf.constant(_SEPARATOR_BYTE, tf.uint8)))


def _select(batch: text_batch.TextBatch, rate: float
            ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
  """Characters chosen with probability `rate`: offsets, draws, candidates.

  Returns the int64 offsets (in `batch.whole`) of the chosen characters, the
  32-bit draws that chose them (a character uses the draw of its first byte)
  and the bool candidate mask of all bytes (`_candidates`).
  """
  u = draws.byte_bits(batch.keys)
  candidates = _candidates(batch.data)
  chosen = utf8_ops.where(tf.logical_and(candidates, draws.happens(u, rate)))
  return chosen, utf8_ops.gather(u, chosen), candidates


# ------------------------------- schemes --------------------------------------
# Each `_scheme(batch, **params)` noises the valid UTF-8 texts of a
# `text_batch.TextBatch` and returns the noised `whole` (texts still followed
# by FIELD_SEPARATOR). Only the draws and `add_drop_mutate`'s random
# characters look at which text a byte belongs to; everything else is local,
# so the batch is edited as one string.


def _drop(batch, rate=0.1):
  chosen, _, _ = _select(batch, rate)
  after = chosen + utf8_ops.character_lengths(batch.data, chosen)
  # Keep the ranges between dropped characters.
  return utf8_ops.join_pieces(batch.whole, utf8_ops.with_zero(after),
                              utf8_ops.with_end(chosen))


def _random_characters(batch, chosen, candidates, pick):
  """Offsets of characters drawn uniformly from the same text as `chosen`,
  by the 32-bit draws `pick` (one per chosen character)."""
  offsets = utf8_ops.where(candidates)
  # The candidates of text t are offsets[first[t]:first[t + 1]]; a text with
  # a chosen character has at least that one.
  first = tf.searchsorted(offsets, batch.starts, out_type=tf.int64)
  text = tf.searchsorted(batch.starts, chosen, side="right",
                         out_type=tf.int64) - 1
  low = utf8_ops.gather(first, text)
  count = utf8_ops.gather(first, text + 1) - low
  return utf8_ops.gather(offsets, low + draws.below(pick, count))


def _add_drop_mutate(batch, rate=0.1, alphabet=None):
  data = batch.data
  chosen, u, candidates = _select(batch, rate)
  after = chosen + utf8_ops.character_lengths(data, chosen)
  action = draws.bucket(u, rate, 3)  # Insert, delete, replace.
  # A second draw per chosen character: streams 1 and 2 of its byte pair.
  pick = draws.bits(utf8_ops.gather(batch.keys, chosen // 2),
                    1 + tf.bitwise.bitwise_and(chosen, 1))
  if alphabet is None:  # A uniformly chosen character of the same text.
    source, text_end = batch.whole, utf8_ops.TO_END
    random_begin = _random_characters(batch, chosen, candidates, pick)
    random_length = utf8_ops.character_lengths(data, random_begin)
  else:  # The alphabet's characters, appended after the texts.
    source = tf.strings.join([batch.whole, alphabet])
    text_end = tf.size(data)
    encoded = [c.encode("utf-8") for c in alphabet]
    index = draws.below(pick, len(encoded))
    begins = [len(b"".join(encoded[:i])) for i in range(len(encoded))]
    random_begin = tf.size(data, tf.int64) + utf8_ops.gather(
        tf.constant(begins, tf.int64), index)
    random_length = utf8_ops.gather(
        tf.constant([len(e) for e in encoded], tf.int64), index)
  # A deletion inserts nothing; after an insertion the text resumes at the
  # chosen character, else after it.
  random_end = random_begin + random_length * tf.cast(
      tf.not_equal(action, 1), tf.int64)
  resume = tf.where(tf.equal(action, 0), chosen, after)
  # Pieces: text up to each chosen character, then the random one (or
  # nothing); the last text piece is followed by an empty one.
  return utf8_ops.join_pieces(
      source,
      utf8_ops.interleave(utf8_ops.with_zero(resume),
                          utf8_ops.then_zero(random_begin)),
      utf8_ops.interleave(utf8_ops.with_end(chosen, text_end),
                          utf8_ops.then_zero(random_end)))


def _repetitions(batch, rate=0.2, min_repeats=1, max_repeats=3):
  chosen, u, _ = _select(batch, rate)
  length = utf8_ops.character_lengths(batch.data, chosen)
  after = chosen + length
  # A chosen character gets `min_repeats` extra copies plus its part of the
  # selection draw (`draws.bucket`): copy c iff the draw is at least
  # `made_from[c]`.
  starts = draws.bucket_starts(rate, max_repeats - min_repeats + 1)
  made_from = [starts[max(c - min_repeats, 0)] for c in range(max_repeats + 1)]
  # Per chosen character: the text up to and including it, then
  # `max_repeats` copy ranges, empty beyond its number of extra copies; then
  # the rest of the text. One byte gather assembles them (a string piece per
  # range costs more). Built as one row of ranges per slot, then transposed
  # into that order: stacking rows copies them whole, columns byte by byte.
  begins = [utf8_ops.with_zero(after)]
  ends = [utf8_ops.with_end(after, tf.size(batch.data))]
  for copy in range(1, max_repeats + 1):
    begins.append(utf8_ops.then_zero(chosen))
    made = u >= tf.constant(made_from[copy], u.dtype)
    ends.append(utf8_ops.then_zero(chosen + tf.cast(made, tf.int64) * length))
  return utf8_ops.gather_ranges(batch.data, utf8_ops.columns_first(begins),
                                utf8_ops.columns_first(ends))


def _antspeak(batch):
  data = utf8_ops.to_bytes(case_ops.upper_case(batch))
  # A space before each character. The space before each text's separator
  # is the text's closing space; an empty text (a separator at a text's
  # start) gets none and stays empty.
  separator = tf.equal(data, tf.constant(_SEPARATOR_BYTE, tf.uint8))
  text_start = tf.concat([[True], separator[:-1]], 0)
  spaced_here = tf.logical_and(utf8_ops.character_starts(data), tf.logical_not(
      tf.logical_and(separator, text_start)))
  return utf8_ops.insert_before(data, spaced_here, _SPACE)


def _uppercase(batch):
  return case_ops.upper_case(batch)


def _random_case(batch, rate=0.5):
  """Each character replaced by its own upper- or lowercase mapping.

  The character at byte offset i of a text is uppercased iff its draw i is
  below the rate (`case_ops.map_case`).
  """
  return case_ops.map_case(batch,
                           draws.happens(draws.byte_bits(batch.keys), rate))


def _public(name: str, doc: str) -> Callable[..., tf.Tensor]:
  def fn(texts, seeds=None, **params):
    return get_scheme(name)(texts, seeds, **params)
  fn.__name__ = name
  fn.__doc__ = doc + """

  Args: `texts`, strings of any shape (invalid UTF-8 is repaired with
  U+FFFD first; U+001F is reserved and rejected); `seeds`, int64 of the same
  shape (`example_seed`); the scheme's parameters. Returns noised texts. Each
  text's noise depends on it and its seed only, not on the rest of the batch.
  """
  return fn


drop = _public("drop", "Deletes each character with probability `rate`.")
add_drop_mutate = _public("add_drop_mutate", """\
At each character, with probability `rate`, inserts a random character
  before it, deletes it, or replaces it by a random character (each 1/3).
  Random characters come from the text itself, or from `alphabet` if given.""")
repetitions = _public("repetitions", """\
Selects each character with probability `rate` and repeats it
  `min_repeats`..`max_repeats` extra times (uniformly).""")
antspeak = _public("antspeak", """\
Uppercases every character and pads each with spaces: "abc" -> " A B C ".""")
uppercase = _public("uppercase",
                    "Uppercases the whole text (Unicode full case mapping).")
random_case = _public("random_case", """\
Uppercases each character with probability `rate`, else lowercases it.""")


# ------------------------------ scheme table ----------------------------------


def _check_rate(name: str, value: Any) -> None:
  if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
    raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


def _check_repetitions(params: Mapping[str, Any]) -> None:
  _check_rate("repetitions.rate", params["rate"])
  low, high = params["min_repeats"], params["max_repeats"]
  if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high):
    raise ValueError(
        "repetitions needs integers 0 <= min_repeats <= max_repeats, got "
        f"min_repeats={low!r}, max_repeats={high!r}")


def _check_add_drop_mutate(params: Mapping[str, Any]) -> None:
  _check_rate("add_drop_mutate.rate", params["rate"])
  alphabet = params["alphabet"]
  if alphabet is not None and (not isinstance(alphabet, str) or not alphabet):
    raise ValueError(
        "add_drop_mutate.alphabet must be None (draw from the text) or a "
        f"non-empty string, got {alphabet!r}")
  if alphabet is not None and FIELD_SEPARATOR in alphabet:
    raise ValueError("add_drop_mutate.alphabet must not hold U+001F: it "
                     "separates the fields of an example while noising")


@dataclasses.dataclass(frozen=True)
class NoiseScheme:
  """One scheme: its op, its paper defaults and what it does to caseless text.

  Attributes:
    name: the scheme's name, used in task names (`{task}.noise_{name}`).
    impl: `impl(batch, **params) -> whole` for a `text_batch.TextBatch` of
      valid UTF-8 texts, graph ops only; returns the noised
      `batch.whole` (see `noise_batch`, which callers use).
    defaults: the paper's parameters; every one can be overridden.
    case_only: the scheme only changes letter case, so it is the identity on
      text without case (Arabic, Devanagari, Thai, CJK, ...). A report should
      say so instead of presenting a zero drop as robustness.
    uses_case: the scheme changes letter case at all (`antspeak` does, and on
      caseless text it only inserts spaces).
    description: one line for reports.
    seeded: the scheme draws random numbers. One without draws is a
      function of the text alone, so `noise_fields` noises each distinct
      field value of a batch once.
  """
  name: str
  impl: Callable[..., tf.Tensor]
  defaults: Mapping[str, Any]
  case_only: bool
  uses_case: bool
  description: str
  seeded: bool = True
  validate: Callable[[Mapping[str, Any]], None] = lambda params: None

  def params(self, overrides: Optional[Mapping[str, Any]] = None
             ) -> Dict[str, Any]:
    """The defaults with `overrides` applied and checked."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(self.defaults))
    if unknown:
      raise ValueError(
          f"noise scheme {self.name!r} has no parameter(s) {unknown}; it takes "
          f"{sorted(self.defaults) or 'none'}")
    params = {**self.defaults, **overrides}
    self.validate(params)
    return params

  def noise_batch(self, batch: text_batch.TextBatch,
                  params: Mapping[str, Any], fields: int) -> tf.Tensor:
    """The noised fields of a laid-out batch, [texts * fields].

    `batch` holds valid UTF-8 texts, each `fields` fields joined by
    `FIELD_SEPARATOR` (which no field holds). `params` come from
    `self.params`. Each text's noise depends only on it and its seed. Empty
    fields stay empty.
    """
    return text_batch.split(self.impl(batch, **params), batch, fields)

  def noise_fields(self, fields: Sequence[tf.Tensor], seeds: tf.Tensor,
                   params: Mapping[str, Any],
                   error: Callable[[tf.Tensor], List[tf.Tensor]]
                   ) -> List[tf.Tensor]:
    """The string vectors `fields` [B] noised; text i is their entries i.

    A text's fields are noised as one string joined by `FIELD_SEPARATOR`
    (one stream of draws per text, from its int64 seed in `seeds` [B]), so
    each field's noise also depends on the fields before it. A scheme
    without draws (`seeded` False) maps each field value on its own and
    equal values alike, so it noises each distinct value once: a QA batch
    holds each context once per question on it. Fields must be valid UTF-8
    without FIELD_SEPARATOR; `error(ok)` ([B] bool: which texts passed) is
    the failed check's message. `params` come from `self.params`.
    """
    if not self.seeded:
      batch, index = text_batch.checked_distinct_layout(fields, error)
      noised = self.noise_batch(batch, params, 1)
      return [utf8_ops.gather(noised, i) for i in index]
    batch = text_batch.checked_layout(fields, seeds, error)
    noised = tf.reshape(self.noise_batch(batch, params, len(fields)),
                        [-1, len(fields)])
    return tf.unstack(noised, len(fields), 1)

  def apply(self, texts: tf.Tensor, seeds: Optional[tf.Tensor],
            params: Mapping[str, Any]) -> tf.Tensor:
    """Noised `texts` (any shape); `params` must come from `self.params`."""
    texts = tf.convert_to_tensor(texts, tf.string)
    if seeds is None:
      seeds = tf.zeros_like(texts, tf.int64)
    seeds = tf.broadcast_to(tf.convert_to_tensor(seeds, tf.int64),
                            tf.shape(texts))
    flat = utf8_ops.to_valid_utf8(tf.reshape(texts, [-1]))
    noised, = self.noise_fields(
        [flat], tf.reshape(seeds, [-1]), params, lambda ok: [
            f"noise {self.name}: texts must not hold U+001F (reserved: it "
            "separates texts and fields while noising)"])
    return tf.reshape(noised, tf.shape(texts))

  def __call__(self, texts: tf.Tensor, seeds: Optional[tf.Tensor],
               **overrides: Any) -> tf.Tensor:
    """`texts` noised with the defaults updated by `overrides`."""
    return self.apply(texts, seeds, self.params(overrides))


SCHEMES: Mapping[str, NoiseScheme] = {
    s.name: s for s in (
        NoiseScheme(
            "drop", _drop, {"rate": 0.1}, case_only=False, uses_case=False,
            description="each character deleted with p=0.1",
            validate=lambda p: _check_rate("drop.rate", p["rate"])),
        NoiseScheme(
            "add_drop_mutate", _add_drop_mutate,
            {"rate": 0.1, "alphabet": None}, case_only=False, uses_case=False,
            description=("with p=0.1 per character, insert / delete / replace "
                         "(uniformly); random characters from the same text"),
            validate=_check_add_drop_mutate),
        NoiseScheme(
            "repetitions", _repetitions,
            {"rate": 0.2, "min_repeats": 1, "max_repeats": 3},
            case_only=False, uses_case=False,
            description="each character with p=0.2 repeated 1-3 extra times",
            validate=_check_repetitions),
        NoiseScheme(
            "antspeak", _antspeak, {}, case_only=False, uses_case=True,
            description="uppercased, every character padded with spaces",
            seeded=False),
        NoiseScheme(
            "uppercase", _uppercase, {}, case_only=True, uses_case=True,
            description="whole text uppercased", seeded=False),
        NoiseScheme(
            "random_case", _random_case, {"rate": 0.5}, case_only=True,
            uses_case=True,
            description="each character upper- (p=0.5) or lowercased",
            validate=lambda p: _check_rate("random_case.rate", p["rate"])),
    )
}

ALL_SCHEMES: Tuple[str, ...] = tuple(SCHEMES)


def get_scheme(name: str) -> NoiseScheme:
  try:
    return SCHEMES[name]
  except KeyError:
    raise ValueError(
        f"unknown noise scheme {name!r}; known: {', '.join(ALL_SCHEMES)}"
    ) from None


def cased_fraction(texts: Iterable[str]) -> float:
  """Share of characters that upper- or lowercasing changes (0 if none).

  What a report needs next to `case_only` schemes: on XQuAD (contexts and
  questions) it is ~83% for de/el/ru/tr but 0.3% ar, 0.6% hi, 1.8% th and
  3.8% zh, whose only cased characters are embedded Latin names and codes.
  """
  cased = total = 0
  for text in texts:
    total += len(text)
    cased += sum(case_table.has_case(c) for c in text)
  return cased / total if total else 0.0


def is_identity_without_case(name: str) -> bool:
  """Whether scheme `name` leaves text in a caseless script unchanged."""
  return get_scheme(name).case_only
