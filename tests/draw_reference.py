"""A plain-Python SplitMix64, the reference for byt5_tasks.draws in tests."""
from byt5_tasks import draws

_MASK64 = 2**64 - 1


def splitmix64_output(key: int, stream: int = 0) -> int:
  """SplitMix64's output function at key * GAMMA + stream (64 bits)."""
  z = (key * draws.GAMMA + stream) & _MASK64
  z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
  z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
  return z ^ (z >> 31)


def splitmix64_bits(key: int, stream: int = 0) -> int:
  """Top 32 bits of SplitMix64's output at key * GAMMA + stream."""
  return splitmix64_output(key, stream) >> 32


def byte_draw(seed: int, offset: int) -> int:
  """The draw of byte `offset` of a text whose (masked) seed is `seed`."""
  output = splitmix64_output(seed + offset // 2)
  return output >> 32 if offset % 2 else output & 0xFFFFFFFF
