"""Finds and reads the eval outputs T5X leaves in a run directory.

T5X's train/eval binaries hand seqio.Evaluator `log_dir={model_dir or
EVAL_OUTPUT_DIR}/inference_eval`, and seqio's JSONLogger writes there:
  * `{task}-metrics.jsonl`: one JSON object per evaluation, appended,
    `{"step": N, "<metric>": value, ...}`; scalar metrics are stored as plain
    numbers (`Scalar.value`); a step of None is stored as -1.
  * `{task}-{step:06}.jsonl`: one line per logged example (`input`, `target`,
    `prediction`), capped by JSON_WRITE_N_RESULTS (None = all).
We only read what we need: EM/F1 per task and step, and how many examples
were logged, so a noisy/clean pair evaluated on different subsets is visible.
Files are read through tf.io.gfile, so run directories on gs:// work as well.
"""
import dataclasses
import json
import math
import os
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

METRICS_SUFFIX = "-metrics.jsonl"
CLEAN = "clean"
# Benchmarks whose tasks carry no language suffix but are monolingual.
_MONOLINGUAL = {"squad": "en"}
ALL_LANGS = "all"

_TASK_RE = re.compile(
    r"^(?P<prefix>[a-z][a-z0-9]*)_(?P<benchmark>[a-z][a-z0-9_]*?)"
    r"(?:\.(?!noise_)(?P<lang>[A-Za-z][A-Za-z_-]*))?"
    r"(?:\.noise_(?P<scheme>[a-z][a-z0-9_]*))?$")
# Keys our QA metric functions return, and spellings other metric code uses.
_METRIC_ALIASES = {"em": "em", "exact_match": "em", "f1": "f1"}


def _gfile():
  """tf.io.gfile, imported on first use (TF is slow to import)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.io.gfile


class ReportError(ValueError):
  """A run directory or option the report cannot work with at all."""


def dir_name(path: str) -> str:
  """A run's default label: its directory's name (the model dir's, if given
  the inference_eval dir itself); local or gs:// paths."""
  if "://" not in path:
    path = os.path.abspath(path)
  path = path.rstrip("/")
  if os.path.basename(path) == "inference_eval":
    path = os.path.dirname(path)
  return os.path.basename(path)


@dataclasses.dataclass(frozen=True)
class TaskName:
  """The parts of a task name such as `byt5_xquad_test.es.noise_drop`."""
  task: str
  prefix: str  # vocabulary family: byt5 / mt5
  benchmark: str  # e.g. xquad_test, mlqa_dev_test, tydiqa_dev
  lang: str  # "es"; ALL_LANGS for multilingual tasks without a suffix
  scheme: str  # CLEAN or a noise scheme name

  @property
  def key(self) -> Tuple[str, str, str]:
    return (self.benchmark, self.lang, self.scheme)


def parse_task_name(task: str) -> Optional[TaskName]:
  """Splits a task name; None if it is not `{prefix}_{benchmark}[.lang][.noise_x]`."""
  match = _TASK_RE.match(task)
  if not match:
    return None
  benchmark = match["benchmark"]
  lang = match["lang"]
  if lang is None or lang == "all_langs":
    lang = _MONOLINGUAL.get(benchmark.split("_")[0], ALL_LANGS)
  return TaskName(task=task, prefix=match["prefix"], benchmark=benchmark,
                  lang=lang, scheme=match["scheme"] or CLEAN)


@dataclasses.dataclass
class TaskLog:
  """Everything one `{task}-metrics.jsonl` says: metrics per step."""
  task: str
  path: str
  steps: Dict[int, Dict[str, Any]]  # the last line for each step wins
  bad_lines: List[str]


def metric_number(value: Any) -> Optional[float]:
  """A metric value as a float, whichever way it was serialized.

  JSONLogger stores `Scalar.value` (a plain number); a dataclass-encoded
  Scalar looks like {"value": x}; a Generic one-element tensor like [x].
  """
  if isinstance(value, bool):
    return None
  if isinstance(value, (int, float)):
    return None if math.isnan(value) else float(value)
  if isinstance(value, Mapping) and "value" in value:
    return metric_number(value["value"])
  if isinstance(value, list) and len(value) == 1:
    return metric_number(value[0])
  return None


def _task_of(metrics_path: str) -> str:
  return os.path.basename(metrics_path)[:-len(METRICS_SUFFIX)]


def read_metrics_file(path: str) -> TaskLog:
  """Reads one metrics file; malformed lines are kept aside, not fatal."""
  task = _task_of(path)
  steps: Dict[int, Dict[str, Any]] = {}
  bad: List[str] = []
  with _gfile().GFile(path, "r") as f:
    for line_no, line in enumerate(f.read().splitlines(), start=1):
      if not line.strip():
        continue
      try:
        record = json.loads(line)
      except json.JSONDecodeError as e:
        bad.append(f"{path}:{line_no}: not JSON ({e.msg})")
        continue
      step = record.get("step") if isinstance(record, dict) else None
      if isinstance(step, bool) or not isinstance(step, int):
        bad.append(f"{path}:{line_no}: no integer 'step'")
        continue
      steps[step] = {k: v for k, v in record.items() if k != "step"}
  return TaskLog(task=task, path=path, steps=steps, bad_lines=bad)


def qa_metrics(record: Mapping[str, Any]) -> Dict[str, float]:
  """The EM/F1 numbers in one metrics record (missing keys left out)."""
  out = {}
  for key, value in record.items():
    name = _METRIC_ALIASES.get(key.lower())
    number = metric_number(value)
    if name and number is not None:
      out[name] = number
  return out


def inference_path(metrics_path: str, step: int) -> str:
  """Where JSONLogger puts the inferences of this task at `step`."""
  return os.path.join(os.path.dirname(metrics_path),
                      f"{_task_of(metrics_path)}-{step:06}.jsonl")


def count_logged_examples(path: str) -> Optional[int]:
  """Number of examples in an inference file, or None if there is none."""
  if not _gfile().exists(path):
    return None
  with _gfile().GFile(path, "rb") as f:
    return sum(1 for line in f if line.strip())


# Where metrics files sit relative to what a user may pass as a run: the
# inference_eval dir itself, a model dir / EVAL_OUTPUT_DIR, or a directory of
# several eval output dirs (one per benchmark). Globs, not a recursive walk,
# so checkpoint directories (large, possibly on GCS) are never listed.
_LAYOUTS = ("", "inference_eval", os.path.join("*", "inference_eval"))


def find_metrics_files(run_dir: str) -> List[str]:
  """All metrics files of a run directory (see _LAYOUTS)."""
  if not _gfile().isdir(run_dir):
    raise ReportError(f"run directory {run_dir} does not exist")
  found = set()
  for layout in _LAYOUTS:
    pattern = os.path.join(run_dir, layout, f"*{METRICS_SUFFIX}")
    found.update(_gfile().glob(pattern))
  return sorted(found)


@dataclasses.dataclass
class Score:
  """EM/F1 of one task at the chosen step (None where unknown)."""
  em: Optional[float]
  f1: Optional[float]
  n_examples: Optional[int]


@dataclasses.dataclass
class RunResults:
  """One run's QA scores at one step, plus what could not be read."""
  label: str
  run_dir: str
  step: Optional[int]
  scores: Dict[Tuple[str, str, str], Score]
  # Tasks that exist but were not evaluated at `step`: key -> steps present.
  other_steps: Dict[Tuple[str, str, str], List[int]]
  notes: List[str]
  counts: Dict[str, int]


def _task_logs(run_dir: str, notes: List[str],
               counts: Dict[str, int]) -> Dict[Tuple[str, str, str],
                                                Tuple[TaskName, TaskLog]]:
  """Reads every metrics file of a run, keyed by (benchmark, lang, scheme)."""
  logs: Dict[Tuple[str, str, str], Tuple[TaskName, TaskLog]] = {}
  for path in find_metrics_files(run_dir):
    counts["metrics_files"] += 1
    log = read_metrics_file(path)
    counts["bad_lines"] += len(log.bad_lines)
    notes.extend(f"skipped line {b}" for b in log.bad_lines)
    name = parse_task_name(log.task)
    has_qa = any(qa_metrics(r) for r in log.steps.values())
    if name is None or not has_qa:
      counts["ignored_tasks"] += 1
      notes.append(f"ignored {path} (not a QA task with em/f1)")
      continue
    if name.key in logs:
      kept = logs[name.key][1].path
      notes.append(f"{name.task}: {path} duplicates {kept}; using the first")
      counts["duplicate_tasks"] += 1
      continue
    logs[name.key] = (name, log)
    counts["qa_tasks"] += 1
  return logs


def load_run(run_dir: str, label: Optional[str] = None,
             step: Optional[int] = None) -> RunResults:
  """Reads a run's QA scores at `step` (default: the latest step seen)."""
  path = run_dir
  notes: List[str] = []
  counts = {k: 0 for k in ("metrics_files", "bad_lines", "ignored_tasks",
                           "duplicate_tasks", "qa_tasks", "tasks_at_step")}
  logs = _task_logs(path, notes, counts)
  all_steps = {s for _, log in logs.values() for s in log.steps}
  if step is None and all_steps:
    step = max(all_steps)
  if not logs:
    notes.append(f"no QA metrics files found under {path}")
  elif step not in all_steps:
    notes.append(f"no task was evaluated at step {step}; steps present: "
                 f"{sorted(all_steps)}")
  scores: Dict[Tuple[str, str, str], Score] = {}
  other_steps: Dict[Tuple[str, str, str], List[int]] = {}
  for key, (_, log) in sorted(logs.items()):
    if step not in log.steps:
      other_steps[key] = sorted(log.steps)
      continue
    metrics = qa_metrics(log.steps[step])
    scores[key] = Score(
        em=metrics.get("em"), f1=metrics.get("f1"),
        n_examples=count_logged_examples(inference_path(log.path, step)))
    counts["tasks_at_step"] += 1
  return RunResults(label=label or dir_name(path), run_dir=path,
                    step=step, scores=scores, other_steps=other_steps,
                    notes=notes, counts=counts)
