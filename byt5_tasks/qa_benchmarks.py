"""The extractive-QA benchmarks as data: languages, splits, where each lives.

Each registered QA task is built from one `QATaskSpec`; a spec says, per seqio
split, which parts (one language of one dataset) it concatenates and where each
part is found in TFDS and under the data directory. Registration code
(`byt5_tasks.registry`) only walks these tables.
"""
import dataclasses
from typing import Mapping, Optional, Tuple

SQUAD_TFDS = "squad/v1.1:3.0.0"
# The TFDS version that tensorflow-datasets 4.9.x builds (the ByT5 repo used
# 2.1.0, which current TFDS no longer builds; 3.0.0 fixes misaligned spans).
TYDIQA_TFDS = "tydi_qa/goldp:3.0.0"

XQUAD_LANGS = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi",
               "zh")
# TFDS's xquad builder predates the Romanian release; files only.
XQUAD_TFDS_LANGS = tuple(lang for lang in XQUAD_LANGS if lang != "ro")
MLQA_LANGS = ("ar", "de", "en", "es", "hi", "vi", "zh")
TYDIQA_LANGS = ("ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te")

METRIC_SQUAD = "squad"
METRIC_MLQA = "mlqa"


@dataclasses.dataclass(frozen=True)
class QAPart:
  """One language of one split of one dataset, and where to find it.

  Attributes:
    lang: language code of every question in the part.
    files: candidate paths under `{data_dir}/qa/`, without `.json`/`.json.gz`;
      the first that exists is read.
    tfds_name: TFDS dataset name with version, or None if TFDS lacks it.
    tfds_split: TFDS split name.
    lang_from_id: questions carry their language in the id (TyDiQA); keep
      only those of `lang`. Lets one combined file serve every language.
  """
  lang: str
  files: Tuple[str, ...]
  tfds_name: Optional[str]
  tfds_split: str
  lang_from_id: bool = False


@dataclasses.dataclass(frozen=True)
class QATaskSpec:
  """A QA task before the vocabulary prefix: `{prefix}_{stem}`."""
  stem: str
  splits: Mapping[str, Tuple[QAPart, ...]]
  metric: str = METRIC_SQUAD
  # Language for the metric's normalisation (MLQA) and for reports.
  lang: Optional[str] = None


def _squad_parts(split: str) -> Tuple[QAPart, ...]:
  file_split = {"train": "train", "validation": "dev"}[split]
  return (QAPart("en", (f"squad/{file_split}-v1.1",), SQUAD_TFDS, split),)


def _xquad_part(lang: str) -> QAPart:
  tfds_name = f"xquad/{lang}:3.0.0" if lang in XQUAD_TFDS_LANGS else None
  return QAPart(lang, (f"xquad/xquad.{lang}",), tfds_name, "test")


def _mlqa_part(lang: str, split: str) -> QAPart:
  file_split = {"validation": "dev", "test": "test"}[split]
  stem = f"{file_split}/{file_split}-context-{lang}-question-{lang}"
  return QAPart(lang, (f"mlqa/{stem}",), f"mlqa/{lang}:1.0.0", split)


def _tydiqa_part(lang: str, split: str) -> QAPart:
  file_split = {"train": "train", "validation": "dev"}[split]
  per_lang = f"tydiqa/{file_split}/tydiqa-goldp-v1.1-{file_split}-{lang}"
  combined = f"tydiqa-goldp-v1.1-{file_split}"
  # TFDS has per-language validation splits but one train split.
  tfds_split = f"validation-{lang}" if split == "validation" else "train"
  return QAPart(lang, (per_lang, f"tydiqa/{file_split}/{combined}",
                       f"tydiqa/{combined}"),
                TYDIQA_TFDS, tfds_split, lang_from_id=True)


def qa_task_specs() -> Tuple[QATaskSpec, ...]:
  """Every QA task we register, named as in the ByT5 repository."""
  specs = [
      QATaskSpec("squad_train_dev", {
          "train": _squad_parts("train"),
          "validation": _squad_parts("validation"),
      }, lang="en"),
      QATaskSpec("xquad_test.all_langs",
                 {"test": tuple(_xquad_part(l) for l in XQUAD_LANGS)}),
      QATaskSpec("tydiqa_train_dev", {
          split: tuple(_tydiqa_part(l, split) for l in TYDIQA_LANGS)
          for split in ("train", "validation")
      }),
  ]
  specs += [
      QATaskSpec(f"xquad_test.{lang}", {"test": (_xquad_part(lang),)},
                 lang=lang) for lang in XQUAD_LANGS
  ]
  specs += [
      QATaskSpec(f"mlqa_dev_test.{lang}", {
          split: (_mlqa_part(lang, split),)
          for split in ("validation", "test")
      }, metric=METRIC_MLQA, lang=lang) for lang in MLQA_LANGS
  ]
  specs += [
      QATaskSpec(f"tydiqa_dev.{lang}",
                 {"validation": (_tydiqa_part(lang, "validation"),)},
                 lang=lang) for lang in TYDIQA_LANGS
  ]
  specs += [
      QATaskSpec(f"tydiqa_train.{lang}",
                 {"train": (_tydiqa_part(lang, "train"),)},
                 lang=lang) for lang in TYDIQA_LANGS
  ]
  return tuple(specs)


@dataclasses.dataclass(frozen=True)
class QAMixtureSpec:
  """A fine-tuning setup: training tasks plus the tasks it is evaluated on."""
  stem: str
  train: Tuple[str, ...]
  evaluate: Tuple[str, ...]

  @property
  def tasks(self) -> Tuple[str, ...]:
    return self.train + self.evaluate


def qa_mixture_specs() -> Tuple[QAMixtureSpec, ...]:
  """The zero-shot and in-language setups of the ByT5/mT5 papers."""
  xquad = tuple(f"xquad_test.{l}" for l in XQUAD_LANGS)
  mlqa = tuple(f"mlqa_dev_test.{l}" for l in MLQA_LANGS)
  tydiqa = tuple(f"tydiqa_dev.{l}" for l in TYDIQA_LANGS)
  return (
      QAMixtureSpec("xquad_zeroshot", ("squad_train_dev",),
                    ("xquad_test.all_langs",) + xquad),
      QAMixtureSpec("mlqa_zeroshot", ("squad_train_dev",), mlqa),
      QAMixtureSpec("tydiqa_zeroshot", ("tydiqa_train.en",), tydiqa),
      QAMixtureSpec("tydiqa", ("tydiqa_train_dev",), tydiqa),
  )
