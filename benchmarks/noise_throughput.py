"""Eval-pipeline throughput of XQuAD, clean vs each noise scheme, on one core.

Builds the registered `byt5_xquad_test.{lang}` tasks from
`$BYT5_TASKS_DATA_DIR` (files source) and their `.noise_{scheme}` variants,
and times the whole eval pipeline (source, noise, formatting, byte
tokenization, EOS, trimming; for T5X's input also the feature converter) per
variant. The process is pinned to one CPU
and TensorFlow and tf.data get one thread each, so the figure is per core.
Target: every noised variant at least 0.8x the clean pipeline.

  BYT5_TASKS_DATA_DIR=../shared/data python benchmarks/noise_throughput.py

Each variant is timed in two pipelines (`--pipelines`):
- `t5x`: what T5X's inference evaluation (`t5x.eval`, and the decoding evals
  of `t5x.train`) feeds the model: the task dataset through
  `seqio.EncDecFeatureConverter(pack=False)` (the converter of the ByT5/mT5
  encoder-decoder models) at the same lengths, enumerated as
  `seqio.Evaluator` does, in dense batches of 64, as its `infer_fn` batches
  them. This is the eval pipeline a T5X user runs (when
  `DatasetConfig.use_memory_cache` is off; when on, the default, the task
  dataset runs once per eval job).
- `task`: the task dataset alone, every feature, batched (64, ragged): what
  a seqio cache job or a custom loop reads. The noise is a larger share of
  this pipeline, so it is the stricter figure.
Examples reach Python in batches, so the figures are the pipelines' cost, not
Python's per-example iteration cost. Each variant's datasets are built once
(tracing; timed and printed separately, as T5X also builds eval datasets
once) and iterated once to warm up. Then each of `--rounds` rounds goes
through the languages and, per pipeline, times every variant on each language in
turn (the order rotating), so a slow spell of the machine hits all variants
of a language alike. Reported per pipeline are: the rate from each variant's
best time per language, its ratio to clean's, and the median over rounds of
the ratio to the clean pass of the same round; per example, the CPU time, the
part of it spent in the kernel and the process's context switches.

Pinned to one core, the pipeline's tf.data threads (seqio's parallel maps)
switch ~20 times per example and spend about a quarter of their CPU time in
the kernel; how long they wait on one another moves the wall-clock figures
from run to run. So the script also times the noise preprocessor alone --
`noised.noise_features` on the source examples held in memory, against those
examples without it, in the same rounds -- the cost this package controls.
"""
import argparse
import gc
import os
import resource
import statistics
import sys
import time
from typing import Callable, Dict, List, NamedTuple, Optional

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # pylint: disable=g-import-not-at-top

DEFAULT_LANGS = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr",
                 "vi", "zh")
PIPELINES = ("t5x", "task")


def _pin_to_one_core() -> None:
  if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
  tf.config.threading.set_inter_op_parallelism_threads(1)
  tf.config.threading.set_intra_op_parallelism_threads(1)


def _on_one_thread(dataset):
  """`dataset` run by tf.data on a single thread."""
  options = tf.data.Options()
  options.threading.private_threadpool_size = 1
  return dataset.with_options(options)


def _ragged_batches(dataset, batch_size: int = 64):
  """Every feature of the examples, in ragged batches, on one thread."""
  return _on_one_thread(dataset.ragged_batch(batch_size))


def _t5x_eval_input(dataset, sequence_length, batch_size: int = 64):
  """The task dataset as T5X's inference evaluation feeds it to the model.

  `seqio.Evaluator` converts it with the model's feature converter (without
  packing) and enumerates it; T5X's `infer_fn` batches it densely.
  """
  import seqio  # pylint: disable=g-import-not-at-top
  converted = seqio.EncDecFeatureConverter(pack=False)(dataset,
                                                       sequence_length)
  return _on_one_thread(converted.enumerate().batch(batch_size))


# Per pipeline: how to build it from a task dataset (already trimmed to the
# sequence length), and how to count a batch.
_PIPELINE_FNS = {"t5x": _t5x_eval_input,
                 "task": lambda dataset, sequence_length: _ragged_batches(
                     dataset)}
_ROW_COUNTS = {"t5x": lambda batch: tf.shape(batch[0])[0],
               "task": lambda batch: batch["inputs"].nrows()}


def _build(task_names, sequence_length, pipeline_fn: Callable):
  """The eval datasets of `task_names`, each finished by `pipeline_fn`.

  Building traces every preprocessor (a one-off cost, timed separately).
  """
  import seqio  # pylint: disable=g-import-not-at-top
  return [
      pipeline_fn(seqio.get_mixture_or_task(name).get_dataset(
          sequence_length=sequence_length, split="test", shuffle=False,
          use_cached=False), sequence_length)
      for name in task_names
  ]


class Pass(NamedTuple):
  """What one pass over a dataset took."""
  examples: int
  wall: float  # Seconds.
  cpu: float  # Seconds, user + kernel, all threads of the process.
  kernel: float  # Seconds of `cpu` spent in the kernel.
  switches: int  # Context switches of the process, voluntary or not.


def _one_pass(dataset, count_rows: Callable) -> Pass:
  """Times one pass over `dataset` (batches; `count_rows` counts examples).

  Python's garbage collector is off while timing, as in `timeit`: a
  collection triggered by some other allocation would land on whichever pass
  happens to run then. CPU time counts all threads of the process (all on
  the one pinned core); wall time also counts the core sitting idle while
  tf.data's threads wait on one another.
  """
  gc.collect()
  gc.disable()
  try:
    start, before = time.perf_counter(), resource.getrusage(
        resource.RUSAGE_SELF)
    count = 0
    for batch in dataset:
      count += int(count_rows(batch))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    kernel = after.ru_stime - before.ru_stime
    return Pass(count, wall, after.ru_utime - before.ru_utime + kernel, kernel,
                (after.ru_nvcsw + after.ru_nivcsw) -
                (before.ru_nvcsw + before.ru_nivcsw))
  finally:
    gc.enable()


def _preprocessor_alone(clean_tasks, schemes, batch_size: int = 64):
  """Per scheme (and `None`: no noise), `noise_features` over each task's
  source examples held in memory, in ragged batches: the noise's own cost,
  without seqio's parallel maps switching threads around it."""
  import seqio  # pylint: disable=g-import-not-at-top
  from byt5_tasks import noised  # pylint: disable=g-import-not-at-top
  sources = [seqio.get_mixture_or_task(name).source.get_dataset(
      "test", shuffle=False).cache() for name in clean_tasks]
  for source in sources:  # Fills the caches.
    for _ in source:
      pass
  return {scheme: [
      _ragged_batches(source if scheme is None else noised.noise_features(
          source, scheme=scheme), batch_size)
      for source in sources]
          for scheme in [None, *schemes]}


def _per_example(passes: List[List[Pass]], field: str,
                 baseline: Optional[List[List[Pass]]] = None) -> float:
  """Median over rounds of a field summed over languages, per example
  (minus the same rounds' `baseline`)."""
  def total(round_passes):
    return sum(getattr(p, field) for p in round_passes)
  return statistics.median(
      (total(r) - (total(b) if baseline else 0)) / sum(p.examples for p in r)
      for r, b in zip(passes, baseline or passes))


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--langs", default=",".join(DEFAULT_LANGS))
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument("--pipelines", default=",".join(PIPELINES),
                      help="which of t5x,task to time (see above)")
  parser.add_argument("--inputs_length", type=int, default=4096)
  parser.add_argument("--targets_length", type=int, default=512)
  args = parser.parse_args(argv)
  if not os.environ.get("BYT5_TASKS_DATA_DIR"):
    parser.error("set BYT5_TASKS_DATA_DIR to the data directory")
  pipelines = args.pipelines.split(",")
  unknown = sorted(set(pipelines) - set(PIPELINES))
  if unknown:
    parser.error(f"unknown --pipelines {unknown}; choose from {PIPELINES}")
  _pin_to_one_core()

  import byt5_tasks.tasks  # pylint: disable=g-import-not-at-top,unused-import
  from byt5_tasks import noise  # pylint: disable=g-import-not-at-top
  from byt5_tasks import noised  # pylint: disable=g-import-not-at-top

  clean = [f"byt5_xquad_test.{lang}" for lang in args.langs.split(",")]
  variants = {"clean": clean}
  for scheme in noise.ALL_SCHEMES:
    variants[scheme] = [noised.noised_name(t, scheme) for t in clean]
    for task in clean:
      noised.register_noised_variants(task, schemes=[scheme])
  lengths = {"inputs": args.inputs_length, "targets": args.targets_length}
  labels = list(variants)

  # datasets[pipeline][label][language]
  datasets = {kind: {} for kind in pipelines}
  for kind in pipelines:
    for label, names in variants.items():
      start = time.perf_counter()
      datasets[kind][label] = _build(names, lengths, _PIPELINE_FNS[kind])
      built = time.perf_counter() - start
      # Warm-up: fills seqio's caches.
      count = sum(_one_pass(ds, _ROW_COUNTS[kind]).examples
                  for ds in datasets[kind][label])
      print(f"{kind:4s} {label:16s} {count} examples (building {len(names)} "
            f"pipelines: {built:.1f} s)", flush=True)

  alone = _preprocessor_alone(clean, noise.ALL_SCHEMES)
  alone_rows = lambda batch: tf.shape(batch["id"])[0]
  # passes[pipeline][label][round][language]; alone_passes[scheme or None]
  # likewise.
  passes: Dict[str, Dict[str, List[List[Pass]]]] = {
      kind: {label: [] for label in labels} for kind in pipelines}
  alone_passes = {scheme: [] for scheme in alone}
  for round_ in range(args.rounds):
    for kind in pipelines:
      for label in labels:
        passes[kind][label].append([None] * len(clean))
    for scheme in alone:
      alone_passes[scheme].append([None] * len(clean))
    for lang in range(len(clean)):
      shift = (round_ + lang) % len(labels)
      for kind in pipelines:
        for label in labels[shift:] + labels[:shift]:
          passes[kind][label][round_][lang] = _one_pass(
              datasets[kind][label][lang], _ROW_COUNTS[kind])
      for scheme in alone:
        alone_passes[scheme][round_][lang] = _one_pass(alone[scheme][lang],
                                                       alone_rows)

  lowest = {}
  for kind in pipelines:
    lowest[kind] = _print_table(kind, passes[kind], args.rounds, len(clean))
  clean_cpu = _per_example(passes[pipelines[-1]]["clean"], "cpu")
  print("\n| noise preprocessor alone | CPU us/example "
        f"| x clean ({pipelines[-1]}) if it simply added to the clean "
        "pipeline |")
  print("|---|---:|---:|")
  for scheme in noise.ALL_SCHEMES:
    cost = _per_example(alone_passes[scheme], "cpu", alone_passes[None])
    print(f"| {scheme} | {cost * 1e6:.1f} | "
          f"{clean_cpu / (clean_cpu + cost):.2f} |")
  print()
  for kind, (wall, cpu) in lowest.items():
    print(f"{kind}: lowest median ratio {wall:.2f} wall, {cpu:.2f} CPU "
          "(target >= 0.80)")
  return 0


def _print_table(kind: str, passes: Dict[str, List[List[Pass]]],
                 rounds: int, languages: int):
  """Prints one pipeline's table; returns its lowest (wall, CPU) median
  ratio."""
  labels = list(passes)
  total = sum(p.examples for p in passes["clean"][0])
  best = {label: total / sum(min(r[lang].wall for r in passes[label])
                             for lang in range(languages))
          for label in labels}

  def median_ratio(label, field):
    # Same examples, so a rate ratio is the inverse ratio of the times.
    return statistics.median(
        sum(getattr(p, field) for p in clean_round) /
        sum(getattr(p, field) for p in round_)
        for clean_round, round_ in zip(passes["clean"], passes[label]))

  wall_ratio = {label: median_ratio(label, "wall") for label in labels}
  cpu_ratio = {label: median_ratio(label, "cpu") for label in labels}
  print(f"\npipeline: {kind}\n| variant | examples/s (best per language, "
        f"{rounds} rounds) | x clean (bests) | x clean (median of rounds) "
        "| x clean (CPU time, median of rounds) | CPU us/example "
        "| of which kernel | context switches/example |")
  print("|---|---:|---:|---:|---:|---:|---:|---:|")
  for label in labels:
    print(f"| {label} | {best[label]:.0f} | {best[label] / best['clean']:.2f} "
          f"| {wall_ratio[label]:.2f} | {cpu_ratio[label]:.2f} "
          f"| {_per_example(passes[label], 'cpu') * 1e6:.0f} "
          f"| {_per_example(passes[label], 'kernel') * 1e6:.0f} "
          f"| {_per_example(passes[label], 'switches'):.1f} |")
  return min(wall_ratio.values()), min(cpu_ratio.values())


if __name__ == "__main__":
  sys.exit(main())
