"""Tests for launch/tpu_vm.py: the commands it would run, without any cloud."""
import importlib.util
import pathlib
import shlex
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent


def _load_launcher():
  spec = importlib.util.spec_from_file_location(
      "tpu_vm", REPO / "launch" / "tpu_vm.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


tpu_vm = _load_launcher()

BASE_ARGS = [
    "--project", "my-proj", "--zone", "us-central2-b", "--tpu", "tpu-a",
    "--bucket", "gs://bkt/exp", "--run-name", "romance_small",
    "--gin-file", "models/byt5_small.gin",
    "--gin-file", "pretrain/family.gin",
    "--gin", "FAMILY='romance'",
]


def _dry_run(capsys, extra=()):
  rc = tpu_vm.main(BASE_ARGS + list(extra) + ["--dry-run"])
  out, err = capsys.readouterr()
  lines = [l for l in out.splitlines() if l]
  assert all(l.startswith("would run: ") for l in lines), out
  return rc, [shlex.split(l[len("would run: "):]) for l in lines], err


def _remote_argv(command):
  """The worker-side command of a `gcloud ... ssh --command=...` argv."""
  [flag] = [a for a in command if a.startswith("--command=")]
  return shlex.split(flag[len("--command="):])


def test_dry_run_installs_then_trains_on_all_workers(capsys):
  rc, commands, _ = _dry_run(capsys)
  assert rc == 0
  tar, scp, install, train = commands
  assert tar[:2] == ["tar", "-czf"] and "--exclude=.git" in tar
  assert tar[tar.index("-C") + 1] == str(REPO)
  assert scp[:5] == ["gcloud", "compute", "tpus", "tpu-vm", "scp"]
  for command in (scp, install, train):
    assert "--worker=all" in command
    assert "--zone=us-central2-b" in command
    assert "--project=my-proj" in command
    assert "tpu-a" in command or "tpu-a:~/byt5-tasks.tgz" in command
  assert "launch/install_t5x.sh" in _remote_argv(install)
  assert "--tpu" in _remote_argv(install)


def test_train_command_runs_t5x_with_gins_in_order_and_output_dir(capsys):
  _, commands, _ = _dry_run(capsys)
  remote = _remote_argv(commands[-1])
  binary = remote[remote.index("python3"):remote.index("2>&1")]
  assert binary[:3] == ["python3", "-m", "t5x.train"]
  assert binary[3] == "--gin_search_paths=gin"
  gin_files = [a.split("=", 1)[1] for a in binary if
               a.startswith("--gin_file=")]
  assert gin_files == ["models/byt5_small.gin", "pretrain/family.gin"]
  assert "--gin.MODEL_DIR='gs://bkt/exp/runs/romance_small'" in binary
  assert "--gin.FAMILY='romance'" in binary
  assert remote[-2:] == ["tee", "~/romance_small.log"]


def test_eval_mode_uses_eval_binary_and_output_macro(capsys):
  _, commands, _ = _dry_run(capsys, ["--mode", "eval", "--skip-install"])
  assert len(commands) == 1
  remote = _remote_argv(commands[0])
  assert remote[remote.index("python3") + 2] == "t5x.eval"
  assert "--gin.EVAL_OUTPUT_DIR='gs://bkt/exp/runs/romance_small'" in remote
  assert not any(a.startswith("--gin.MODEL_DIR") for a in remote)


def test_create_and_data_dirs(capsys):
  _, commands, _ = _dry_run(capsys, [
      "--create", "--tpu-type", "v4-32", "--data-dir", "gs://bkt/data",
      "--tfds-data-dir", "gs://bkt/tfds"])
  create = commands[0]
  assert create[4:6] == ["create", "tpu-a"]
  assert "--accelerator-type=v4-32" in create
  remote = _remote_argv(commands[-1])
  assert "BYT5_TASKS_DATA_DIR=gs://bkt/data" in remote
  assert "--tfds_data_dir=gs://bkt/tfds" in remote


@pytest.mark.parametrize("extra, message", [
    (["--gin-file", "models/nope.gin"], "models/nope.gin"),
    (["--create"], "--tpu-type"),
    (["--gin", "MODEL_DIR='gs://x'"], "MODEL_DIR"),
    (["--gin", "NOEQUALS"], "NAME=VALUE"),
    (["--data-dir", "/local/data"], "gs://"),
])
def test_bad_requests_fail_before_running_anything(capsys, monkeypatch,
                                                   extra, message):
  monkeypatch.setattr(subprocess, "run", _no_subprocess)
  assert tpu_vm.main(BASE_ARGS + extra) == 2
  out, err = capsys.readouterr()
  assert message in err
  assert out == ""


def test_bucket_must_be_gcs(capsys):
  args = [a if a != "gs://bkt/exp" else "/tmp/bkt" for a in BASE_ARGS]
  assert tpu_vm.main(args + ["--dry-run"]) == 2
  assert "gs://" in capsys.readouterr().err


def _no_subprocess(*args, **kwargs):
  raise AssertionError(f"ran a command: {args} {kwargs}")


def test_dry_run_runs_nothing(capsys, monkeypatch):
  monkeypatch.setattr(subprocess, "run", _no_subprocess)
  rc, _, _ = _dry_run(capsys)
  assert rc == 0


def test_real_run_runs_exactly_the_printed_commands(capsys, monkeypatch):
  calls = []
  monkeypatch.setattr(subprocess, "run",
                      lambda argv, check: calls.append(argv))
  assert tpu_vm.main(BASE_ARGS) == 0
  out = capsys.readouterr().out
  printed = [shlex.split(l[2:]) for l in out.splitlines()
             if l.startswith("+ ")]
  assert calls == printed
  assert len(calls) == 4
  assert "outputs: gs://bkt/exp/runs/romance_small" in out
