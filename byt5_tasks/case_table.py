"""Each character's own full case mappings, as lookup tables for TF graphs.

`random_case` upper- or lowercases every character on its own, and all case
schemes need a mapping that does not depend on the process's locale, unlike
ICU's `tf.strings.upper`/`lower` (`byt5_tasks.case_ops`). ICU also maps
whole strings, and some mappings change the character count ("ß" -> "SS",
"İ" -> "i̇"), so a mapped text does not line up with its source character by
character; splitting the text into characters and mapping each as a string
costs several times the clean eval pipeline. These tables instead give, for
every cased character (Python's `str.upper` and `str.lower` of that one
character, i.e. Unicode's unconditional full case mapping), the UTF-8 bytes
of both mappings, so a graph picks each character's output by one lookup on
its code point.

Layout: a code point's table entry is `offsets[cp >> BLOCK_BITS] + cp`; only
blocks of 2**BLOCK_BITS code points that hold a cased character get entries
(43 blocks, ~5,600 entries; every other block shares one all-caseless block).
Entry `e` has two byte ranges in `blob`: lowercase at row `2 * e` of
`begins`/`ends`, uppercase at row `2 * e + 1`; a caseless character's rows
are -1. No character above `MAX_CASED` has case (tested).
"""
import dataclasses
import functools
from typing import List, Tuple

import numpy as np

BLOCK_BITS = 7
MAX_CASED = 0x1FFFF  # Cased characters all lie in planes 0 and 1.


@dataclasses.dataclass(frozen=True)
class CaseTable:
  """Per-character lower/upper mappings; see the module docstring."""
  offsets: np.ndarray  # int32 [(MAX_CASED >> BLOCK_BITS) + 1]
  begins: np.ndarray  # int32 [2 * entries]; -1: caseless
  ends: np.ndarray  # int32 [2 * entries]
  blob: bytes  # The mappings' UTF-8 bytes, back to back.

  @property
  def blob_bytes(self) -> np.ndarray:
    return np.frombuffer(self.blob, np.uint8)


def has_case(char: str) -> bool:
  """Whether upper- or lowercasing changes the single character `char`."""
  return char.upper() != char or char.lower() != char


@functools.lru_cache(maxsize=None)
def cased_code_points() -> Tuple[int, ...]:
  """Every code point up to `MAX_CASED` that has case (surrogates have none).

  Computed once (~20 ms): each table below is built from it.
  """
  return tuple(cp for cp in range(MAX_CASED + 1)
               if not 0xD800 <= cp <= 0xDFFF and has_case(chr(cp)))


@functools.lru_cache(maxsize=None)
def case_table() -> CaseTable:
  """The table for this Python's Unicode database (built once, ~50 ms)."""
  cased = cased_code_points()
  block_size = 1 << BLOCK_BITS
  blocks = sorted({cp >> BLOCK_BITS for cp in cased})
  # Block row 0 is all caseless; cased block k gets row k + 1.
  row_of = {block: k + 1 for k, block in enumerate(blocks)}
  offsets = np.array(
      [row_of.get(block, 0) * block_size - (block << BLOCK_BITS)
       for block in range((MAX_CASED >> BLOCK_BITS) + 1)], np.int32)
  size = 2 * block_size * (len(blocks) + 1)
  begins = np.full(size, -1, np.int32)
  ends = np.full(size, -1, np.int32)
  blob = bytearray()
  for cp in cased:
    entry = int(offsets[cp >> BLOCK_BITS]) + cp
    for row, mapped in ((2 * entry, chr(cp).lower()),
                        (2 * entry + 1, chr(cp).upper())):
      begins[row] = len(blob)
      blob += mapped.encode("utf-8")
      ends[row] = len(blob)
  return CaseTable(offsets, begins, ends, bytes(blob))


# `byte_pair_mappings` entries: the new byte, what to add to the next byte,
# and whether the character must be decoded and spliced instead.
PAIR_CARRY_SHIFT = 8
PAIR_SPLICE = 1 << 16


@functools.lru_cache(maxsize=None)
def byte_pair_mappings() -> np.ndarray:
  """What case mapping does at each byte, by the byte and the next one.

  Entry `upper * 65536 + byte * 256 + next` (int32; upper = 0 lowercases)
  for a byte that begins a character:
  - ASCII: the mapped byte;
  - the lead of a 2-byte character whose mapping is 2 bytes (nearly every
    Latin, Greek and Cyrillic letter, and "ß" -> "SS"): the mapping's first
    byte, plus (second byte - `next`) mod 256 << `PAIR_CARRY_SHIFT`, which
    the graph adds to the next byte;
  - the lead of a character that may have case but cannot be mapped in
    place (a mapping of another length, "ı" -> "I"; 3- and 4-byte characters
    in a block of 64 or 4,096 code points holding a cased one): the byte,
    plus `PAIR_SPLICE`;
  - anything else (caseless, continuation bytes): the byte itself.
  So one lookup per byte maps whole Greek or Cyrillic texts without
  decoding them.
  """
  cased = cased_code_points()
  blocks_3 = {cp >> 6 for cp in cased if 0x800 <= cp < 0x10000}
  blocks_4 = {cp >> 12 for cp in cased if cp >= 0x10000}
  table = np.tile(np.arange(256, dtype=np.int32)[None, :, None], (2, 1, 256))
  continuations = range(0x80, 0xC0)
  for upper in (0, 1):
    for lead in range(0x80):
      char = chr(lead)
      table[upper, lead, :] = ord(char.upper() if upper else char.lower())
    for lead in range(0xC2, 0xE0):
      for following in continuations:
        char = bytes([lead, following]).decode("utf-8")
        mapped = (char.upper() if upper else char.lower()).encode("utf-8")
        if len(mapped) == 2:
          carry = (mapped[1] - following) % 256
          table[upper, lead, following] = (
              mapped[0] | carry << PAIR_CARRY_SHIFT)
        else:
          table[upper, lead, following] = lead | PAIR_SPLICE
    for lead in range(0xE0, 0xF5):
      for following in continuations:
        cased_block = (
            ((lead & 0x0F) << 6 | following & 0x3F) in blocks_3
            if lead < 0xF0 else
            ((lead & 0x07) << 6 | following & 0x3F) in blocks_4)
        if cased_block:
          table[upper, lead, following] = lead | PAIR_SPLICE
  return table.reshape(-1)


@functools.lru_cache(maxsize=None)
def cased_lead_byte_ranges() -> Tuple[Tuple[int, int], ...]:
  """Runs [low, high] of the first UTF-8 bytes of multi-byte cased characters.

  A multi-byte character whose first byte lies outside them has no case, so
  case mapping can pass it through without decoding it: Arabic, Devanagari,
  Thai and CJK text then costs no more than ASCII.
  """
  leads = sorted({chr(cp).encode("utf-8")[0] for cp in cased_code_points()
                  if cp >= 0x80})
  runs: List[List[int]] = []
  for lead in leads:
    if runs and runs[-1][1] == lead - 1:
      runs[-1][1] = lead
    else:
      runs.append([lead, lead])
  return tuple((low, high) for low, high in runs)
