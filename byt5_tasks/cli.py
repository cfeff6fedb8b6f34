"""Look at what is registered: `python -m byt5_tasks.cli {list,show,count,truncation}`.

  list        tasks and mixtures (with each mixture's normalised rates)
  families    language families: languages, data sizes, sampling rates
  show        a few preprocessed examples of a task, decoded back to text
  count       examples per split, and what the file reader kept and dropped
  truncation  how many examples an inputs length truncates / loses answers of
"""
import argparse
import re
import sys
from typing import List, Optional, Sequence, TextIO

import seqio

from byt5_tasks import languages
from byt5_tasks import mc4
from byt5_tasks import qa_files
from byt5_tasks import truncation


def _import_tasks() -> None:
  import byt5_tasks.tasks  # pylint: disable=g-import-not-at-top,unused-import


def mixture_rates(name: str) -> List[tuple]:
  """(task, share of the mixture) for each task, shares summing to 1."""
  mixture = seqio.get_mixture_or_task(name)
  rates = [(t.name, mixture.get_rate(t)) for t in mixture.tasks]
  total = sum(rate for _, rate in rates) or 1.0
  return [(task, rate / total) for task, rate in rates]


def list_registered(pattern: str, rates: bool, out: TextIO) -> None:
  regex = re.compile(pattern)
  tasks = sorted(n for n in seqio.TaskRegistry.names() if regex.search(n))
  mixtures = sorted(n for n in seqio.MixtureRegistry.names()
                    if regex.search(n))
  print(f"# {len(tasks)} tasks", file=out)
  for name in tasks:
    splits = ", ".join(seqio.get_mixture_or_task(name).splits)
    print(f"{name}  [{splits}]", file=out)
  print(f"\n# {len(mixtures)} mixtures", file=out)
  for name in mixtures:
    print(name, file=out)
    if isinstance(seqio.get_mixture_or_task(name), mc4.FamilyMixture):
      print("    (rates: python -m byt5_tasks.cli families)", file=out)
    elif rates:
      for task, share in mixture_rates(name):
        print(f"    {share:8.4f}  {task}", file=out)


def list_families(names: Sequence[str], out: TextIO) -> None:
  """Each family's languages with their data size and sampling rate."""
  for family in names or sorted(languages.families()):
    print(f"{mc4.mixture_name(family)}  ({family})", file=out)
    try:
      rows = mc4.family_rate_table(family)
    except Exception as e:  # pylint: disable=broad-except
      # TFDS metadata or files may be out of reach; say so and go on.
      print(f"    rates unavailable: {e}", file=out)
      continue
    for row in rows:
      size = ("no data" if row.size is None
              else f"{row.size:,} {row.size_unit}")
      print(f"    {row.rate:8.4f}  {row.lang:<8} {size}", file=out)


def _decode_feature(feature: seqio.Feature, ids) -> str:
  return feature.vocabulary.decode(ids.tolist())


def show_examples(name: str, split: str, num: int, max_chars: int,
                  out: TextIO) -> None:
  task = seqio.get_mixture_or_task(name)
  ds = truncation.untrimmed_dataset(task, split).take(num)
  for i, ex in enumerate(ds.as_numpy_iterator()):
    print(f"--- {name} [{split}] example {i}", file=out)
    for key in ("id", "lang"):
      if key in ex:
        print(f"{key}: {ex[key].decode('utf-8')}", file=out)
    for key, feature in task.output_features.items():
      text = _decode_feature(feature, ex[key])
      clipped = text if len(text) <= max_chars else text[:max_chars] + " …"
      print(f"{key} ({len(ex[key])} ids): {clipped}", file=out)
    if "answers" in ex:
      answers = [a.decode("utf-8") for a in ex["answers"]]
      print(f"answers: {answers}", file=out)


def count_examples(name: str, splits: Sequence[str], out: TextIO) -> dict:
  """Examples each split yields, through the full task pipeline."""
  task = seqio.get_mixture_or_task(name)
  counts = {}
  for split in splits or task.splits:
    ds = truncation.untrimmed_dataset(task, split)
    counts[split] = int(ds.reduce(0, lambda n, _: n + 1))
    print(f"{name} [{split}]: {counts[split]} examples", file=out)
  for stats in qa_files.read_stats().values():
    print(f"  {stats.summary()}", file=out)
  return counts


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout) -> int:
  parser = argparse.ArgumentParser(
      prog="python -m byt5_tasks.cli", description=__doc__,
      formatter_class=argparse.RawDescriptionHelpFormatter)
  sub = parser.add_subparsers(dest="command", required=True)
  p_list = sub.add_parser("list", help="registered tasks and mixtures")
  p_list.add_argument("pattern", nargs="?", default="",
                      help="regular expression the names must match")
  p_list.add_argument("--no-rates", action="store_true",
                      help="skip mixture rates (they may count data files)")
  p_fam = sub.add_parser("families", help="families and sampling rates")
  p_fam.add_argument("family", nargs="*")
  p_show = sub.add_parser("show", help="preprocessed examples, decoded")
  p_show.add_argument("task")
  p_show.add_argument("--split", default=None)
  p_show.add_argument("-n", "--num", type=int, default=3)
  p_show.add_argument("--max-chars", type=int, default=300)
  p_count = sub.add_parser("count", help="examples per split")
  p_count.add_argument("task")
  p_count.add_argument("--split", action="append", default=[])
  p_trunc = sub.add_parser("truncation", help="truncation at a length")
  p_trunc.add_argument("task")
  p_trunc.add_argument("--split", default=None)
  p_trunc.add_argument("--inputs-length", type=int, default=1024)
  args = parser.parse_args(argv)

  _import_tasks()
  if args.command == "list":
    list_registered(args.pattern, not args.no_rates, out)
  elif args.command == "families":
    list_families(args.family, out)
  elif args.command == "show":
    split = args.split or seqio.get_mixture_or_task(args.task).splits[0]
    show_examples(args.task, split, args.num, args.max_chars, out)
  elif args.command == "count":
    count_examples(args.task, args.split, out)
  elif args.command == "truncation":
    task = seqio.get_mixture_or_task(args.task)
    splits = [args.split] if args.split else task.splits
    for split in splits:
      print(truncation.task_truncation(args.task, split,
                                       args.inputs_length).summary(), file=out)
  return 0


if __name__ == "__main__":
  sys.exit(main())
