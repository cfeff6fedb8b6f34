#!/usr/bin/env bash
# The main job, tiny, on a laptop CPU, with the stock T5X binaries:
#   pretrain ByT5-tiny on a language family's mC4 text (byt5_mc4_{family})
#   -> fine-tune zero-shot on English QA (TyDiQA-GoldP English train)
#   -> evaluate on the family's XQuAD languages, clean and under all six noise
#      schemes (first N questions of each language, the same N for all)
#   -> write the results table.
# Everything goes under OUT_DIR: pretrain/ and finetune/ (T5X model dirs with
# checkpoints), eval/inference_eval/ (seqio metrics per task), report/
# (results.md, results.csv, plots), logs/ (full T5X logs per stage).
#
# Needs: this package and T5X installed (README, "Running with T5X"; this
# script installs nothing), and $BYT5_TASKS_DATA_DIR pointing at the data.
# Re-running with the same OUT_DIR resumes: T5X restarts from the latest
# checkpoint in a model dir, and finished stages are skipped.
set -euo pipefail

usage() {
  cat <<EOF
Usage: $0 OUT_DIR [options]
  --family NAME        language family to pretrain on (default: romance)
  --pretrain-steps N   pretraining steps (default: 300)
  --finetune-steps N   fine-tuning steps (default: 600)
  --eval-examples N    questions per eval task; 0 = all (default: 100)
  --quick              a smoke run: 20 + 10 steps, 8 questions per task
  --mesh               run on a data=2 x model=2 mesh of 4 fake CPU devices
  --python PATH        the Python with T5X (default: \$PYTHON or python)
EOF
}

die() { echo "local_main_job: error: $*" >&2; exit 2; }

[[ $# -ge 1 && $1 != -* ]] || { usage >&2; exit 2; }
OUT=$1; shift
FAMILY=romance
PRETRAIN_STEPS=300
FINETUNE_STEPS=600
EVAL_EXAMPLES=100
MESH=0
PY=${PYTHON:-python}
while [[ $# -gt 0 ]]; do
  case $1 in
    --family) FAMILY=$2; shift 2;;
    --pretrain-steps) PRETRAIN_STEPS=$2; shift 2;;
    --finetune-steps) FINETUNE_STEPS=$2; shift 2;;
    --eval-examples) EVAL_EXAMPLES=$2; shift 2;;
    --quick) PRETRAIN_STEPS=20; FINETUNE_STEPS=10; EVAL_EXAMPLES=8; shift;;
    --mesh) MESH=1; shift;;
    --python) PY=$2; shift 2;;
    -h|--help) usage; exit 0;;
    *) usage >&2; die "unknown option $1";;
  esac
done
for n in "$PRETRAIN_STEPS" "$FINETUNE_STEPS" "$EVAL_EXAMPLES"; do
  [[ $n =~ ^[0-9]+$ ]] || die "step and example counts must be integers, got '$n'"
done
(( PRETRAIN_STEPS > 0 && FINETUNE_STEPS > 0 )) || die "step counts must be > 0"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GIN_DIR=$REPO/gin

[[ -n ${BYT5_TASKS_DATA_DIR:-} ]] || die "set BYT5_TASKS_DATA_DIR to the data directory (mc4/ and qa/)"
[[ -d $BYT5_TASKS_DATA_DIR/mc4 && -d $BYT5_TASKS_DATA_DIR/qa ]] \
  || die "$BYT5_TASKS_DATA_DIR has no mc4/ and qa/ directories"
"$PY" -c "import t5x.train, t5x.eval, byt5_tasks.tasks" >/dev/null 2>&1 || die \
  "'$PY' cannot import t5x and byt5_tasks. Install them first (README, 'Running with T5X'); this script installs nothing."

# Which languages to evaluate: the family's languages that have mC4 data here
# (so the model saw them) and an XQuAD test set.
EVAL_LANGS=$("$PY" - "$FAMILY" <<'EOF' 2>/dev/null
import sys
from byt5_tasks import languages, mc4, qa_benchmarks
family = sys.argv[1]
def has_data(lang):
  source = mc4.mc4_source(lang)
  return getattr(source, "has_files", lambda: True)()
langs = [l for l in languages.family_languages(family)
         if l in qa_benchmarks.XQUAD_LANGS and has_data(l)]
print(" ".join(langs))
EOF
) || die "unknown family '$FAMILY' (see byt5_tasks/languages.py)"
[[ -n $EVAL_LANGS ]] || die "family '$FAMILY' has no language with both mC4 data under $BYT5_TASKS_DATA_DIR/mc4 and XQuAD"
EVAL_TASKS=$(printf "'xquad_test.%s', " $EVAL_LANGS)
EVAL_TASKS="[${EVAL_TASKS%, }]"

mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
FT_TOTAL=$((PRETRAIN_STEPS + FINETUNE_STEPS))
COMMON=(--gin_search_paths="$GIN_DIR" --gin_file=models/byt5_tiny.gin)
if (( MESH )); then
  export XLA_FLAGS="${XLA_FLAGS:-} --xla_force_host_platform_device_count=4"
  MESH_GIN=(--gin_file=partitioning/cpu_fake_mesh.gin)
else
  MESH_GIN=()
fi

START=$SECONDS
say() { printf '[%4ds] %s\n' $((SECONDS - START)) "$*"; }

# Runs one stage, its full log in logs/NAME.log; shows step/progress lines.
stage() {
  local name=$1; shift
  local log=$OUT/logs/$name.log
  say "$name: $*"
  "$@" >"$log" 2>&1 </dev/null &
  local pid=$!
  # Progress every 15 s: the newest training step or eval task, if new.
  local last="" seen=""
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    (( (SECONDS - START) % 15 < 5 )) || continue
    last=$(grep -aoE 'Training: step [0-9]+|Evaluating [^ ]+$' "$log" | tail -1 || true)
    if [[ -n $last && $last != "$seen" ]]; then say "  $name: $last"; seen=$last; fi
  done
  if ! wait "$pid"; then
    echo "---- last lines of $log:" >&2
    tail -30 "$log" >&2
    die "$name failed (full log: $log)"
  fi
  say "$name: done"
}

say "family $FAMILY; eval languages: $EVAL_LANGS; pretrain $PRETRAIN_STEPS steps, fine-tune $FINETUNE_STEPS steps, eval $( ((EVAL_EXAMPLES)) && echo "first $EVAL_EXAMPLES" || echo all) questions per task"
say "output: $OUT"

# A T5X training stage, skipped when its final checkpoint exists.
train_stage() {
  local name=$1 step=$2 gin_file=$3; shift 3
  if [[ -d $OUT/$name/checkpoint_$step ]]; then
    say "$name: checkpoint_$step exists, skipped"
    return
  fi
  stage "$name" "$PY" -m t5x.train "${COMMON[@]}" --gin_file="$gin_file" \
    ${MESH_GIN[@]+"${MESH_GIN[@]}"} --gin.TRAIN_STEPS="$step" \
    --gin.MODEL_DIR="'$OUT/$name'" "$@"
}

train_stage pretrain "$PRETRAIN_STEPS" local/pretrain.gin \
  --gin.FAMILY="'$FAMILY'"
train_stage finetune "$FT_TOTAL" local/finetune.gin \
  --gin.INITIAL_CHECKPOINT_PATH="'$OUT/pretrain/checkpoint_$PRETRAIN_STEPS'"

NUM_EXAMPLES=$( ((EVAL_EXAMPLES)) && echo "$EVAL_EXAMPLES" || echo None)
stage eval "$PY" -m t5x.eval "${COMMON[@]}" \
  --gin_file=local/eval.gin ${MESH_GIN[@]+"${MESH_GIN[@]}"} \
  --gin.EVAL_TASKS="$EVAL_TASKS" \
  --gin.EVALUATOR_NUM_EXAMPLES="$NUM_EXAMPLES" \
  --gin.CHECKPOINT_PATH="'$OUT/finetune/checkpoint_$FT_TOTAL'" \
  --gin.EVAL_OUTPUT_DIR="'$OUT/eval'"

stage report "$PY" -m byt5_tasks.report "$OUT/eval" --labels "byt5_tiny_$FAMILY" \
  --out "$OUT/report"
grep -aE '^(wrote|report:)' "$OUT/logs/report.log" || true
echo
cat "$OUT/report/results.md"
say "all done: $OUT"
