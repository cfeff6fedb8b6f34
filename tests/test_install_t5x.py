"""launch/install_t5x.sh: what it asks pip to do, with a stand-in Python."""
import os
import pathlib
import subprocess

REPO = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = REPO / "launch" / "install_t5x.sh"

# Records each invocation, one line each, arguments separated by \x1f;
# `import jax` reports a version for --tpu.
_FAKE_PYTHON = """#!/bin/sh
for a in "$@"; do printf '%s\\037' "$a" >> "{log}"; done
printf '\\n' >> "{log}"
case "$*" in *"print(jax.__version__)"*) echo 0.10.2;; esac
exit 0
"""


def _run(tmp_path, *args):
  log = tmp_path / "calls.log"
  python = tmp_path / "python"
  python.write_text(_FAKE_PYTHON.format(log=log))
  python.chmod(0o755)
  env = dict(os.environ, PYTHON=str(python))
  result = subprocess.run(["bash", str(SCRIPT), *args], env=env,
                          capture_output=True, text=True, timeout=60,
                          check=False)
  calls = log.read_text().splitlines() if log.exists() else []
  return result, [c.split("\x1f")[:-1] for c in calls]


def _setup_extras():
  """setup.py's T5X extras, read without running setup()."""
  text = (REPO / "setup.py").read_text(encoding="utf-8")
  namespace = {}
  exec(text[text.index("# What T5X needs"):text.index("EXTRAS_REQUIRE")],  # pylint: disable=exec-used
       namespace)
  return namespace["T5X_RUNTIME"], namespace["T5X_GIT"]


def test_installs_package_deps_then_git_packages_without_their_deps(tmp_path):
  result, calls = _run(tmp_path)
  assert result.returncode == 0, result.stderr
  pip_calls = [c[3:] for c in calls if c[:3] == ["-m", "pip", "install"]]
  assert pip_calls[0] == ["-e", f"{REPO}[test,t5x-runtime]"]
  runtime, _ = _setup_extras()
  for needed in ("tensorboard", "cached_property", "fiddle", "clu",
                 "orbax-checkpoint"):
    assert any(d.split("==")[0] == needed for d in runtime), needed
  git = pip_calls[1]
  assert git[0] == "--no-deps"
  assert [g.split(" @ ")[0] for g in git[1:]] == ["jestimator", "airio", "t5x"]
  for spec in git[1:]:
    url, ref = spec.split(" @ ")[1].rsplit("@", 1)
    assert url.startswith("git+https://github.com/")
    assert len(ref) == 40  # a pinned commit, not a moving branch
  assert "tensorflow-cpu" not in " ".join(" ".join(c) for c in calls)
  assert calls[-1][0] == "-c" and "import t5x.train" in calls[-1][1]


def test_script_installs_the_commits_setup_py_names(tmp_path):
  _, calls = _run(tmp_path)
  git = [c[4:] for c in calls if c[:4] == ["-m", "pip", "install",
                                          "--no-deps"]][0]
  _, setup_git = _setup_extras()
  assert sorted(git) == sorted(setup_git)


def test_tpu_adds_the_matching_jax_tpu(tmp_path):
  result, calls = _run(tmp_path, "--tpu")
  assert result.returncode == 0, result.stderr
  flat = [" ".join(c) for c in calls]
  assert "-m pip install jax[tpu]==0.10.2" in flat


def test_unknown_option_fails_before_installing(tmp_path):
  result, calls = _run(tmp_path, "--bogus")
  assert result.returncode == 2
  assert "--bogus" in result.stderr
  assert calls == []
