"""Every gin file under gin/: references that resolve, and (with T5X) a parse
and bind the way the T5X binaries do it."""
import functools
import os
import pathlib
import re
import sys
from typing import Dict, List, Sequence, Tuple

import pytest

from byt5_tasks import gin_helpers

REPO = pathlib.Path(__file__).resolve().parent.parent
GIN_DIR = REPO / "gin"
ALL_GINS = sorted(p.relative_to(GIN_DIR).as_posix()
                  for p in GIN_DIR.rglob("*.gin"))
# Files meant to be added after a setup gin, not run on their own.
OVERLAYS = {"finetune/learnable_noise.gin"} | {
    g for g in ALL_GINS if pathlib.PurePosixPath(g).name.startswith("from_")}
RUN_DIRS = ("pretrain", "finetune", "eval", "local")
RUN_GINS = [g for g in ALL_GINS
            if g.split("/")[0] in RUN_DIRS and g not in OVERLAYS]
EVAL_GINS = [g for g in RUN_GINS if g.startswith("eval/") or g ==
             "local/eval.gin"]

_INCLUDE = re.compile(r"^include\s+'([^']+)'", re.M)


def _text(name: str) -> str:
  return (GIN_DIR / name).read_text(encoding="utf-8")


def _chain(name: str) -> List[str]:
  """The file and every one of OUR gins it includes, included ones first."""
  out = []
  for inc in _INCLUDE.findall(_text(name)):
    if not inc.startswith("t5x/"):
      out += [f for f in _chain(inc) if f not in out]
  return out + [name]


def _chain_text(name: str) -> str:
  return "\n".join(_text(f) for f in _chain(name))


def test_there_are_gins_in_every_directory():
  dirs = {g.split("/")[0] for g in ALL_GINS}
  assert dirs == {"models", "pretrain", "finetune", "eval", "partitioning",
                  "local"}


@pytest.mark.parametrize("name", ALL_GINS)
def test_includes_resolve_and_file_says_what_it_is(name):
  text = _text(name)
  assert text.startswith("#"), f"{name}: start with a comment saying why"
  for inc in _INCLUDE.findall(text):
    if inc.startswith("t5x/"):
      assert inc.startswith(("t5x/configs/runs/", "t5x/examples/t5/")), inc
    else:
      assert (GIN_DIR / inc).is_file(), f"{name}: include {inc!r} not found"


@pytest.mark.parametrize("name", ALL_GINS)
def test_gin_helpers_references_exist(name):
  for fn in re.findall(r"@(?:\w+/)?gin_helpers\.(\w+)\(\)", _text(name)):
    assert callable(getattr(gin_helpers, fn, None)), f"{name}: {fn}"


@pytest.mark.parametrize("name", RUN_GINS)
def test_run_gins_import_tasks_and_set_t5x_gaps(name):
  text = _chain_text(name)
  assert "import byt5_tasks.tasks" in text
  assert re.search(r"^DROPOUT_RATE = [0-9.]+", text, re.M)
  assert re.search(r"^USE_CACHED_TASKS = False", text, re.M)


@pytest.mark.parametrize("name", EVAL_GINS)
def test_eval_gins_have_explicit_feature_lengths(name):
  text = _chain_text(name)
  assert re.search(r"^TASK_FEATURE_LENGTHS = \{'inputs': %INPUTS_LENGTH, "
                   r"'targets': %TARGETS_LENGTH\}", text, re.M)
  inputs = re.findall(r"^INPUTS_LENGTH = (\d+)", text, re.M)
  targets = re.findall(r"^TARGETS_LENGTH = (\d+)", text, re.M)
  assert inputs and targets, name
  # And they reach the eval dataset (not just a macro nobody reads).
  assert "t5x/configs/runs/eval.gin" in text


@pytest.mark.parametrize("name", [g for g in ALL_GINS
                                  if g.startswith("models/")])
def test_model_gins_set_the_vocabulary_prefix(name):
  prefix = pathlib.PurePosixPath(name).stem.split("_")[0]
  assert f"VOCAB_PREFIX = '{prefix}'" in _text(name)


# --------------------------- with T5X installed ------------------------------

# Values for the macros a user must give, by file.
_REQUIRED = {
    "MODEL_DIR": "'/tmp/model'",
    "FAMILY": "'romance'",
    "INITIAL_CHECKPOINT_PATH": "'/tmp/ckpt/checkpoint_10'",
    "TRAIN_STEPS": "20",
    "CHECKPOINT_PATH": "'/tmp/ckpt/checkpoint_10'",
    "EVAL_OUTPUT_DIR": "'/tmp/eval'",
    "EVAL_TASKS": "['xquad_test.es']",
    "NOISE_SCHEME": "'drop'",
    "FINETUNE_TASK": "'xquad_zeroshot'",
}


def _case(name: str) -> Tuple[List[str], bool]:
  """(gin files to parse, in order; whether the eval binary runs them)."""
  top = name.split("/")[0]
  if top in ("models", "partitioning"):
    return [name], False
  if name in OVERLAYS:
    model = "models/byt5_tiny.gin"
    match = re.match(r"finetune/from_(byt5|mt5)_(\w+)\.gin", name)
    if match:
      model = f"models/{match[1]}_{match[2]}.gin"
    return [model, "finetune/xquad_zeroshot.gin", name], False
  return ["models/byt5_tiny.gin", name], name in EVAL_GINS


CASES = [(name, *_case(name)) for name in ALL_GINS]


def test_every_gin_file_has_a_parse_case():
  covered = {f for _, files, _ in CASES for f in files}
  assert covered == set(ALL_GINS)


@pytest.fixture
def gin_env(monkeypatch):
  """A clean gin state with T5X's and our search paths, as the binaries."""
  import gin  # pylint: disable=g-import-not-at-top
  import t5x  # pylint: disable=g-import-not-at-top
  gin.clear_config(clear_constants=True)
  gin.add_config_file_search_path(str(GIN_DIR))
  gin.add_config_file_search_path(
      os.path.dirname(os.path.dirname(t5x.__file__)))
  yield gin
  gin.clear_config(clear_constants=True)


@functools.lru_cache(maxsize=None)
def _probe():
  """A configurable whose bound arguments are the values under test."""
  import gin  # pylint: disable=g-import-not-at-top

  @gin.configurable("byt5_test_probe")
  def probe(**kwargs):
    return kwargs
  return probe


_MACRO = re.compile(r"^([A-Z][A-Z0-9_]*) = (.*)$", re.M)


def _still_required(files: Sequence[str]) -> List[str]:
  """Macros whose last assignment over the files (and the gins they
  include) is `%gin.REQUIRED`, i.e. what a user must pass."""
  last = {}
  for name in files:
    for f in _chain(name):
      for macro, value in _MACRO.findall(_text(f)):
        last[macro] = value
  return sorted(m for m, v in last.items() if v.startswith("%gin.REQUIRED"))


def _parse_and_bind(gin, monkeypatch, files: Sequence[str], is_eval: bool,
                    probes: Dict[str, str]):
  """Parses like T5X does, then evaluates the probed macros/references."""
  import t5x.eval  # pylint: disable=g-import-not-at-top
  import t5x.train  # pylint: disable=g-import-not-at-top
  # Run gins `import __main__ as train_script` / `eval_script`.
  monkeypatch.setitem(sys.modules, "__main__", t5x.eval if is_eval
                      else t5x.train)
  probe = _probe()
  bindings = [f"{k} = {_REQUIRED[k]}" for k in _still_required(files)]
  bindings += [f"byt5_test_probe.{k} = {v}" for k, v in probes.items()]
  gin.parse_config_files_and_bindings(
      [str(GIN_DIR / f) for f in files], bindings, finalize_config=False)
  return probe()


@pytest.mark.t5x
@pytest.mark.parametrize("name, files, is_eval", CASES,
                         ids=[c[0] for c in CASES])
def test_gin_parses_and_binds_with_t5x(gin_env, monkeypatch, name, files,
                                       is_eval):
  top = name.split("/")[0]
  if top == "partitioning":
    _parse_and_bind(gin_env, monkeypatch, files, False, {})
    submesh = gin_env.query_parameter(
        "partitioning.PjitPartitioner.model_parallel_submesh")
    parts = gin_env.query_parameter(
        "partitioning.PjitPartitioner.num_partitions")
    assert (submesh is None) != (parts is None)
    return
  if top == "models":
    bound = _parse_and_bind(gin_env, monkeypatch, files, False,
                            {"model": "%MODEL", "prefix": "%VOCAB_PREFIX"})
    from t5x import models  # pylint: disable=g-import-not-at-top
    assert isinstance(bound["model"], models.EncoderDecoderModel)
    assert bound["prefix"] in ("byt5", "mt5")
    return
  bound = _parse_and_bind(gin_env, monkeypatch, files, is_eval, {
      "model": "%MODEL", "name": "%MIXTURE_OR_TASK_NAME",
      "lengths": "%TASK_FEATURE_LENGTHS", "prefix": "%VOCAB_PREFIX"})
  import seqio  # pylint: disable=g-import-not-at-top
  mixture_or_task = seqio.get_mixture_or_task(bound["name"])
  assert bound["name"].startswith(bound["prefix"] + "_")
  assert set(bound["lengths"]) == {"inputs", "targets"}
  assert all(isinstance(v, int) and v > 0 for v in bound["lengths"].values())
  if is_eval:
    tasks = [t.name for t in mixture_or_task.tasks]
    stems = gin_env.query_parameter("EVAL_TASKS/macro.value")
    assert len(tasks) == 7 * len(stems)  # clean + six schemes
    assert {f"byt5_{s}" for s in stems} < set(tasks)
  if name == "finetune/learnable_noise.gin":
    assert bound["name"] == "byt5_squad_train_dev.noise_drop"


@pytest.mark.t5x
def test_pretrain_targets_length_follows_inputs_length(gin_env, monkeypatch):
  bound = _parse_and_bind(
      gin_env, monkeypatch, ["models/byt5_tiny.gin", "pretrain/family.gin"],
      False, {"lengths": "%TASK_FEATURE_LENGTHS"})
  assert bound["lengths"] == {"inputs": 1024, "targets": 189}


@pytest.mark.t5x
def test_mt5_model_switches_finetuning_to_mt5_tasks(gin_env, monkeypatch):
  bound = _parse_and_bind(
      gin_env, monkeypatch,
      ["models/mt5_small.gin", "finetune/tydiqa_zeroshot.gin",
       "finetune/from_mt5_small.gin"], False,
      {"name": "%MIXTURE_OR_TASK_NAME",
       "factor": "%LOSS_NORMALIZING_FACTOR",
       "ckpt": "%INITIAL_CHECKPOINT_PATH"})
  assert bound["name"] == "mt5_tydiqa_zeroshot"
  assert bound["factor"] == 1024 * 229
  assert bound["ckpt"].endswith("mt5_small/checkpoint_1000000")
