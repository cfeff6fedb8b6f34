"""Public helpers that register our tasks and mixtures with seqio.

Other T5X projects import these to register QA tasks with their own
vocabulary or data, family mixtures for their own languages, and noised
variants of their own tasks. `byt5_tasks.tasks` calls them over our tables.
The pretraining and noise helpers live next to their code and are re-exported
here so one module holds the whole public registration API:

  register_qa_tasks / register_qa_task / register_qa_mixture   (this module)
  register_family                  a language family (byt5_tasks.languages)
  register_family_mixture          `byt5_mc4_{family}` (byt5_tasks.mc4)
  register_noised_variants         `{name}.noise_{scheme}` (byt5_tasks.noised)
  register_noise_eval_mixture      clean + noised eval in one mixture
  register_learnable_noise_variants  noise in fine-tuning and evaluation
"""
from typing import Callable, List, Mapping, Optional, Sequence

import seqio

from byt5_tasks import metrics
from byt5_tasks import qa
from byt5_tasks import qa_files
from byt5_tasks import qa_sources
from byt5_tasks import vocab
from byt5_tasks.languages import register_family  # pylint: disable=unused-import
from byt5_tasks.mc4 import register_family_mixture  # pylint: disable=unused-import
from byt5_tasks.noised import register_learnable_noise_variants  # pylint: disable=unused-import
from byt5_tasks.noised import register_noise_eval_mixture  # pylint: disable=unused-import
from byt5_tasks.noised import register_noised_variants  # pylint: disable=unused-import
from byt5_tasks.noised import noised_name  # pylint: disable=unused-import
from byt5_tasks.qa_benchmarks import METRIC_MLQA
from byt5_tasks.qa_benchmarks import QAMixtureSpec
from byt5_tasks.qa_benchmarks import QATaskSpec
from byt5_tasks.qa_benchmarks import qa_mixture_specs
from byt5_tasks.qa_benchmarks import qa_task_specs

OutputFeatures = Mapping[str, seqio.Feature]


def _metric_fns(spec: QATaskSpec) -> List[Callable]:
  if spec.metric == METRIC_MLQA:
    return [metrics.mlqa_metric(spec.lang)]
  return [metrics.squad]


def qa_preprocessors() -> List[Callable]:
  """The QA pipeline after the source; noise goes in front of it."""
  return [
      qa.format_qa,
      seqio.preprocessors.tokenize,
      seqio.CacheDatasetPlaceholder(),
      seqio.preprocessors.append_eos_after_trim,
  ]


def register_qa_task(name: str, spec: QATaskSpec,
                     output_features: OutputFeatures,
                     source_kind: Optional[str] = None,
                     data_dir: Optional[str] = None,
                     on_error: str = qa_files.ON_ERROR_DROP) -> seqio.Task:
  """Registers one QA task (replacing one of the same name).

  Args:
    name: the task name, e.g. `byt5_xquad_test.es`.
    spec: which data, splits and metric.
    output_features: `inputs`/`targets` features (byte or SentencePiece).
    source_kind: `tfds` or `files`; default from `$BYT5_TASKS_SOURCE`.
    data_dir: root of the files layout; default `$BYT5_TASKS_DATA_DIR`.
    on_error: `drop` (and count) or `raise` on unusable questions in files.
  """
  seqio.TaskRegistry.remove(name)
  return seqio.TaskRegistry.add(
      name,
      source=qa_sources.qa_source(spec.splits, source_kind, data_dir,
                                  on_error),
      preprocessors=qa_preprocessors(),
      output_features=output_features,
      postprocess_fn=qa.postprocess_qa,
      metric_fns=_metric_fns(spec))


def register_qa_mixture(name: str, tasks: Sequence[str],
                        default_rate: float = 1.0) -> seqio.Mixture:
  """Registers a mixture of already registered tasks (replacing one)."""
  seqio.MixtureRegistry.remove(name)
  return seqio.MixtureRegistry.add(name, list(tasks), default_rate=default_rate)


def register_qa_tasks(prefix: str = "byt5",
                      output_features: Optional[OutputFeatures] = None,
                      source_kind: Optional[str] = None,
                      data_dir: Optional[str] = None,
                      task_specs: Optional[Sequence[QATaskSpec]] = None,
                      mixture_specs: Optional[Sequence[QAMixtureSpec]] = None,
                      ) -> List[str]:
  """Registers every QA task and setup mixture under `{prefix}_...`.

  With the defaults this gives `byt5_xquad_test.es`, `byt5_mlqa_dev_test.de`,
  `byt5_xquad_zeroshot`, ... over the byte vocabulary. Pass
  `output_features` (e.g. `vocab.mt5_output_features(path)`) and another
  prefix to get the same examples under another vocabulary.

  Returns:
    The registered task and mixture names.
  """
  if output_features is None:
    output_features = vocab.byte_output_features()
  names = []
  for spec in task_specs or qa_task_specs():
    name = f"{prefix}_{spec.stem}"
    register_qa_task(name, spec, output_features, source_kind, data_dir)
    names.append(name)
  for mixture in mixture_specs or qa_mixture_specs():
    name = f"{prefix}_{mixture.stem}"
    register_qa_mixture(name, [f"{prefix}_{t}" for t in mixture.tasks])
    names.append(name)
  return names


def noise_eval_mixture_name(prefix: str, setup: str) -> str:
  """`{prefix}_{setup}_noise_eval`: a setup's clean and noised eval tasks."""
  return f"{prefix}_{setup}_noise_eval"


def register_qa_noise_variants(
    prefix: str = "byt5",
    mixture_specs: Optional[Sequence[QAMixtureSpec]] = None,
    seed: int = 0) -> List[str]:
  """Registers both noise settings of the paper for every QA setup.

  "Unseen" noise: `{prefix}_{eval task}.noise_{scheme}` for every eval task
  and scheme, gathered with the clean tasks in `{prefix}_{setup}_noise_eval`
  so one T5X eval run scores clean + all six schemes. The per-language
  tasks cover `xquad_test.all_langs`, so it is left out rather than scored
  twice. "Learnable" noise: `{prefix}_{setup}.noise_{scheme}`, noised in
  fine-tuning and evaluation. Registered at import so seqio cache jobs,
  which select tasks by name, can materialise the corrupted benchmarks.

  Returns:
    The registered names.
  """
  names: List[str] = []
  for setup in mixture_specs or qa_mixture_specs():
    eval_tasks = [f"{prefix}_{t}" for t in setup.evaluate
                  if not t.endswith(".all_langs")]
    names += register_noise_eval_mixture(
        noise_eval_mixture_name(prefix, setup.stem), eval_tasks, seed=seed)
    names += register_learnable_noise_variants(f"{prefix}_{setup.stem}",
                                               seed=seed)
  return names
