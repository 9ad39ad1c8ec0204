# Shared by the Table 6 recipes: one function that trains (or resumes) one
# cell and then runs its linear evaluation. RUNS (default runs/) is where
# run directories go; every extra argument of a recipe is passed to each
# training run, e.g. --strategy=mirrored or --data_dir=/data/tfds.
# LINEAR_FLAGS (environment) is passed to every linear evaluation.
set -euo pipefail
RUNS=${RUNS:-runs}

# cell NAME PAPER_TOP1 FLAGS...: trains RUNS/NAME unless complete (a
# complete run returns at once; an interrupted one resumes), then writes
# RUNS/NAME/linear_eval.md with our top-1 next to the paper's.
cell() {
  local name=$1 paper=$2
  shift 2
  echo "== ${name} (paper linear top-1 ${paper})"
  python -m nda_tf.experiments.moco --logdir="${RUNS}/${name}" "$@"
  # shellcheck disable=SC2086
  python -m nda_tf.experiments.linear_eval --logdir="${RUNS}/${name}" \
    ${LINEAR_FLAGS:-}
}
