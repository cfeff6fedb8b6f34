"""A plain-Python SplitMix64, the reference for byt5_tasks.draws in tests."""
from byt5_tasks import draws

_MASK64 = 2**64 - 1


def splitmix64_bits(key: int, stream: int = 0) -> int:
  """Top 32 bits of SplitMix64's output function at key * GAMMA + stream."""
  z = (key * draws.GAMMA + stream) & _MASK64
  z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
  z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
  return (z ^ (z >> 31)) >> 32
