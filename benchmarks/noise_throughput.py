"""Eval-pipeline throughput of XQuAD, clean vs each noise scheme, on one core.

Builds the registered `byt5_xquad_test.{lang}` tasks from
`$BYT5_TASKS_DATA_DIR` (files source) and their `.noise_{scheme}` variants,
and times the whole seqio eval pipeline (source, noise, formatting, byte
tokenization, EOS, trimming) per variant. The process is pinned to one CPU
and TensorFlow and tf.data get one thread each, so the figure is per core.
Target: every noised variant at least 0.8x the clean pipeline.

  BYT5_TASKS_DATA_DIR=../shared/data python benchmarks/noise_throughput.py

Examples are batched (64, ragged) before they reach Python, as T5X's eval
input is, so the figure is the pipeline's cost, not Python's per-example
iteration cost. Each variant's datasets are built once (tracing; timed and
printed separately, as T5X also builds eval datasets once) and iterated once
to warm up. Then each of `--rounds` rounds goes through the languages and
times every variant on each language in turn (the order rotating), so a slow
spell of the machine hits all variants of a language alike. Reported are:
the rate from each variant's best time per language, its ratio to clean's,
and the median over rounds of the ratio to the clean pass of the same round.
"""
import argparse
import gc
import os
import statistics
import sys
import time
from typing import Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # pylint: disable=g-import-not-at-top

DEFAULT_LANGS = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr",
                 "vi", "zh")


def _pin_to_one_core() -> None:
  if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
  tf.config.threading.set_inter_op_parallelism_threads(1)
  tf.config.threading.set_intra_op_parallelism_threads(1)


def _build(task_names, sequence_length, batch_size: int = 64):
  """The eval datasets of `task_names`, batched as T5X's eval input is.

  Building traces every preprocessor (a one-off cost, timed separately).
  Examples are batched (ragged) before they reach Python, so the timed figure
  is the pipeline's cost, not Python's per-example iteration cost.
  """
  import seqio  # pylint: disable=g-import-not-at-top
  options = tf.data.Options()
  options.threading.private_threadpool_size = 1
  return [
      seqio.get_mixture_or_task(name).get_dataset(
          sequence_length=sequence_length, split="test", shuffle=False,
          use_cached=False).ragged_batch(batch_size).with_options(options)
      for name in task_names
  ]


def _one_pass(dataset) -> Tuple[int, float, float]:
  """Examples, wall seconds and CPU seconds of one pass.

  Python's garbage collector is off while timing, as in `timeit`: a
  collection triggered by some other allocation would land on whichever pass
  happens to run then. CPU time counts all threads of the process (all on
  the one pinned core); wall time also counts the core sitting idle while
  tf.data's threads wait on one another.
  """
  gc.collect()
  gc.disable()
  try:
    start, cpu_start = time.perf_counter(), time.process_time()
    count = 0
    for batch in dataset:
      count += int(batch["inputs"].nrows())
    return (count, time.perf_counter() - start,
            time.process_time() - cpu_start)
  finally:
    gc.enable()


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--langs", default=",".join(DEFAULT_LANGS))
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument("--inputs_length", type=int, default=4096)
  parser.add_argument("--targets_length", type=int, default=512)
  args = parser.parse_args(argv)
  if not os.environ.get("BYT5_TASKS_DATA_DIR"):
    parser.error("set BYT5_TASKS_DATA_DIR to the data directory")
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

  datasets = {}
  for label, names in variants.items():
    start = time.perf_counter()
    datasets[label] = _build(names, lengths)
    built = time.perf_counter() - start
    # Warm-up: fills seqio's caches.
    count = sum(_one_pass(ds)[0] for ds in datasets[label])
    print(f"{label:16s} {count} examples (building {len(names)} pipelines: "
          f"{built:.1f} s)", flush=True)

  labels = list(variants)
  counts = [0] * len(clean)
  # wall[label][round][language], cpu likewise.
  wall = {label: [[0.0] * len(clean) for _ in range(args.rounds)]
          for label in labels}
  cpu = {label: [[0.0] * len(clean) for _ in range(args.rounds)]
         for label in labels}
  for round_ in range(args.rounds):
    for lang in range(len(clean)):
      shift = (round_ + lang) % len(labels)
      for label in labels[shift:] + labels[:shift]:
        (counts[lang], wall[label][round_][lang],
         cpu[label][round_][lang]) = _one_pass(datasets[label][lang])
  total = sum(counts)
  best = {label: total / sum(min(times[lang] for times in wall[label])
                             for lang in range(len(clean)))
          for label in labels}

  def median_ratios(seconds):
    # Same examples, so a rate ratio is the inverse ratio of the times.
    return {label: statistics.median(
        sum(clean_times) / sum(times)
        for clean_times, times in zip(seconds["clean"], seconds[label]))
            for label in labels}

  ratios, cpu_ratios = median_ratios(wall), median_ratios(cpu)
  print(f"\n| variant | examples/s (best per language, {args.rounds} rounds) "
        "| x clean (bests) | x clean (median of rounds) "
        "| x clean (CPU time, median of rounds) |")
  print("|---|---:|---:|---:|---:|")
  for label in labels:
    print(f"| {label} | {best[label]:.0f} | {best[label] / best['clean']:.2f} "
          f"| {ratios[label]:.2f} | {cpu_ratios[label]:.2f} |")
  print(f"\nlowest median ratio: {min(ratios.values()):.2f} wall, "
        f"{min(cpu_ratios.values()):.2f} CPU (target >= 0.80)")
  return 0


if __name__ == "__main__":
  sys.exit(main())
