"""Throughput of the `byt5_mc4_{family}` pretraining pipeline on one CPU core.

Measures packed examples/s and input bytes/s at the output of
seqio.EncDecFeatureConverter(pack=True), from the mC4 shards under the data
directory. `--impl ours_aligned` turns on UTF-8-aligned spans; `--impl t5`
swaps our span corruption for `t5.data.preprocessors.span_corruption` (same
source, tokenization, mixture and lengths), for comparison; `t5` must be importable, e.g. from a separate
virtualenv with `pip install t5==0.9.4 --no-deps` (see README).

  python benchmarks/span_corruption_throughput.py --impl ours
  PYTHONPATH=. /work/venv-t5baseline/bin/python \
      benchmarks/span_corruption_throughput.py --impl t5
"""
import argparse
import functools
import json
import os
import sys
import time

import numpy as np
import seqio
import tensorflow as tf

from byt5_tasks import config
from byt5_tasks import languages
from byt5_tasks import mc4
from byt5_tasks import span_corruption


def _pin_to_one_core():
  os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
  tf.config.threading.set_inter_op_parallelism_threads(1)
  tf.config.threading.set_intra_op_parallelism_threads(1)


def _t5_preprocessors(mean_noise_span_length):
  from t5.data import preprocessors as t5_preprocessors  # pylint: disable=g-import-not-at-top
  return mc4.pretraining_preprocessors(corruption_fn=functools.partial(
      t5_preprocessors.span_corruption,
      mean_noise_span_length=mean_noise_span_length))


def _mixture(impl, family, data_dir, mean_noise_span_length):
  if impl in ("ours", "ours_aligned"):
    return mc4.register_family_mixture(
        family, source_kind=config.SOURCE_FILES, data_dir=data_dir,
        prefix=f"bench_{impl}",
        align_to_characters=impl == "ours_aligned")
  prefix = "bench_t5"
  for lang in languages.family_languages(family):
    name = mc4.task_name(lang, prefix)
    seqio.TaskRegistry.remove(name)
    seqio.TaskRegistry.add(
        name, source=mc4.mc4_source(lang, config.SOURCE_FILES, data_dir),
        preprocessors=_t5_preprocessors(mean_noise_span_length),
        output_features=mc4.pretraining_output_features(), metric_fns=[])
  return mc4.register_family_mixture(
      family, source_kind=config.SOURCE_FILES, data_dir=data_dir,
      prefix=prefix, register_tasks=False)


def run(impl, family, data_dir, inputs_length, num_examples, warmup, seed):
  lengths = span_corruption.span_corruption_lengths(
      inputs_length, align_to_characters=impl == "ours_aligned")
  sequence_length = {"inputs": lengths.inputs_length,
                     "targets": lengths.targets_length}
  mixture = _mixture(impl, family, data_dir,
                     span_corruption.DEFAULT_MEAN_NOISE_SPAN_LENGTH)
  ds = mixture.get_dataset(sequence_length, split="train", seed=seed,
                           num_epochs=None)
  packed = seqio.EncDecFeatureConverter(pack=True)(ds, sequence_length)
  options = tf.data.Options()
  options.threading.private_threadpool_size = 1
  options.threading.max_intra_op_parallelism = 1
  packed = packed.with_options(options)
  iterator = packed.as_numpy_iterator()
  for _ in range(warmup):
    next(iterator)
  input_bytes = target_bytes = 0
  start = time.perf_counter()
  for _ in range(num_examples):
    example = next(iterator)
    input_bytes += int(np.count_nonzero(example["encoder_input_tokens"]))
    target_bytes += int(np.count_nonzero(example["decoder_target_tokens"]))
  seconds = time.perf_counter() - start
  return {
      "impl": impl, "family": family,
      "languages": sorted(t.name for t in mixture.tasks),
      "inputs_length": lengths.inputs_length,
      "targets_length": lengths.targets_length,
      "packed_examples": num_examples, "seconds": round(seconds, 2),
      "examples_per_s": round(num_examples / seconds, 1),
      "input_bytes_per_s": round(input_bytes / seconds),
      "target_bytes_per_s": round(target_bytes / seconds),
      "tf": tf.__version__, "seqio": seqio.__version__ if hasattr(
          seqio, "__version__") else "?",
  }


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--impl", choices=("ours", "ours_aligned", "t5"), default="ours")
  parser.add_argument("--family", default="european")
  parser.add_argument("--data-dir", default=config.data_dir())
  parser.add_argument("--inputs-length", type=int, default=1024)
  parser.add_argument("--examples", type=int, default=2000)
  parser.add_argument("--warmup", type=int, default=200)
  parser.add_argument("--seed", type=int, default=0)
  args = parser.parse_args(argv)
  if not args.data_dir:
    sys.exit(f"set --data-dir or ${config.DATA_DIR_ENV}")
  _pin_to_one_core()
  result = run(args.impl, args.family, args.data_dir, args.inputs_length,
               args.examples, args.warmup, args.seed)
  print(json.dumps(result))


if __name__ == "__main__":
  main()
