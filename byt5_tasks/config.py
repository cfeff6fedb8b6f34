"""Run-time configuration read from the environment.

T5X binaries import our task module from a gin file, so environment variables
are the one knob that reaches registration without code edits.
"""
import os
from typing import Optional

DATA_DIR_ENV = "BYT5_TASKS_DATA_DIR"
SOURCE_ENV = "BYT5_TASKS_SOURCE"
MT5_VOCAB_ENV = "BYT5_TASKS_MT5_VOCAB"

DEFAULT_MT5_VOCAB = "gs://t5-data/vocabs/mc4.250000.100extra/sentencepiece.model"

SOURCE_TFDS = "tfds"
SOURCE_FILES = "files"
_SOURCE_CHOICES = ("auto", SOURCE_TFDS, SOURCE_FILES)


def data_dir() -> Optional[str]:
  """The directory of SQuAD-format JSON and mC4 shards, or None (use TFDS)."""
  return os.environ.get(DATA_DIR_ENV) or None


def source_kind() -> str:
  """Where tasks read from: `files` under `data_dir()`, or `tfds`.

  `auto` (the default) reads files when a data directory is set, else TFDS.
  """
  choice = os.environ.get(SOURCE_ENV, "auto").lower()
  if choice not in _SOURCE_CHOICES:
    raise ValueError(
        f"${SOURCE_ENV}={choice!r}: expected one of {', '.join(_SOURCE_CHOICES)}")
  if choice == "auto":
    return SOURCE_FILES if data_dir() else SOURCE_TFDS
  if choice == SOURCE_FILES and not data_dir():
    raise ValueError(f"${SOURCE_ENV}=files needs ${DATA_DIR_ENV} to be set")
  return choice


def mt5_vocab_path() -> str:
  """The mT5 SentencePiece model; the public gs:// one unless overridden."""
  return os.environ.get(MT5_VOCAB_ENV) or DEFAULT_MT5_VOCAB
