#!/usr/bin/env python3
"""Runs a byt5-tasks gin setup with T5X on every worker of a Cloud TPU VM.

  python launch/tpu_vm.py --project P --zone us-central2-b --tpu my-v4 \
      --tpu-type v4-32 --bucket gs://my-bucket --run-name romance_small \
      --gin-file models/byt5_small.gin --gin-file pretrain/family.gin \
      --gin FAMILY="'romance'" [--mode train|eval] [--create] [--dry-run]

Steps, each a `gcloud compute tpus tpu-vm` command run on ALL workers:
  1. (--create) create the TPU VM;
  2. copy this repository (a tarball of the working tree, without .git) to
     every worker and run launch/install_t5x.sh --tpu there;
  3. run `python3 -m t5x.train` (or `t5x.eval`) with the gin files, MODEL_DIR
     (or EVAL_OUTPUT_DIR) = {bucket}/runs/{run_name}, logs in ~/{run_name}.log.
`--dry-run` prints the exact commands and runs nothing; `--skip-install`
reuses a previous install. Needs the Google Cloud SDK (`gcloud`) otherwise.
"""
import argparse
import pathlib
import shlex
import subprocess
import sys
from typing import List, Optional, Sequence

REPO = pathlib.Path(__file__).resolve().parent.parent
GIN_DIR = REPO / "gin"
REMOTE_DIR = "byt5-tasks"  # under the worker's home directory
TARBALL = "/tmp/byt5-tasks.tgz"
DEFAULT_RUNTIME = "tpu-ubuntu2204-base"
MODES = {"train": "t5x.train", "eval": "t5x.eval"}
# The gin macro each binary writes its outputs to.
OUTPUT_MACRO = {"train": "MODEL_DIR", "eval": "EVAL_OUTPUT_DIR"}


class LaunchError(ValueError):
  """A launch request that cannot work; raised before anything runs."""


def _parser() -> argparse.ArgumentParser:
  p = argparse.ArgumentParser(
      prog="launch/tpu_vm.py",
      description=__doc__.split("\n\n")[0],
      formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--project", required=True, help="GCP project id")
  p.add_argument("--zone", required=True, help="e.g. us-central2-b")
  p.add_argument("--tpu", required=True, help="TPU VM name")
  p.add_argument("--tpu-type", help="accelerator type, e.g. v4-32 (--create)")
  p.add_argument("--runtime-version", default=DEFAULT_RUNTIME,
                 help=f"TPU VM software version (--create; {DEFAULT_RUNTIME})")
  p.add_argument("--bucket", required=True,
                 help="gs:// bucket (or gs://bucket/prefix) for outputs")
  p.add_argument("--run-name", required=True,
                 help="outputs go to {bucket}/runs/{run_name}")
  p.add_argument("--gin-file", action="append", required=True,
                 help="gin file relative to gin/, in order: model first")
  p.add_argument("--gin", action="append", default=[], metavar="NAME=VALUE",
                 help="extra gin binding, e.g. FAMILY=\"'romance'\"")
  p.add_argument("--mode", choices=sorted(MODES), default="train")
  p.add_argument("--data-dir",
                 help="BYT5_TASKS_DATA_DIR on the workers (gs:// path); "
                 "default: TFDS")
  p.add_argument("--tfds-data-dir", help="T5X --tfds_data_dir (gs:// path)")
  p.add_argument("--create", action="store_true",
                 help="create the TPU VM first (needs --tpu-type)")
  p.add_argument("--skip-install", action="store_true",
                 help="the workers already have the package and T5X")
  p.add_argument("--dry-run", action="store_true",
                 help="print the commands, run nothing")
  return p


def _check(args: argparse.Namespace) -> None:
  if not args.bucket.startswith("gs://"):
    raise LaunchError(f"--bucket must be a gs:// path, got {args.bucket!r}")
  if args.create and not args.tpu_type:
    raise LaunchError("--create needs --tpu-type (e.g. v4-8)")
  for name in args.gin_file:
    if not (GIN_DIR / name).is_file():
      raise LaunchError(f"--gin-file {name}: no such file under {GIN_DIR}")
  for binding in args.gin:
    if "=" not in binding:
      raise LaunchError(f"--gin {binding!r}: expected NAME=VALUE")
  out_macro = OUTPUT_MACRO[args.mode]
  if any(b.split("=", 1)[0].strip() == out_macro for b in args.gin):
    raise LaunchError(f"{out_macro} is set by the launcher from --bucket "
                      "and --run-name; do not pass it with --gin")
  for path in (args.data_dir, args.tfds_data_dir):
    if path and not path.startswith("gs://"):
      raise LaunchError(f"{path!r}: TPU workers read data from gs:// paths")


def _gcloud_tpu(args: argparse.Namespace, verb: str,
                *rest: str) -> List[str]:
  return ["gcloud", "compute", "tpus", "tpu-vm", verb, *rest,
          f"--zone={args.zone}", f"--project={args.project}"]


def _ssh_all(args: argparse.Namespace, remote_command: str) -> List[str]:
  return _gcloud_tpu(args, "ssh", args.tpu, "--worker=all",
                     f"--command={remote_command}")


def output_dir(args: argparse.Namespace) -> str:
  return f"{args.bucket.rstrip('/')}/runs/{args.run_name}"


def remote_run_command(args: argparse.Namespace) -> str:
  """The shell command each worker runs for the T5X binary."""
  env = []
  if args.data_dir:
    env.append(f"BYT5_TASKS_DATA_DIR={shlex.quote(args.data_dir)}")
  binary = ["python3", "-m", MODES[args.mode], "--gin_search_paths=gin"]
  binary += [f"--gin_file={name}" for name in args.gin_file]
  out = f"'{output_dir(args)}'"
  binary.append(f"--gin.{OUTPUT_MACRO[args.mode]}={out}")
  binary += [f"--gin.{b}" for b in args.gin]
  if args.tfds_data_dir:
    binary.append(f"--tfds_data_dir={args.tfds_data_dir}")
  log = f"~/{shlex.quote(args.run_name)}.log"
  return (f"cd ~/{REMOTE_DIR} && " + " ".join(env + [shlex.join(binary)])
          + f" 2>&1 | tee {log}")


def build_commands(args: argparse.Namespace) -> List[List[str]]:
  """Every command the launch runs, in order (argv lists, no shell)."""
  _check(args)
  commands = []
  if args.create:
    commands.append(_gcloud_tpu(
        args, "create", args.tpu, f"--accelerator-type={args.tpu_type}",
        f"--version={args.runtime_version}"))
  if not args.skip_install:
    commands.append([
        "tar", "-czf", TARBALL, "-C", str(REPO), "--exclude=.git",
        "--exclude=__pycache__", "--exclude=*.egg-info", "."])
    commands.append(_gcloud_tpu(args, "scp", TARBALL,
                                f"{args.tpu}:~/byt5-tasks.tgz",
                                "--worker=all"))
    commands.append(_ssh_all(
        args, f"rm -rf ~/{REMOTE_DIR} && mkdir -p ~/{REMOTE_DIR} && "
        f"tar -xzf ~/byt5-tasks.tgz -C ~/{REMOTE_DIR} && "
        f"cd ~/{REMOTE_DIR} && PYTHON=python3 bash launch/install_t5x.sh --tpu"))
  commands.append(_ssh_all(args, remote_run_command(args)))
  return commands


def main(argv: Optional[Sequence[str]] = None) -> int:
  args = _parser().parse_args(argv)
  try:
    commands = build_commands(args)
  except LaunchError as e:
    print(f"tpu_vm: error: {e}", file=sys.stderr)
    return 2
  for command in commands:
    print(("would run: " if args.dry_run else "+ ") + shlex.join(command),
          flush=True)
    if not args.dry_run:
      subprocess.run(command, check=True)
  if not args.dry_run:
    print(f"outputs: {output_dir(args)}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
