"""PNG plots of the comparison: F1 per language per scheme, drop heatmap.

matplotlib runs on the Agg backend (no display on TPU VMs or CI); it is
imported here only, so reading and tabulating results never needs it.
"""
import math
import pathlib
from typing import Dict, List, Optional, Tuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

from byt5_tasks.report.discovery import CLEAN  # pylint: disable=g-import-not-at-top
from byt5_tasks.report.table import (NOT_APPLICABLE, BenchmarkTable,  # pylint: disable=g-import-not-at-top
                                     Row)


def _f1_of(row: Row, scheme: str) -> Tuple[Optional[float], str]:
  if scheme == CLEAN:
    return row.f1, ("" if row.f1 is not None else "miss")
  cell = row.cells[scheme]
  if cell.status == NOT_APPLICABLE:
    return None, "n/a"
  return cell.f1, ("" if cell.f1 is not None else "miss")


def plot_f1_per_language(table: BenchmarkTable, path: pathlib.Path) -> None:
  """One panel per scheme (clean first): F1 per language, a bar per run."""
  runs = list(dict.fromkeys(r.run for r in table.rows))
  langs = list(dict.fromkeys(r.lang for r in table.rows))
  rows: Dict[Tuple[str, str], Row] = {(r.run, r.lang): r for r in table.rows}
  panels = [CLEAN] + table.schemes
  # Panels about 16 inches wide in all, however many languages and runs.
  width = min(max(4.0, 0.2 * len(langs) * len(runs) + 1.5), 8.0)
  ncols = max(1, min(len(panels), int(16.0 // width)))
  nrows = math.ceil(len(panels) / ncols)
  fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, 3.2 * nrows),
                           squeeze=False, sharey=True, layout="constrained")
  bar = 0.8 / len(runs)
  x = np.arange(len(langs))
  for ax, scheme in zip(axes.flat, panels):
    for i, run in enumerate(runs):
      offset = x - 0.4 + bar * (i + 0.5)
      values, marks = zip(*(_f1_of(rows[(run, lang)], scheme)
                            for lang in langs))
      heights = [np.nan if v is None else v for v in values]
      ax.bar(offset, heights, bar, label=run, color=f"C{i}")
      for xpos, mark in zip(offset, marks):
        if mark:
          ax.text(xpos, 2, mark, rotation=90, ha="center", va="bottom",
                  fontsize=7, color="0.4")
    ax.set_title(scheme)
    ax.set_xticks(x, langs)
    ax.set_xlim(-0.6, len(langs) - 0.4)
    ax.set_ylim(0, 100)
    ax.grid(axis="y", alpha=0.3)
  for ax in axes.flat[len(panels):]:
    ax.set_visible(False)
  for ax in axes[:, 0]:
    ax.set_ylabel("F1")
  fig.suptitle(f"{table.benchmark}: F1 per language, clean and under noise "
               "(n/a: no letter case; miss: not evaluated)")
  handles, labels = axes.flat[0].get_legend_handles_labels()
  fig.legend(handles, labels, loc="outside lower center", ncols=len(runs))
  fig.savefig(path, dpi=100)
  plt.close(fig)


def _heatmap_rows(table: BenchmarkTable) -> List[Row]:
  """Per run: its mean row, or its only language row if there is no mean."""
  if table.summaries:
    return table.summaries
  return list({r.run: r for r in reversed(table.rows)}.values())[::-1]


def plot_drop_heatmap(table: BenchmarkTable, path: pathlib.Path) -> None:
  """Runs x schemes, mean F1 drop (red = points lost); gaps labelled."""
  rows = _heatmap_rows(table)
  drops = np.full((len(rows), len(table.schemes)), np.nan)
  for i, row in enumerate(rows):
    for j, scheme in enumerate(table.schemes):
      if row.cells[scheme].drop is not None:
        drops[i, j] = row.cells[scheme].drop
  limit = float(np.nanmax(np.abs(drops))) if np.isfinite(drops).any() else 1.0
  limit = max(limit, 1.0)
  fig, ax = plt.subplots(figsize=(1.3 * len(table.schemes) + 2.5,
                                  0.6 * len(rows) + 1.8))
  cmap = plt.get_cmap("RdBu_r").with_extremes(bad="0.85")
  image = ax.imshow(np.ma.masked_invalid(drops), cmap=cmap, vmin=-limit,
                    vmax=limit, aspect="auto")
  for i, row in enumerate(rows):
    for j, scheme in enumerate(table.schemes):
      cell = row.cells[scheme]
      color = "black"
      if np.isfinite(drops[i, j]):
        text = f"{drops[i, j]:.1f}"
        if cell.n_langs is not None and cell.n_langs < row.n_langs:
          text += f"\n[{cell.n_langs}/{row.n_langs}]"
        if abs(drops[i, j]) > 0.6 * limit:
          color = "white"
      else:
        text = "n/a" if cell.status == NOT_APPLICABLE else "missing"
      ax.text(j, i, text, ha="center", va="center", fontsize=9, color=color)
  ax.set_xticks(range(len(table.schemes)), table.schemes, rotation=30,
                ha="right")
  ax.set_yticks(range(len(rows)), [r.run for r in rows])
  label = "mean F1 drop" if table.summaries else "F1 drop"
  fig.colorbar(image, ax=ax, label=f"{label} (clean − noisy)")
  ax.set_title(f"{table.benchmark}: {label} per noise scheme")
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


def write_plots(tables: List[BenchmarkTable],
                out_dir: pathlib.Path) -> List[pathlib.Path]:
  """Writes both plots for every benchmark; returns the paths written."""
  written = []
  for table in tables:
    f1_path = out_dir / f"f1_{table.benchmark}.png"
    plot_f1_per_language(table, f1_path)
    written.append(f1_path)
    if table.schemes:
      heat_path = out_dir / f"drop_{table.benchmark}.png"
      plot_drop_heatmap(table, heat_path)
      written.append(heat_path)
  return written
