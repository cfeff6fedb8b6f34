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


def test_installs_package_deps_then_git_packages_without_their_deps(tmp_path):
  result, calls = _run(tmp_path)
  assert result.returncode == 0, result.stderr
  pip_calls = [c[3:] for c in calls if c[:3] == ["-m", "pip", "install"]]
  assert pip_calls[0] == ["-e", f"{REPO}[test]"]
  deps = pip_calls[1]
  for needed in ("tensorboard", "cached_property", "fiddle", "clu",
                 "orbax-checkpoint"):
    assert any(d.split("==")[0] == needed for d in deps), needed
  git = pip_calls[2]
  assert git[0] == "--no-deps"
  assert [g.split(" @ ")[0] for g in git[1:]] == ["jestimator", "airio", "t5x"]
  for spec in git[1:]:
    url, ref = spec.split(" @ ")[1].rsplit("@", 1)
    assert url.startswith("git+https://github.com/")
    assert len(ref) == 40  # a pinned commit, not a moving branch
  assert "tensorflow-cpu" not in " ".join(" ".join(c) for c in calls)
  assert calls[-1][0] == "-c" and "import t5x.train" in calls[-1][1]


def test_from_source_and_tpu(tmp_path):
  result, calls = _run(tmp_path, "--tpu", "--from-source", "/src")
  assert result.returncode == 0, result.stderr
  flat = [" ".join(c) for c in calls]
  assert "-m pip install jax[tpu]==0.10.2" in flat
  assert ("-m pip install --no-deps /src/jestimator /src/airio /src/t5x"
          in flat)
  assert not any("git+https" in c for c in flat)


def test_unknown_option_fails_before_installing(tmp_path):
  result, calls = _run(tmp_path, "--bogus")
  assert result.returncode == 2
  assert "--bogus" in result.stderr
  assert calls == []
