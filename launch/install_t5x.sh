#!/usr/bin/env bash
# Installs byt5-tasks with T5X into the active Python environment.
#
# T5X, airio and jestimator are not on PyPI. Their setup.py files pull git
# versions of flax, seqio, optax and clu, tfds-nightly and tensorflow-cpu,
# which would replace our pinned stack (and tensorflow-cpu next to tensorflow
# gives two copies of TensorFlow). So they are installed WITHOUT their
# dependencies, and the dependencies they need that our package does not
# already pin are installed from PyPI, pinned to the versions tested here.
#
# setup.py's `t5x` extra names the same packages, the way T5X projects do;
# this script is the way to install them without pip resolving their
# requirements.
#
# Usage: launch/install_t5x.sh [--tpu]
#   --tpu              also install jax[tpu] (on Cloud TPU VMs)
# Environment: PYTHON (default python3); T5X_REF, AIRIO_REF, JESTIMATOR_REF:
#   git refs to install (default: the commits tested with this package).
set -euo pipefail

PY=${PYTHON:-python3}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TPU=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --tpu) TPU=1; shift;;
    -h|--help) sed -n '2,21p' "$0"; exit 0;;
    *) echo "install_t5x: unknown option $1" >&2; exit 2;;
  esac
done

# Commits tested with this package (2026-04/05 heads of each repository).
T5X_REF=${T5X_REF:-cc342d419ec3e3e9c4bf1df33c82330cafdc1e16}
AIRIO_REF=${AIRIO_REF:-69897df7d9a427b947a9f7bb4164c7782b43e601}
JESTIMATOR_REF=${JESTIMATOR_REF:-326824a477feef6d92e6f44175000907a72899ca}

run() { echo "+ $*"; "$@"; }

# Our pins, plus what T5X needs from PyPI (setup.py's `t5x-runtime` extra).
run "$PY" -m pip install -e "$REPO[test,t5x-runtime]"
if (( TPU )); then
  jax_version=$("$PY" -c "import jax; print(jax.__version__)")
  run "$PY" -m pip install "jax[tpu]==$jax_version"
fi
run "$PY" -m pip install --no-deps \
  "jestimator @ git+https://github.com/google-research/jestimator@$JESTIMATOR_REF" \
  "airio @ git+https://github.com/google/airio@$AIRIO_REF" \
  "t5x @ git+https://github.com/google-research/t5x@$T5X_REF"
run "$PY" -c "import t5x.train, t5x.eval, airio, jestimator; print('T5X is installed')"
