"""The README's main job (launch/local_main_job.sh) end to end, in quick mode:
real T5X binaries, real data, a few steps, a few questions per eval task."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = REPO / "launch" / "local_main_job.sh"
SCHEMES = ("drop", "add_drop_mutate", "repetitions", "antspeak", "uppercase",
           "random_case")
FAMILY_XQUAD_LANGS = ("es", "ro")  # romance languages with mC4 data here


def _run(args, env=None, timeout=1500):
  return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True,
                        text=True, env=env, timeout=timeout, check=False)


@pytest.mark.t5x
@pytest.mark.data
def test_quick_main_job_end_to_end(tmp_path, real_data_dir):
  out = tmp_path / "job"
  env = dict(os.environ, BYT5_TASKS_DATA_DIR=str(real_data_dir))
  result = _run([str(out), "--quick", "--python", sys.executable], env)
  assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
  assert "eval languages: es ro" in result.stdout
  # Checkpoints of both training stages: 20 pretraining + 10 fine-tuning.
  assert (out / "pretrain" / "checkpoint_20").is_dir()
  assert (out / "finetune" / "checkpoint_30").is_dir()
  # T5X eval metrics for every clean and noised task, from 8 questions each.
  eval_dir = out / "eval" / "inference_eval"
  for lang in FAMILY_XQUAD_LANGS:
    for suffix in ("",) + tuple(f".noise_{s}" for s in SCHEMES):
      task = f"byt5_xquad_test.{lang}{suffix}"
      lines = (eval_dir / f"{task}-metrics.jsonl").read_text().splitlines()
      metrics = json.loads(lines[-1])
      assert metrics["step"] == 30
      assert 0.0 <= metrics["em"] <= metrics["f1"] <= 100.0, (task, metrics)
      predictions = (eval_dir / f"{task}-000030.jsonl").read_text()
      assert len(predictions.splitlines()) == 8, task
  # The same 8 questions clean and noised.
  def ids(task):
    path = eval_dir / f"{task}-000030.jsonl"
    return [json.loads(l)["input"]["id"] for l in path.read_text().splitlines()]
  assert ids("byt5_xquad_test.es") == ids("byt5_xquad_test.es.noise_drop")
  # The results table has a row per language and a column per scheme.
  table = (out / "report" / "results.md").read_text()
  for lang in FAMILY_XQUAD_LANGS:
    assert f"| {lang} | byt5_tiny_romance | 8 |" in table
  for scheme in SCHEMES:
    assert scheme in table
  assert (out / "report" / "results.csv").is_file()
  for stage in ("pretrain", "finetune", "eval", "report"):
    assert (out / "logs" / f"{stage}.log").stat().st_size > 0


def test_refuses_to_run_without_data_dir(tmp_path):
  env = {k: v for k, v in os.environ.items() if k != "BYT5_TASKS_DATA_DIR"}
  result = _run([str(tmp_path / "job"), "--quick"], env, timeout=60)
  assert result.returncode == 2
  assert "BYT5_TASKS_DATA_DIR" in result.stderr
  assert not (tmp_path / "job").exists()


def test_refuses_python_without_t5x_and_installs_nothing(tmp_path):
  fake_python = tmp_path / "python"
  fake_python.write_text("#!/bin/sh\nexit 1\n")
  fake_python.chmod(0o755)
  data = tmp_path / "data"
  (data / "mc4").mkdir(parents=True)
  (data / "qa").mkdir()
  env = dict(os.environ, BYT5_TASKS_DATA_DIR=str(data))
  result = _run([str(tmp_path / "job"), "--python", str(fake_python)], env,
                timeout=60)
  assert result.returncode == 2
  assert "installs nothing" in result.stderr
  assert "Running with T5X" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--pretrain-steps", "ten"], "integers"),
    (["--finetune-steps", "0"], "> 0"),
    (["--bogus"], "unknown option"),
])
def test_rejects_bad_options(tmp_path, args, message):
  result = _run([str(tmp_path / "job"), *args], timeout=60)
  assert result.returncode == 2
  assert message in result.stderr


@pytest.mark.t5x
@pytest.mark.data
def test_cpu_fake_mesh_preset_trains_on_a_data_by_model_mesh(
    tmp_path, real_data_dir):
  env = dict(os.environ, BYT5_TASKS_DATA_DIR=str(real_data_dir),
             XLA_FLAGS="--xla_force_host_platform_device_count=4")
  result = subprocess.run(
      [sys.executable, "-m", "t5x.train", f"--gin_search_paths={REPO}/gin",
       "--gin_file=models/byt5_tiny.gin", "--gin_file=local/pretrain.gin",
       "--gin_file=partitioning/cpu_fake_mesh.gin",
       "--gin.FAMILY='romance'", "--gin.TRAIN_STEPS=2",
       "--gin.INPUTS_LENGTH=64", f"--gin.MODEL_DIR='{tmp_path}/model'"],
      capture_output=True, text=True, env=env, timeout=900, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert "global_mesh devices shape: (2, 2)" in result.stderr
  assert (tmp_path / "model" / "checkpoint_2").is_dir()
