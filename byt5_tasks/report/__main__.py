"""CLI: python -m byt5_tasks.report RUN_DIR [RUN_DIR ...] --out DIR."""
import argparse
import sys
from typing import List, Optional, Sequence

from byt5_tasks.report import ReportError, write_report
from byt5_tasks.report.table import NOT_APPLICABLE, OK


def _csv_list(text: str) -> List[str]:
  return [part.strip() for part in text.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog="python -m byt5_tasks.report",
      description="Tables and plots of clean and noisy QA EM/F1 from T5X "
      "eval outputs ({task}-metrics.jsonl under each run directory).")
  parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR",
                      help="model dir, EVAL_OUTPUT_DIR or inference_eval dir")
  parser.add_argument("--out", required=True, help="directory to write to")
  parser.add_argument("--labels", type=_csv_list,
                      help="comma-separated run labels (default: dir names)")
  parser.add_argument("--step", type=lambda s: [int(x) for x in _csv_list(s)],
                      help="step to report: one for all runs, or one per run "
                      "comma-separated (default: each run's latest)")
  parser.add_argument("--schemes", type=_csv_list,
                      help="noise scheme columns (default: those found)")
  parser.add_argument("--no-plots", action="store_true",
                      help="write only the Markdown and CSV tables")
  return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
  args = _parser().parse_args(argv)
  try:
    report = write_report(args.run_dirs, args.out, labels=args.labels,
                          steps=args.step, schemes=args.schemes,
                          plots=not args.no_plots)
  except ReportError as e:
    print(f"report: error: {e}", file=sys.stderr)
    return 2
  for run in report.runs:
    counts = ", ".join(f"{k}={v}" for k, v in run.counts.items())
    print(f"{run.label}: step {run.step}; {counts}")
  rows = [r for t in report.tables for r in t.rows]
  unfilled = sum(c.status not in (OK, NOT_APPLICABLE)
                 for r in rows for c in r.cells.values())
  unfilled += sum(r.clean_status != OK for r in rows)
  print(f"wrote {report.markdown}, {report.csv} and {len(report.plots)} "
        f"plots; {len(rows)} rows, {unfilled} cells not filled "
        "(reasons in the notes)")
  return 0


if __name__ == "__main__":
  sys.exit(main())
