"""Builds the comparison table: run x language rows, clean and noisy cells.

Every cell that cannot hold a number says why (missing task, missing step,
no clean score to compare with, scheme not applicable to a caseless script),
so a gap is never read as a zero.
"""
import dataclasses
import importlib
from typing import Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from byt5_tasks.report.discovery import ALL_LANGS, CLEAN, RunResults


OK = "ok"
MISSING_TASK = "missing task"
NOT_APPLICABLE = "n/a (no case)"
NO_CLEAN = "no clean score"
NO_F1 = "no f1 in metrics"
NO_SCORES = "no scores"

HasCase = Callable[[str], Optional[bool]]


def languages_has_case(lang: str) -> Optional[bool]:
  """Whether `lang`'s script has letter case, from byt5_tasks.languages.

  Imported lazily so the report works (answering None, 'unknown') when the
  languages table is absent or does not know the language.
  """
  try:
    languages = importlib.import_module("byt5_tasks.languages")
  except ImportError:
    return None
  lookup = getattr(languages, "has_case", None)
  if callable(lookup):
    try:
      return bool(lookup(lang))
    except (KeyError, ValueError):
      return None
  return None


def noise_scheme_facts() -> Tuple[Tuple[str, ...], FrozenSet[str]]:
  """The noise module's schemes in paper order, and those only changing case.

  Case-only schemes (uppercase, random_case) are the identity on caseless
  scripts; antspeak also pads with spaces, so it still applies there.
  Imported here, not at module level, because byt5_tasks.noise loads TF.
  """
  from byt5_tasks import noise  # pylint: disable=g-import-not-at-top
  case_only = frozenset(n for n, s in noise.SCHEMES.items() if s.case_only)
  return tuple(noise.ALL_SCHEMES), case_only


def missing_step(step: Optional[int], present: Sequence[int]) -> str:
  return f"missing step {step} (has {', '.join(map(str, present))})"


@dataclasses.dataclass
class Cell:
  """One noise scheme for one row: F1, its drop from clean, or why not."""
  f1: Optional[float]
  drop: Optional[float]  # clean F1 - noisy F1: positive = points lost
  status: str
  n_examples: Optional[int] = None
  n_langs: Optional[int] = None  # mean rows: languages behind the mean


@dataclasses.dataclass
class Row:
  """One run on one language of one benchmark (or their mean)."""
  run: str
  benchmark: str
  lang: str
  step: Optional[int]
  em: Optional[float]
  f1: Optional[float]
  clean_status: str
  n_examples: Optional[int]
  cells: Dict[str, Cell]
  notes: List[str]
  is_summary: bool = False
  n_langs: int = 0


def schemes_in(runs: Sequence[RunResults],
               known: Sequence[str] = ()) -> List[str]:
  """Noise schemes any run has a task for, `known` ones first in order."""
  seen = {key[2] for run in runs
          for key in list(run.scores) + list(run.other_steps)} - {CLEAN}
  return [s for s in known if s in seen] + sorted(seen - set(known))


def _status_of(run: RunResults, key: Tuple[str, str, str]) -> str:
  if key in run.scores:
    return OK if run.scores[key].f1 is not None else NO_F1
  if key in run.other_steps:
    return missing_step(run.step, run.other_steps[key])
  return MISSING_TASK


def _cell(run: RunResults, key: Tuple[str, str, str],
          clean_f1: Optional[float], clean_n: Optional[int],
          case_only: bool, case: Optional[bool]) -> Tuple[Cell, List[str]]:
  """The cell of one scheme and notes on anything odd about it."""
  scheme = key[2]
  notes = []
  if case_only and case is False:
    return Cell(None, None, NOT_APPLICABLE), notes
  status = _status_of(run, key)
  if status != OK:
    return Cell(None, None, status), notes
  score = run.scores[key]
  if clean_f1 is None:
    return Cell(score.f1, None, NO_CLEAN, score.n_examples), notes
  if None not in (clean_n, score.n_examples) and clean_n != score.n_examples:
    notes.append(f"{scheme}: {score.n_examples} examples logged vs "
                 f"{clean_n} clean")
  return Cell(score.f1, clean_f1 - score.f1, OK, score.n_examples), notes


def build_row(run: RunResults, benchmark: str, lang: str,
              schemes: Sequence[str], has_case: HasCase,
              case_only: FrozenSet[str] = frozenset()) -> Row:
  """One run x language row of one benchmark."""
  clean_key = (benchmark, lang, CLEAN)
  clean_status = _status_of(run, clean_key)
  clean = run.scores.get(clean_key)
  clean_f1 = clean.f1 if clean else None
  clean_n = clean.n_examples if clean else None
  case = None if lang == ALL_LANGS else has_case(lang)
  cells, notes = {}, []
  for scheme in schemes:
    cells[scheme], cell_notes = _cell(run, (benchmark, lang, scheme),
                                      clean_f1, clean_n,
                                      scheme in case_only, case)
    notes.extend(cell_notes)
  return Row(run=run.label, benchmark=benchmark, lang=lang, step=run.step,
             em=clean.em if clean else None, f1=clean_f1,
             clean_status=clean_status, n_examples=clean_n, cells=cells,
             notes=notes)


def _mean(values: Sequence[Optional[float]]) -> Tuple[Optional[float], int]:
  present = [v for v in values if v is not None]
  return (sum(present) / len(present) if present else None), len(present)


def summary_row(rows: Sequence[Row], schemes: Sequence[str]) -> Optional[Row]:
  """Mean over one run's languages (multilingual 'all' rows left out).

  The mean drop of a scheme is over the languages having both a clean and a
  noisy score; the notes say when that is fewer than all languages. None
  when there are fewer than two languages to average.
  """
  langs = [r for r in rows if r.lang != ALL_LANGS]
  if len(langs) < 2:
    return None
  first = rows[0]
  em, _ = _mean([r.em for r in langs])
  f1, n_clean = _mean([r.f1 for r in langs])
  notes = []
  if n_clean < len(langs):
    notes.append(f"clean: mean of {n_clean}/{len(langs)} languages")
  cells = {}
  for scheme in schemes:
    f1s, _ = _mean([r.cells[scheme].f1 for r in langs
                    if r.cells[scheme].drop is not None])
    drop, n_pairs = _mean([r.cells[scheme].drop for r in langs])
    applicable = [r for r in langs
                  if r.cells[scheme].status != NOT_APPLICABLE]
    if not applicable:
      cells[scheme] = Cell(None, None, NOT_APPLICABLE)
      continue
    if n_pairs < len(applicable):
      notes.append(f"{scheme}: mean of {n_pairs}/{len(applicable)} "
                   "applicable languages")
    cells[scheme] = Cell(f1s, drop, OK if n_pairs else NO_SCORES,
                         n_langs=n_pairs)
  return Row(run=first.run, benchmark=first.benchmark, lang="mean",
             step=first.step, em=em, f1=f1,
             clean_status=OK if n_clean else NO_SCORES, n_examples=None,
             cells=cells, notes=notes, is_summary=True, n_langs=len(langs))


@dataclasses.dataclass
class BenchmarkTable:
  """Rows of one benchmark: language-major (runs side by side), then means."""
  benchmark: str
  schemes: List[str]
  rows: List[Row]
  summaries: List[Row]
  # Languages whose case is unknown: case-only schemes shown as measured.
  unknown_case: List[str] = dataclasses.field(default_factory=list)


def build_tables(runs: Sequence[RunResults],
                 has_case: HasCase = languages_has_case,
                 schemes: Optional[Sequence[str]] = None
                 ) -> List[BenchmarkTable]:
  """One table per benchmark over the union of languages of all runs."""
  known, case_only = noise_scheme_facts()
  schemes = list(schemes) if schemes is not None else schemes_in(runs, known)
  langs_of: Dict[str, set] = {}
  for run in runs:
    for benchmark, lang, _ in list(run.scores) + list(run.other_steps):
      langs_of.setdefault(benchmark, set()).add(lang)
  tables = []
  for benchmark in sorted(langs_of):
    langs = sorted(langs_of[benchmark], key=lambda l: (l == ALL_LANGS, l))
    by_run = {run.label: [build_row(run, benchmark, lang, schemes, has_case,
                                    case_only)
                          for lang in langs] for run in runs}
    rows = [by_run[run.label][i] for i in range(len(langs)) for run in runs]
    summaries = [summary_row(by_run[run.label], schemes) for run in runs]
    summaries = [s for s in summaries if s is not None]
    unknown_case = [l for l in langs if l != ALL_LANGS and has_case(l) is None]
    if not set(schemes) & case_only:
      unknown_case = []
    tables.append(BenchmarkTable(benchmark, schemes, rows, summaries,
                                 unknown_case))
  return tables
