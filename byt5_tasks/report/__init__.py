"""Results report from T5X eval outputs: tables (Markdown, CSV) and plots.

Usage: python -m byt5_tasks.report RUN_DIR [RUN_DIR ...] --out DIR
Modules: discovery (find and read seqio JSONLogger files), table (rows,
cells, means), render (Markdown, CSV), plots (PNG; imports matplotlib).
"""
import dataclasses
import pathlib
from typing import List, Optional, Sequence

from byt5_tasks.report.discovery import (ReportError, RunResults, dir_name,
                                         load_run, parse_task_name)
from byt5_tasks.report.render import csv_report, markdown_report
from byt5_tasks.report.table import (BenchmarkTable, HasCase, build_tables,
                                     languages_has_case)

__all__ = ["ReportError", "RunResults", "load_run", "parse_task_name",
           "build_tables", "languages_has_case", "write_report",
           "ReportFiles", "run_labels"]


@dataclasses.dataclass
class ReportFiles:
  """What write_report produced, and the data behind it."""
  markdown: pathlib.Path
  csv: pathlib.Path
  plots: List[pathlib.Path]
  runs: List[RunResults]
  tables: List[BenchmarkTable]


def run_labels(run_dirs: Sequence[str],
               labels: Optional[Sequence[str]]) -> List[str]:
  """Given labels, or the run directories' names; they must be distinct."""
  if labels is None:
    labels = [dir_name(d) for d in run_dirs]
  elif len(labels) != len(run_dirs):
    raise ReportError(f"{len(labels)} labels for {len(run_dirs)} run "
                      "directories; give one label per run")
  if len(set(labels)) != len(labels):
    raise ReportError(f"run labels are not distinct: {list(labels)}; "
                      "give distinct ones with --labels")
  return list(labels)


def _steps_per_run(steps: Optional[Sequence[int]],
                   n_runs: int) -> List[Optional[int]]:
  if not steps:
    return [None] * n_runs
  if len(steps) == 1:
    return list(steps) * n_runs
  if len(steps) != n_runs:
    raise ReportError(f"{len(steps)} steps for {n_runs} runs; give one step "
                      "for all runs or one per run")
  return list(steps)


def write_report(run_dirs: Sequence[str], out_dir: str,
                 labels: Optional[Sequence[str]] = None,
                 steps: Optional[Sequence[int]] = None,
                 schemes: Optional[Sequence[str]] = None,
                 plots: bool = True,
                 has_case: HasCase = languages_has_case) -> ReportFiles:
  """Reads the runs and writes results.md, results.csv and PNG plots."""
  if not run_dirs:
    raise ReportError("no run directories given")
  names = run_labels(run_dirs, labels)
  runs = [load_run(d, label, step) for d, label, step in
          zip(run_dirs, names, _steps_per_run(steps, len(run_dirs)))]
  tables = build_tables(runs, has_case=has_case, schemes=schemes)
  out = pathlib.Path(out_dir)
  out.mkdir(parents=True, exist_ok=True)
  md_path, csv_path = out / "results.md", out / "results.csv"
  md_path.write_text(markdown_report(tables, runs), encoding="utf-8")
  csv_path.write_text(csv_report(tables), encoding="utf-8")
  written = []
  if plots and tables:
    from byt5_tasks.report import plots as plots_lib  # pylint: disable=g-import-not-at-top
    written = plots_lib.write_plots(tables, out)
  return ReportFiles(md_path, csv_path, written, runs, tables)
