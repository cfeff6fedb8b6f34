"""The registered QA tasks on the real data yield exactly MANIFEST.md's counts."""
import os

import pytest
import seqio

from byt5_tasks import registry
from byt5_tasks import truncation

PREFIX = "realdata_byt5"

# From ../shared/data/MANIFEST.md.
XQUAD = {lang: 1190 for lang in
         ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi",
          "zh")}
TYDIQA_DEV = {"ar": 921, "bn": 113, "en": 440, "fi": 782, "id": 565,
              "ko": 276, "ru": 812, "sw": 499, "te": 669}
TYDIQA_TRAIN = {"en": 3696, "ko": 1625, "sw": 2755}

EXPECTED = (
    [(f"xquad_test.{l}", "test", n) for l, n in XQUAD.items()] +
    [("xquad_test.all_langs", "test", sum(XQUAD.values()))] +
    [(f"tydiqa_dev.{l}", "validation", n) for l, n in TYDIQA_DEV.items()] +
    [(f"tydiqa_train.{l}", "train", n) for l, n in TYDIQA_TRAIN.items()] +
    [("tydiqa_train_dev", "validation", sum(TYDIQA_DEV.values())),
     ("mlqa_dev_test.de", "validation", 512),
     ("squad_train_dev", "validation", 10570)])


@pytest.fixture(scope="module")
def registered():
  return registry.register_qa_tasks(
      prefix=PREFIX, source_kind="files",
      data_dir=os.environ["BYT5_TASKS_DATA_DIR"])


@pytest.mark.data
@pytest.mark.parametrize("stem, split, expected", EXPECTED,
                         ids=[f"{s}-{p}" for s, p, _ in EXPECTED])
def test_task_yields_the_manifest_count(registered, stem, split, expected):
  del registered
  ds = seqio.get_mixture_or_task(f"{PREFIX}_{stem}").get_dataset(
      sequence_length=None, split=split, shuffle=False, use_cached=False)
  assert int(ds.reduce(0, lambda n, _: n + 1)) == expected


@pytest.mark.data
def test_missing_split_names_the_expected_files(registered):
  del registered
  task = seqio.get_mixture_or_task(f"{PREFIX}_squad_train_dev")
  with pytest.raises(FileNotFoundError, match="squad/train-v1.1.json"):
    task.get_dataset(sequence_length=None, split="train", shuffle=False)


@pytest.mark.data
def test_truncation_on_xquad_is_counted(registered):
  del registered
  stats = truncation.task_truncation(f"{PREFIX}_xquad_test.de", "test", 1024)
  assert stats.examples == 1190
  # German XQuAD contexts run to ~3 kB: some are cut, fewer lose the answer.
  assert 0 < stats.answer_lost < stats.truncated < stats.examples
  assert stats.longest > 1024
