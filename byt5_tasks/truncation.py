"""How much of a QA task a given input length cuts off.

Byte-level inputs are long (XQuAD's longest is 3,403 bytes), so any fixed
`inputs` length truncates some examples, and some of those lose the answer.
Eval gins state these numbers instead of hiding them.
"""
import dataclasses
from typing import Iterable, Mapping, Optional

import numpy as np
import seqio
import tensorflow as tf

from byt5_tasks import qa


@dataclasses.dataclass
class TruncationStats:
  """Counts for one task split at one inputs length."""
  task: str
  split: str
  inputs_length: int
  examples: int = 0
  truncated: int = 0
  answer_lost: int = 0
  longest: int = 0

  def summary(self) -> str:
    def pct(n: int) -> str:
      return f"{100.0 * n / self.examples:.1f}%" if self.examples else "-"
    return (f"{self.task} [{self.split}] inputs_length={self.inputs_length}: "
            f"{self.examples} examples, {self.truncated} truncated "
            f"({pct(self.truncated)}), {self.answer_lost} lose every gold "
            f"answer ({pct(self.answer_lost)}); longest input "
            f"{self.longest} tokens")


def answer_survives(kept_inputs: str, answers: Iterable[str]) -> bool:
  """Whether some gold answer still occurs in the context that was kept."""
  _, marker, kept_context = kept_inputs.partition(f" {qa.CONTEXT_MARKER} ")
  if not marker:  # The cut fell inside the question: no context is left.
    return False
  return any(answer in kept_context for answer in answers)


def count_truncation(
    examples: Iterable[Mapping[str, np.ndarray]],
    vocabulary: seqio.Vocabulary,
    inputs_length: int,
    task: str = "",
    split: str = "",
) -> TruncationStats:
  """Counts examples whose tokenized inputs (plus EOS) exceed the length.

  Args:
    examples: untrimmed examples with `inputs` ids and `answers` strings,
      as `untrimmed_dataset` yields them.
    vocabulary: the inputs vocabulary, to decode what a cut keeps.
    inputs_length: the model's inputs length; one position goes to EOS.
  """
  stats = TruncationStats(task=task, split=split, inputs_length=inputs_length)
  room = inputs_length - 1
  for ex in examples:
    ids = ex["inputs"]
    stats.examples += 1
    stats.longest = max(stats.longest, len(ids) + 1)
    if len(ids) <= room:
      continue
    stats.truncated += 1
    kept = vocabulary.decode(ids[:room].tolist())
    answers = [a.decode("utf-8") for a in ex["answers"]]
    if not answer_survives(kept, answers):
      stats.answer_lost += 1
  return stats


def untrimmed_dataset(task: seqio.Task, split: str) -> tf.data.Dataset:
  """A task's examples in file order, tokenized but not cut to any length."""
  return task.get_dataset(sequence_length=None, split=split, shuffle=False,
                          use_cached=False)


def task_truncation(task_name: str, split: str, inputs_length: int,
                    max_examples: Optional[int] = None) -> TruncationStats:
  """`count_truncation` over a registered QA task."""
  task = seqio.get_mixture_or_task(task_name)
  ds = untrimmed_dataset(task, split)
  if max_examples is not None:
    ds = ds.take(max_examples)
  return count_truncation(ds.as_numpy_iterator(),
                          task.output_features["inputs"].vocabulary,
                          inputs_length, task=task_name, split=split)
