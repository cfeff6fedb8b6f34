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
# Usage: launch/install_t5x.sh [--tpu] [--from-source DIR]
#   --tpu              also install jax[tpu] (on Cloud TPU VMs)
#   --from-source DIR  install t5x, airio, jestimator from local checkouts
#                      DIR/t5x, DIR/airio, DIR/jestimator instead of GitHub
# Environment: PYTHON (default python3); T5X_REF, AIRIO_REF, JESTIMATOR_REF:
#   git refs to install (default: the commits tested with this package).
set -euo pipefail

PY=${PYTHON:-python3}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TPU=0
SOURCE_DIR=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --tpu) TPU=1; shift;;
    --from-source) SOURCE_DIR=$2; shift 2;;
    -h|--help) sed -n '2,18p' "$0"; exit 0;;
    *) echo "install_t5x: unknown option $1" >&2; exit 2;;
  esac
done

# Commits tested with this package (2026-04/05 heads of each repository).
T5X_REF=${T5X_REF:-cc342d419ec3e3e9c4bf1df33c82330cafdc1e16}
AIRIO_REF=${AIRIO_REF:-69897df7d9a427b947a9f7bb4164c7782b43e601}
JESTIMATOR_REF=${JESTIMATOR_REF:-326824a477feef6d92e6f44175000907a72899ca}

# What T5X needs at import and run time beyond byt5-tasks' own pins.
T5X_RUNTIME_DEPS=(
  "tensorboard==2.21.0"
  "cached_property==2.0.1"
  "fiddle==0.3.1"
  "chex==0.1.92"
  "jaxtyping==0.3.11"
  "grain==0.2.18"
  "clu==0.0.12"
  "orbax-checkpoint==0.12.8"
  "tensorstore"
)

run() { echo "+ $*"; "$@"; }

run "$PY" -m pip install -e "$REPO[test]"
if (( TPU )); then
  jax_version=$("$PY" -c "import jax; print(jax.__version__)")
  run "$PY" -m pip install "jax[tpu]==$jax_version"
fi
run "$PY" -m pip install "${T5X_RUNTIME_DEPS[@]}"
if [[ -n $SOURCE_DIR ]]; then
  run "$PY" -m pip install --no-deps "$SOURCE_DIR/jestimator" "$SOURCE_DIR/airio" "$SOURCE_DIR/t5x"
else
  run "$PY" -m pip install --no-deps \
    "jestimator @ git+https://github.com/google-research/jestimator@$JESTIMATOR_REF" \
    "airio @ git+https://github.com/google/airio@$AIRIO_REF" \
    "t5x @ git+https://github.com/google-research/t5x@$T5X_REF"
fi
run "$PY" -c "import t5x.train, t5x.eval, airio, jestimator; print('T5X is installed')"
