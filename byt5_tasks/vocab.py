"""Vocabularies and output features shared by every task.

ByT5 tasks use `seqio.ByteVocabulary` (UTF-8 bytes, ids 3..258). The same QA
tasks also exist with the mT5 SentencePiece vocabulary so released mT5
checkpoints are fine-tuned on identical examples.
"""
import functools
from typing import Mapping, Optional

import seqio

from byt5_tasks import config

BYTE_VOCAB = seqio.ByteVocabulary()


def byte_output_features() -> Mapping[str, seqio.Feature]:
  """`inputs`/`targets` over bytes, each ending in EOS, as ByT5 trains."""
  return {
      "inputs": seqio.Feature(vocabulary=BYTE_VOCAB, add_eos=True),
      "targets": seqio.Feature(vocabulary=BYTE_VOCAB, add_eos=True),
  }


@functools.lru_cache(maxsize=None)
def mt5_vocabulary(path: Optional[str] = None) -> seqio.SentencePieceVocabulary:
  """mT5's SentencePiece vocabulary; loaded lazily, so a gs:// path costs
  nothing until a dataset is actually built."""
  return seqio.SentencePieceVocabulary(path or config.mt5_vocab_path())


def mt5_output_features(
    path: Optional[str] = None) -> Mapping[str, seqio.Feature]:
  """`inputs`/`targets` over mT5's SentencePiece pieces."""
  vocab = mt5_vocabulary(path)
  return {
      "inputs": seqio.Feature(vocabulary=vocab, add_eos=True),
      "targets": seqio.Feature(vocabulary=vocab, add_eos=True),
  }


# Vocabulary families a QA task can be registered with, by name prefix.
OUTPUT_FEATURES_BY_PREFIX = {
    "byt5": byte_output_features,
    "mt5": mt5_output_features,
}
