"""Writes the comparison tables as Markdown (to read) and CSV (to analyse)."""
import csv
import io
from typing import List, Optional, Sequence

from byt5_tasks.report.discovery import RunResults
from byt5_tasks.report.table import (NOT_APPLICABLE, OK, BenchmarkTable, Cell,
                                     Row)

# Short words for the Markdown cells; the full reason goes under the table.
_SHORT = {"missing task": "missing", "no clean score": "no clean",
          "no f1 in metrics": "no f1", "no scores": "missing",
          NOT_APPLICABLE: NOT_APPLICABLE}


def _short(status: str) -> str:
  if status.startswith("missing step"):
    return "missing step"
  return _SHORT.get(status, status)


def _num(value: Optional[float]) -> str:
  return "" if value is None else f"{value:.1f}"


def _signed_change(drop: float) -> str:
  """A drop of 4.2 points shown as the change: (−4.2); a gain as (+0.3)."""
  change = -drop
  return f"({'+' if change >= 0 else '−'}{abs(change):.1f})"


def markdown_cell(cell: Cell, n_langs: int = 0) -> str:
  """`F1 (change)`; a mean over fewer than all `n_langs` says `[k/n]`."""
  if cell.status == OK and cell.f1 is not None and cell.drop is not None:
    text = f"{cell.f1:.1f} {_signed_change(cell.drop)}"
    if cell.n_langs is not None and cell.n_langs < n_langs:
      text += f" [{cell.n_langs}/{n_langs}]"
    return text
  if cell.f1 is not None:  # a score without a clean one to compare with
    return f"{cell.f1:.1f} ({_short(cell.status)})"
  return _short(cell.status)


def _clean_cells(row: Row) -> List[str]:
  if row.f1 is None and row.em is None:
    return [_short(row.clean_status)] * 2
  return [_num(row.em) or "no em", _num(row.f1) or "no f1"]


def _row_notes(row: Row) -> List[str]:
  """Full reasons for every unfilled cell of a row, then its other notes."""
  notes = []
  if row.clean_status != OK and not row.is_summary:
    notes.append(f"clean: {row.clean_status}")
  for scheme, cell in row.cells.items():
    if cell.status not in (OK, NOT_APPLICABLE) and not row.is_summary:
      notes.append(f"{scheme}: {cell.status}")
  return notes + row.notes


def markdown_table(table: BenchmarkTable) -> str:
  header = ["lang", "run", "n", "EM", "F1"] + table.schemes
  lines = ["| " + " | ".join(header) + " |",
           "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|"]
  for row in table.rows + table.summaries:
    if row.is_summary:
      first = [f"**mean** ({row.n_langs})", f"**{row.run}**", ""]
    else:
      n = "" if row.n_examples is None else str(row.n_examples)
      first = [row.lang, row.run, n]
    cells = [markdown_cell(row.cells[s], row.n_langs) for s in table.schemes]
    lines.append("| " + " | ".join(first + _clean_cells(row) + cells) + " |")
  notes = [f"- {row.run} · {row.lang}: " + "; ".join(_row_notes(row))
           for row in table.rows + table.summaries if _row_notes(row)]
  if table.unknown_case:
    notes.append(f"- letter case unknown for {', '.join(table.unknown_case)} "
                 "(not in byt5_tasks.languages): case-only schemes shown as "
                 "measured")
  if notes:
    lines += ["", "Not filled / notes:", ""] + notes
  return "\n".join(lines)


def markdown_report(tables: Sequence[BenchmarkTable],
                    runs: Sequence[RunResults]) -> str:
  """The whole report: runs and steps, one table per benchmark, run notes."""
  out = ["# QA results: clean and under synthetic noise", ""]
  out.append("Runs: " + ", ".join(
      f"{r.label} (step {r.step if r.step is not None else 'none'})"
      for r in runs) + ".")
  out += ["", "EM/F1 are clean scores in percent. A noise column shows F1 "
          "under that noise and, in parentheses, its change from clean F1 "
          "(−4.2 = 4.2 points lost). `n` = examples in the inference log. "
          "`n/a (no case)`: the scheme only changes letter case and the "
          "script has none. Mean rows average the languages of a run; a "
          "noise column's mean is over the languages with both scores, "
          "`[k/n]` when that is k of the n languages."]
  for table in tables:
    out += ["", f"## {table.benchmark}", "", markdown_table(table)]
  run_notes = [f"- {r.label}: {note}" for r in runs for note in r.notes]
  if run_notes:
    out += ["", "## Reading the runs", ""] + run_notes
  return "\n".join(out) + "\n"


def csv_header(schemes: Sequence[str]) -> List[str]:
  header = ["run", "benchmark", "lang", "step", "n_examples", "n_langs", "em",
            "f1"]
  for scheme in schemes:
    header += [f"noise_{scheme}_f1", f"noise_{scheme}_f1_drop"]
  return header + ["notes"]


def _csv_num(value: Optional[float]) -> str:
  return "" if value is None else f"{value:.4f}"


def csv_report(tables: Sequence[BenchmarkTable]) -> str:
  """One CSV for all benchmarks; blanks explained in the `notes` column.

  `noise_{scheme}_f1_drop` is clean F1 minus noisy F1 (positive = points
  lost); the column names follow the task suffix `.noise_{scheme}`.
  """
  schemes = tables[0].schemes if tables else []
  buf = io.StringIO()
  writer = csv.writer(buf, lineterminator="\n")
  writer.writerow(csv_header(schemes))
  for table in tables:
    for row in table.rows + table.summaries:
      values = [row.run, row.benchmark, row.lang,
                "" if row.step is None else row.step,
                "" if row.n_examples is None else row.n_examples,
                row.n_langs if row.is_summary else "",
                _csv_num(row.em), _csv_num(row.f1)]
      for scheme in schemes:
        cell = row.cells[scheme]
        values += [_csv_num(cell.f1), _csv_num(cell.drop)]
      notes = _row_notes(row) + [
          f"{s}: {NOT_APPLICABLE}" for s, c in row.cells.items()
          if c.status == NOT_APPLICABLE]
      writer.writerow(values + ["; ".join(notes)])
  return buf.getvalue()
