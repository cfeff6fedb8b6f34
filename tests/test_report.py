"""Tests for byt5_tasks.report on T5X-format eval outputs the tests write.

The files follow seqio's JSONLogger (what T5X train/eval use): one
`{task}-metrics.jsonl` per task under `inference_eval/`, lines
`{"step": N, "em": x, "f1": y}`, and `{task}-{step:06}.jsonl` inference logs.
One test writes them with the real seqio.JSONLogger.
"""
import csv
import json
import pathlib
import sys

import pytest

from byt5_tasks import report
from byt5_tasks.report import __main__ as report_cli
from byt5_tasks.report import discovery
from byt5_tasks.report import render
from byt5_tasks.report import table as table_lib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_metrics(log_dir: pathlib.Path, task: str, records) -> None:
  """Appends metrics lines the way JSONLogger does."""
  log_dir.mkdir(parents=True, exist_ok=True)
  with open(log_dir / f"{task}-metrics.jsonl", "a") as f:
    for record in records:
      f.write(json.dumps(record) + "\n")


def write_inferences(log_dir: pathlib.Path, task: str, step: int,
                     n: int) -> None:
  with open(log_dir / f"{task}-{step:06}.jsonl", "w") as f:
    for i in range(n):
      f.write(json.dumps({"input": {"id": f"q{i}", "lang": "xx"},
                          "target": "a", "prediction": "a"}) + "\n")


def write_run(run_dir: pathlib.Path, scores, step=1000, prefix="byt5",
              n_examples=None) -> None:
  """scores: {(lang, scheme): (em, f1)}; scheme 'clean' = no noise suffix."""
  log_dir = run_dir / "inference_eval"
  for (lang, scheme), (em, f1) in scores.items():
    task = f"{prefix}_xquad_test.{lang}"
    if scheme != "clean":
      task += f".noise_{scheme}"
    write_metrics(log_dir, task, [{"step": step, "em": em, "f1": f1}])
    if n_examples:
      write_inferences(log_dir, task, step, n_examples)


def by_row(csv_path: pathlib.Path):
  with open(csv_path) as f:
    return {(r["run"], r["benchmark"], r["lang"]): r for r in csv.DictReader(f)}


def no_case(caseless):
  return lambda lang: lang not in caseless


@pytest.mark.parametrize("task, expected", [
    ("byt5_xquad_test.es", ("byt5", "xquad_test", "es", "clean")),
    ("byt5_xquad_test.es.noise_drop", ("byt5", "xquad_test", "es", "drop")),
    ("mt5_mlqa_dev_test.de.noise_add_drop_mutate",
     ("mt5", "mlqa_dev_test", "de", "add_drop_mutate")),
    ("byt5_tydiqa_dev.sw", ("byt5", "tydiqa_dev", "sw", "clean")),
    ("byt5_squad_train_dev.noise_uppercase",
     ("byt5", "squad_train_dev", "en", "uppercase")),
    ("byt5_xquad_test.all_langs", ("byt5", "xquad_test", "all", "clean")),
])
def test_parse_task_name(task, expected):
  name = discovery.parse_task_name(task)
  assert (name.prefix, name.benchmark, name.lang, name.scheme) == expected


def test_parse_task_name_rejects_other_names():
  assert discovery.parse_task_name("span corruption") is None
  assert discovery.parse_task_name("_xquad") is None


def test_metric_values_plain_wrapped_and_nan():
  assert discovery.metric_number(71.5) == 71.5
  assert discovery.metric_number({"value": 71.5}) == 71.5
  assert discovery.metric_number([71.5]) == 71.5
  assert discovery.metric_number(float("nan")) is None
  assert discovery.metric_number("71.5") is None


def test_read_metrics_file_last_line_per_step_wins_and_bad_lines_noted(
    tmp_path):
  write_metrics(tmp_path, "byt5_xquad_test.es",
                [{"step": 1000, "em": 1.0, "f1": 2.0},
                 {"step": 2000, "em": {"value": 3.0}, "f1": {"value": 4.0}},
                 {"step": 1000, "em": 5.0, "f1": 6.0}])
  path = tmp_path / "byt5_xquad_test.es-metrics.jsonl"
  with open(path, "a") as f:
    f.write("{not json\n")
    f.write('{"em": 1}\n')
  log = discovery.read_metrics_file(str(path))
  assert log.task == "byt5_xquad_test.es"
  assert discovery.qa_metrics(log.steps[1000]) == {"em": 5.0, "f1": 6.0}
  assert discovery.qa_metrics(log.steps[2000]) == {"em": 3.0, "f1": 4.0}
  assert len(log.bad_lines) == 2
  assert f"{path}:4" in log.bad_lines[0]
  assert f"{path}:5" in log.bad_lines[1]


def test_reads_what_seqio_jsonlogger_writes(tmp_path):
  tf = pytest.importorskip("tensorflow")
  seqio = pytest.importorskip("seqio")
  log_dir = tmp_path / "model" / "inference_eval"
  log_dir.mkdir(parents=True)  # seqio.Evaluator makes it before logging
  logger = seqio.JSONLogger(output_dir=str(log_dir))
  dataset = tf.data.Dataset.from_tensor_slices(
      {"id": ["a", "b", "c"], "lang": ["es"] * 3})
  import numpy as np  # pylint: disable=g-import-not-at-top
  for task, em, f1 in [("byt5_xquad_test.es", 60.0, 75.5),
                       ("byt5_xquad_test.es.noise_drop", 50.0, 70.25)]:
    logger(task_name=task, step=3000,
           metrics={"em": seqio.metrics.Scalar(np.float32(em)),
                    "f1": seqio.metrics.Scalar(f1)},
           dataset=dataset, inferences={"prediction": ["x", "y", "z"]},
           targets=["x", "y", "w"])
  run = report.load_run(str(tmp_path / "model"))
  assert run.step == 3000
  clean = run.scores[("xquad_test", "es", "clean")]
  noisy = run.scores[("xquad_test", "es", "drop")]
  assert (clean.em, clean.f1, clean.n_examples) == (60.0, 75.5, 3)
  assert (noisy.em, noisy.f1, noisy.n_examples) == (50.0, 70.25, 3)


FAMILY = {("es", "clean"): (60.0, 75.0), ("es", "drop"): (55.0, 71.0),
          ("es", "uppercase"): (58.0, 74.5),
          ("ru", "clean"): (50.0, 66.0), ("ru", "drop"): (40.0, 60.0),
          ("ru", "uppercase"): (45.0, 63.0),
          ("th", "clean"): (45.0, 55.0), ("th", "drop"): (30.0, 45.0),
          ("th", "uppercase"): (45.0, 55.0)}
MT5 = {("es", "clean"): (55.0, 70.0), ("es", "drop"): (30.0, 40.0),
       ("ru", "clean"): (45.0, 62.0)}


@pytest.fixture
def two_runs(tmp_path):
  write_run(tmp_path / "family", FAMILY, step=2000, n_examples=4)
  write_run(tmp_path / "mt5_small", MT5, step=1000, prefix="mt5")
  return tmp_path


@pytest.fixture
def two_run_report(two_runs, tmp_path):
  """The tables of both runs (no plots); th has no letter case."""
  return report.write_report(
      [str(two_runs / "family"), str(two_runs / "mt5_small")],
      str(tmp_path / "out"), plots=False, has_case=no_case({"th"}))


def test_table_numbers(two_run_report):
  files = two_run_report
  rows = by_row(files.csv)
  es = rows[("family", "xquad_test", "es")]
  assert float(es["em"]) == FAMILY[("es", "clean")][0]
  assert float(es["f1"]) == FAMILY[("es", "clean")][1]
  assert float(es["noise_drop_f1"]) == FAMILY[("es", "drop")][1]
  assert float(es["noise_drop_f1_drop"]) == pytest.approx(
      FAMILY[("es", "clean")][1] - FAMILY[("es", "drop")][1])
  assert es["step"] == "2000" and es["n_examples"] == "4"
  mt5_es = rows[("mt5_small", "xquad_test", "es")]
  assert float(mt5_es["noise_drop_f1_drop"]) == pytest.approx(30.0)
  assert mt5_es["step"] == "1000"
  # Mean over languages; a scheme's mean drop over languages with both.
  mean = rows[("family", "xquad_test", "mean")]
  langs = ["es", "ru", "th"]
  assert float(mean["f1"]) == pytest.approx(
      sum(FAMILY[(l, "clean")][1] for l in langs) / 3, abs=1e-4)
  assert float(mean["noise_drop_f1_drop"]) == pytest.approx(
      sum(FAMILY[(l, "clean")][1] - FAMILY[(l, "drop")][1]
          for l in langs) / 3, abs=1e-4)
  # th has no case: its uppercase score is not counted.
  assert float(mean["noise_uppercase_f1_drop"]) == pytest.approx(
      sum(FAMILY[(l, "clean")][1] - FAMILY[(l, "uppercase")][1]
          for l in ["es", "ru"]) / 2, abs=1e-4)
  assert mean["n_langs"] == "3"


def test_markdown_cells(two_run_report):
  files = two_run_report
  text = files.markdown.read_text()
  assert "| es | family | 4 | 60.0 | 75.0 | 71.0 (−4.0) | 74.5 (−0.5) |" in text
  assert "| es | mt5_small |  | 55.0 | 70.0 | 40.0 (−30.0) | missing |" in text
  assert "| th | family | 4 | 45.0 | 55.0 | 45.0 (−10.0) | n/a (no case) |" in (
      text)
  assert "Runs: family (step 2000), mt5_small (step 1000)." in text
  # th has no case: the uppercase mean covers 2 of the 3 languages.
  family_mean = next(line for line in text.splitlines()
                     if line.startswith("| **mean** (3) | **family** |"))
  assert family_mean.count("[2/3]") == 1
  assert family_mean.split(" | ")[-1].endswith("[2/3] |")
  # Rows are language-major so runs sit next to each other.
  assert text.index("| es | mt5_small") < text.index("| ru | family")


def test_missing_pieces_are_named_not_zero(two_run_report):
  files = two_run_report
  rows = by_row(files.csv)
  th = rows[("mt5_small", "xquad_test", "th")]
  assert th["em"] == th["f1"] == th["noise_drop_f1"] == th["noise_drop_f1_drop"] == ""
  assert "clean: missing task" in th["notes"]
  assert "uppercase: n/a (no case)" in th["notes"]
  ru = rows[("mt5_small", "xquad_test", "ru")]
  assert ru["noise_drop_f1"] == "" and "drop: missing task" in ru["notes"]
  family_th = rows[("family", "xquad_test", "th")]
  assert family_th["noise_uppercase_f1"] == ""
  assert family_th["noise_uppercase_f1_drop"] == ""
  text = files.markdown.read_text()
  assert "- mt5_small · th: clean: missing task; drop: missing task" in text
  mt5_mean = rows[("mt5_small", "xquad_test", "mean")]
  assert "clean: mean of 2/3 languages" in mt5_mean["notes"]
  assert "drop: mean of 1/3 applicable languages" in mt5_mean["notes"]


def test_noisy_without_clean_keeps_score_but_no_drop(tmp_path):
  write_run(tmp_path / "run", {("de", "drop"): (10.0, 20.0),
                               ("es", "clean"): (30.0, 40.0)})
  files = report.write_report([str(tmp_path / "run")], str(tmp_path / "out"),
                              plots=False, has_case=lambda _: True)
  de = by_row(files.csv)[("run", "xquad_test", "de")]
  assert de["noise_drop_f1"] == "20.0000" and de["noise_drop_f1_drop"] == ""
  assert "drop: no clean score" in de["notes"]
  assert "| de | run |  | missing | missing | 20.0 (no clean) |" in (
      files.markdown.read_text())


def test_latest_step_by_default_and_missing_step_named(tmp_path):
  log_dir = tmp_path / "run" / "inference_eval"
  write_metrics(log_dir, "byt5_xquad_test.es",
                [{"step": 1000, "em": 1.0, "f1": 2.0},
                 {"step": 2000, "em": 3.0, "f1": 4.0}])
  write_metrics(log_dir, "byt5_xquad_test.es.noise_drop",
                [{"step": 1000, "em": 0.5, "f1": 1.5}])
  latest = report.load_run(str(tmp_path / "run"))
  assert latest.step == 2000
  assert latest.scores[("xquad_test", "es", "clean")].f1 == 4.0
  tables = report.build_tables([latest], has_case=lambda _: True)
  cell = tables[0].rows[0].cells["drop"]
  assert cell.f1 is None
  assert cell.status == "missing step 2000 (has 1000)"
  chosen = report.load_run(str(tmp_path / "run"), step=1000)
  row = report.build_tables([chosen], has_case=lambda _: True)[0].rows[0]
  assert row.f1 == 2.0 and row.cells["drop"].drop == pytest.approx(0.5)


def test_step_absent_everywhere_is_noted(tmp_path):
  write_run(tmp_path / "run", {("es", "clean"): (1.0, 2.0)}, step=1000)
  run = report.load_run(str(tmp_path / "run"), step=5000)
  assert not run.scores
  assert any("no task was evaluated at step 5000" in n for n in run.notes)


def test_case_only_scheme_on_unknown_script_is_kept_with_a_note(tmp_path):
  write_run(tmp_path / "run", {("xx", "clean"): (10.0, 20.0),
                               ("xx", "random_case"): (5.0, 15.0)})
  run = report.load_run(str(tmp_path / "run"))
  table = report.build_tables([run], has_case=lambda _: None)[0]
  assert table.rows[0].cells["random_case"].drop == pytest.approx(5.0)
  assert table.unknown_case == ["xx"]
  assert "letter case unknown for xx" in render.markdown_table(table)


def test_default_case_lookup_and_scheme_order_come_from_the_package(tmp_path):
  write_run(tmp_path / "run", {
      (lang, scheme): (10.0, 20.0) for lang in ("es", "th")
      for scheme in ("clean", "random_case", "antspeak", "drop")})
  table = report.build_tables([report.load_run(str(tmp_path / "run"))])[0]
  assert table.schemes == ["drop", "antspeak", "random_case"]
  es, th = table.rows
  assert es.cells["random_case"].status == table_lib.OK
  assert th.cells["random_case"].status == table_lib.NOT_APPLICABLE
  assert th.cells["antspeak"].status == table_lib.OK  # still adds spaces
  assert not table.unknown_case


def test_pooled_all_langs_row_is_shown_but_not_averaged(tmp_path):
  write_run(tmp_path / "run", {("es", "clean"): (10.0, 20.0),
                               ("de", "clean"): (30.0, 40.0),
                               ("all_langs", "clean"): (90.0, 95.0)})
  table = report.build_tables([report.load_run(str(tmp_path / "run"))],
                              has_case=lambda _: True)[0]
  assert [r.lang for r in table.rows] == ["de", "es", "all"]
  assert table.rows[-1].f1 == 95.0
  assert table.summaries[0].f1 == pytest.approx(30.0)
  assert table.summaries[0].n_langs == 2


def test_languages_lookup_falls_back_to_unknown(monkeypatch):
  monkeypatch.setitem(sys.modules, "byt5_tasks.languages", None)
  assert table_lib.languages_has_case("th") is None


def test_non_qa_tasks_and_nested_eval_dirs(tmp_path):
  run_dir = tmp_path / "run"
  write_metrics(run_dir / "eval_xquad" / "inference_eval",
                "byt5_xquad_test.es", [{"step": 7, "em": 1.0, "f1": 2.0}])
  write_metrics(run_dir / "eval_tydiqa" / "inference_eval",
                "byt5_tydiqa_dev.sw", [{"step": 7, "em": 3.0, "f1": 4.0}])
  write_metrics(run_dir / "inference_eval", "byt5_family_span_corruption",
                [{"step": 7, "accuracy": 0.5}])
  run = report.load_run(str(run_dir))
  assert set(run.scores) == {("xquad_test", "es", "clean"),
                             ("tydiqa_dev", "sw", "clean")}
  assert run.counts["ignored_tasks"] == 1
  assert run.counts["metrics_files"] == 3
  assert any("byt5_family_span_corruption" in n for n in run.notes)
  only_xquad = report.load_run(str(run_dir / "eval_xquad" / "inference_eval"))
  assert set(only_xquad.scores) == {("xquad_test", "es", "clean")}
  assert only_xquad.label == "eval_xquad"


def test_plots_are_valid_pngs(two_runs, tmp_path):
  import matplotlib.image  # pylint: disable=g-import-not-at-top
  files = report.write_report(
      [str(two_runs / "family"), str(two_runs / "mt5_small")],
      str(tmp_path / "out"), has_case=no_case({"th"}))
  names = sorted(p.name for p in files.plots)
  assert names == ["drop_xquad_test.png", "f1_xquad_test.png"]
  for path in files.plots:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert image.std() > 0  # not a blank canvas


def test_cli_labels_and_errors(two_runs, tmp_path, capsys):
  out = tmp_path / "out"
  code = report_cli.main([str(two_runs / "family"), str(two_runs / "mt5_small"),
                          "--out", str(out), "--labels", "ours,mt5-small",
                          "--no-plots"])
  assert code == 0
  rows = by_row(out / "results.csv")
  assert ("ours", "xquad_test", "es") in rows
  assert ("mt5-small", "xquad_test", "mean") in rows
  assert not list(out.glob("*.png"))
  assert "cells not filled" in capsys.readouterr().out
  assert report_cli.main([str(two_runs / "family"), "--out", str(out),
                          "--labels", "a,b"]) == 2
  assert report_cli.main([str(tmp_path / "nope"), "--out", str(out)]) == 2
  assert "does not exist" in capsys.readouterr().err


def test_cli_step_per_run(two_runs, tmp_path):
  out = tmp_path / "out"
  assert report_cli.main([str(two_runs / "family"),
                          str(two_runs / "mt5_small"), "--out", str(out),
                          "--step", "2000,1000", "--no-plots"]) == 0
  rows = by_row(out / "results.csv")
  assert rows[("family", "xquad_test", "es")]["step"] == "2000"
  assert rows[("mt5_small", "xquad_test", "es")]["f1"] == "70.0000"


def test_run_without_qa_outputs_says_so(tmp_path):
  (tmp_path / "empty").mkdir()
  files = report.write_report([str(tmp_path / "empty")], str(tmp_path / "out"))
  assert files.tables == [] and files.plots == []
  assert "- empty: no QA metrics files found under" in (
      files.markdown.read_text())
  assert files.csv.read_text().startswith("run,benchmark,lang,step")


def test_same_directory_names_need_labels(tmp_path):
  write_run(tmp_path / "a" / "run", {("es", "clean"): (1.0, 2.0)})
  write_run(tmp_path / "b" / "run", {("es", "clean"): (1.0, 2.0)})
  with pytest.raises(report.ReportError, match="--labels"):
    report.write_report([str(tmp_path / "a" / "run"),
                         str(tmp_path / "b" / "run")], str(tmp_path / "o"))
