"""Registers every byt5-tasks task and mixture. T5X gin files import this.

Data comes from TFDS unless `$BYT5_TASKS_DATA_DIR` is set (then from files in
the layout the README describes); `$BYT5_TASKS_SOURCE` forces one or the other.
"""
from byt5_tasks import mc4
from byt5_tasks import registry
from byt5_tasks import vocab

# `byt5_mc4.{lang}` for every mC4 language, `byt5_mc4_{family}` per family.
PRETRAINING = mc4.register_pretraining_tasks()

QA_TASKS = registry.register_qa_tasks(prefix="byt5")
# Identical examples over mT5's SentencePiece vocabulary, so released mT5
# checkpoints are fine-tuned and evaluated on the same data.
MT5_QA_TASKS = registry.register_qa_tasks(
    prefix="mt5", output_features=vocab.mt5_output_features())

# Noised variants of every QA setup, for both vocabularies: unseen noise
# (`..._noise_eval` mixtures) and learnable noise (`{setup}.noise_{scheme}`).
NOISE_VARIANTS = (registry.register_qa_noise_variants(prefix="byt5") +
                  registry.register_qa_noise_variants(prefix="mt5"))
