"""The six synthetic noise schemes of the ByT5 paper, as TensorFlow string ops.

Each scheme maps one scalar `tf.string` (UTF-8) to another and works on
characters, i.e. Unicode code points, not bytes. The ops are plain graph ops
(no `tf.py_function`), so they run inside a `tf.data` pipeline, in a seqio
cache job, and anywhere a `tf.function` runs.

Randomness comes only from stateless random ops (Philox) driven by an explicit
`seed`, a `[2]` int64 tensor. `example_seed` derives it from a run seed and a
stable example key, so an example gets the same noise in every run, in every
shard order and in a seqio cache, independent of seqio's own seeds.

Decisions where the paper is silent:
- Random characters (`add_drop_mutate` insertions and substitutions) are drawn
  uniformly from the code points of the same text by default (so frequent
  characters are drawn more often and the noise stays in the text's script),
  or from a fixed `alphabet` when one is given. A substitution may draw the
  character it replaces; the configured rate counts selections, not changes.
- An insertion goes before the selected character, which is kept.
- Case uses Unicode's default, language-independent full case mapping (ICU,
  the same as Python's `str.upper`/`str.lower`): "ß" uppercases to "SS", and
  Turkish "i" uppercases to "I", not "İ" ("ı" also gives "I"; "İ" stays).
  Characters without case (Arabic, Devanagari, Thai, CJK, digits, ...) are
  left unchanged, so `uppercase` and `random_case` are the identity on
  caseless scripts (`NoiseScheme.case_only`), and `antspeak` only adds spaces.
- `antspeak` uppercases the text, then puts one space before every character
  and one after the last: "abc de" -> " A B C   D E " (an existing space is a
  character like any other, so it ends up between two separator spaces). The
  empty string stays empty.
- `random_case` uppercases each character with probability `rate` (0.5) and
  lowercases it otherwise; each character is mapped on its own, so a Greek
  capital sigma lowercases to "σ" even at the end of a word.
- Invalid UTF-8 input is decoded with U+FFFD replacement characters, so the
  output is always valid UTF-8 (`byt5_tasks.noised` rejects invalid input
  with an error naming the example before it gets here).
"""
import dataclasses
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import tensorflow as tf

_SPACE = 0x20
_PHILOX = "philox"
_INT64_MAX = 2**63 - 1


# ------------------------------- helpers --------------------------------------


def _decode(text: tf.Tensor) -> tf.Tensor:
  """UTF-8 string -> 1-D int32 code points (U+FFFD for invalid bytes)."""
  return tf.strings.unicode_decode(
      text, "UTF-8", errors="replace", replacement_char=0xFFFD)


def _encode(code_points: tf.Tensor) -> tf.Tensor:
  return tf.strings.unicode_encode(code_points, "UTF-8")


def _uniform(seed: tf.Tensor, stream: int, shape) -> tf.Tensor:
  """Uniform [0, 1) floats from an independent stream of `seed`."""
  stream_seed = tf.random.experimental.stateless_fold_in(
      seed, stream, alg=_PHILOX)
  return tf.random.stateless_uniform(shape, seed=stream_seed, alg=_PHILOX)


def _bucket(u: tf.Tensor, rate: float, buckets: int) -> tf.Tensor:
  """For u < rate, which of `buckets` equal parts of [0, rate) holds u.

  A uniform value conditioned on u < rate is uniform on [0, rate), so this
  reuses the selection draw instead of spending a second random op.
  """
  scaled = tf.cast(tf.math.floor(u / max(rate, 1e-12) * buckets), tf.int32)
  return tf.minimum(scaled, buckets - 1)


def example_seed(run_seed: int, key: tf.Tensor, salt: str = "") -> tf.Tensor:
  """The `[2]` int64 seed for one text: a run seed and a key fingerprint.

  `key` is a scalar string that names the example (e.g. a question id);
  `salt` separates independent draws for the same example (scheme, field).
  The fingerprint (FarmHash Fingerprint64) is stable across processes,
  machines and TF versions, which makes the noise reproducible everywhere.
  """
  if not 0 <= run_seed <= _INT64_MAX:
    raise ValueError(f"run seed must be in [0, 2**63 - 1], got {run_seed}")
  keyed = tf.strings.join([salt, key], separator="\x1f")
  fingerprint = tf.strings.to_hash_bucket_fast(keyed, _INT64_MAX)
  return tf.stack([tf.constant(run_seed, tf.int64), fingerprint])


def has_case(text: tf.Tensor) -> tf.Tensor:
  """Whether any character of `text` changes under upper- or lowercasing."""
  return tf.logical_or(
      tf.not_equal(tf.strings.upper(text, encoding="utf-8"), text),
      tf.not_equal(tf.strings.lower(text, encoding="utf-8"), text))


# ------------------------------- schemes --------------------------------------


def drop(text: tf.Tensor, seed: tf.Tensor, rate: float = 0.1) -> tf.Tensor:
  """Deletes each character with probability `rate`."""
  cps = _decode(text)
  keep = _uniform(seed, 0, tf.shape(cps)) >= rate
  return _encode(tf.boolean_mask(cps, keep))


def add_drop_mutate(text: tf.Tensor,
                    seed: tf.Tensor,
                    rate: float = 0.1,
                    alphabet: Optional[str] = None) -> tf.Tensor:
  """At each character, with probability `rate`, inserts a random character
  before it, deletes it, or replaces it by a random character (each 1/3).

  Random characters come from the text itself, or from `alphabet` if given.
  """
  cps = _decode(text)
  n = tf.size(cps)
  u = _uniform(seed, 0, [n])
  selected = u < rate
  action = _bucket(u, rate, 3)
  insert = selected & tf.equal(action, 0)
  delete = selected & tf.equal(action, 1)
  replace = selected & tf.equal(action, 2)

  if alphabet is None:
    pool = cps
  else:
    pool = tf.constant([ord(c) for c in alphabet], tf.int32)
  pool_size = tf.size(pool)
  # With the text as pool, an empty pool means an empty text: no draws.
  draw = tf.random.stateless_uniform(
      [n], seed=tf.random.experimental.stateless_fold_in(seed, 1, alg=_PHILOX),
      minval=0, maxval=tf.maximum(pool_size, 1), dtype=tf.int32, alg=_PHILOX)
  random_chars = tf.gather(pool, tf.minimum(draw, pool_size - 1))

  # Each position emits up to two characters: [inserted, own-or-replacement].
  pairs = tf.stack([random_chars, tf.where(replace, random_chars, cps)], 1)
  present = tf.stack([insert, tf.logical_not(delete)], 1)
  return _encode(tf.boolean_mask(
      tf.reshape(pairs, [-1]), tf.reshape(present, [-1])))


def repetitions(text: tf.Tensor,
                seed: tf.Tensor,
                rate: float = 0.2,
                min_repeats: int = 1,
                max_repeats: int = 3) -> tf.Tensor:
  """Selects each character with probability `rate` and repeats it
  `min_repeats`..`max_repeats` extra times (uniformly)."""
  cps = _decode(text)
  u = _uniform(seed, 0, tf.shape(cps))
  extra = min_repeats + _bucket(u, rate, max_repeats - min_repeats + 1)
  counts = 1 + tf.where(u < rate, extra, 0)
  return _encode(tf.repeat(cps, counts))


def antspeak(text: tf.Tensor, seed: Optional[tf.Tensor] = None) -> tf.Tensor:
  """Uppercases every character and pads each with spaces:
  "abc" -> " A B C "."""
  del seed  # Deterministic.
  cps = _decode(tf.strings.upper(text, encoding="utf-8"))
  n = tf.size(cps)
  spaced = tf.reshape(tf.stack([tf.fill([n], _SPACE), cps], 1), [-1])
  closing = tf.fill([tf.minimum(n, 1)], _SPACE)  # None for the empty text.
  return _encode(tf.concat([spaced, closing], 0))


def uppercase(text: tf.Tensor, seed: Optional[tf.Tensor] = None) -> tf.Tensor:
  """Uppercases the whole text (Unicode full case mapping)."""
  del seed  # Deterministic.
  # The round trip turns invalid bytes into U+FFFD, like the other schemes.
  return tf.strings.upper(_encode(_decode(text)), encoding="utf-8")


def random_case(text: tf.Tensor, seed: tf.Tensor,
                rate: float = 0.5) -> tf.Tensor:
  """Uppercases each character with probability `rate`, else lowercases it."""
  chars = tf.strings.unicode_split(
      text, "UTF-8", errors="replace", replacement_char=0xFFFD)
  upper = _uniform(seed, 0, tf.shape(chars)) < rate
  cased = tf.where(upper,
                   tf.strings.upper(chars, encoding="utf-8"),
                   tf.strings.lower(chars, encoding="utf-8"))
  return tf.strings.reduce_join(cased)


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


@dataclasses.dataclass(frozen=True)
class NoiseScheme:
  """One scheme: its op, its paper defaults and what it does to caseless text.

  Attributes:
    name: the scheme's name, used in task names (`{task}.noise_{name}`).
    fn: `fn(text, seed, **params) -> text` on scalar `tf.string`s.
    defaults: the paper's parameters; every one can be overridden.
    case_only: the scheme only changes letter case, so it is the identity on
      text without case (Arabic, Devanagari, Thai, CJK, ...). A report should
      say so instead of presenting a zero drop as robustness.
    uses_case: the scheme changes letter case at all (`antspeak` does, and on
      caseless text it only inserts spaces).
    description: one line for reports.
  """
  name: str
  fn: Callable[..., tf.Tensor]
  defaults: Mapping[str, Any]
  case_only: bool
  uses_case: bool
  description: str
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

  def __call__(self, text: tf.Tensor, seed: tf.Tensor,
               **overrides: Any) -> tf.Tensor:
    return self.fn(text, seed, **self.params(overrides))


SCHEMES: Mapping[str, NoiseScheme] = {
    s.name: s for s in (
        NoiseScheme(
            "drop", drop, {"rate": 0.1}, case_only=False, uses_case=False,
            description="each character deleted with p=0.1",
            validate=lambda p: _check_rate("drop.rate", p["rate"])),
        NoiseScheme(
            "add_drop_mutate", add_drop_mutate,
            {"rate": 0.1, "alphabet": None}, case_only=False, uses_case=False,
            description=("with p=0.1 per character, insert / delete / replace "
                         "(uniformly); random characters from the same text"),
            validate=_check_add_drop_mutate),
        NoiseScheme(
            "repetitions", repetitions,
            {"rate": 0.2, "min_repeats": 1, "max_repeats": 3},
            case_only=False, uses_case=False,
            description="each character with p=0.2 repeated 1-3 extra times",
            validate=_check_repetitions),
        NoiseScheme(
            "antspeak", antspeak, {}, case_only=False, uses_case=True,
            description="uppercased, every character padded with spaces"),
        NoiseScheme(
            "uppercase", uppercase, {}, case_only=True, uses_case=True,
            description="whole text uppercased"),
        NoiseScheme(
            "random_case", random_case, {"rate": 0.5}, case_only=True,
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


def is_identity_without_case(name: str) -> bool:
  """Whether scheme `name` leaves text in a caseless script unchanged."""
  return get_scheme(name).case_only
