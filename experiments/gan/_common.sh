# Shared by the recipes: one function that runs (or resumes) one paper cell.
# RUNS (default runs/) is where run directories go; every extra argument of
# a recipe is passed to each run, e.g. --strategy=mirrored or
# --strategy=tpu --tpu=my-tpu --data_dir=gs://bucket/tfds.
set -euo pipefail
RUNS=${RUNS:-runs}

# cell NAME FLAGS...: trains runs/NAME unless it is complete. The paper's
# FID of each cell is in nda_tf/studies/paper/numbers.py (its one home);
# `python -m nda_tf.experiments.gather` prints it beside the run's.
# Every cell takes the authors' D step (--d_calls=2: two D calls, so two
# spectral-norm power-iteration steps per D step), with which the paper's
# BigGANs were trained (experiments/RESULTS.md, issue 24), and starts as
# their code starts (--init=authors: PyTorch's default biases).
cell() {
  local name=$1
  shift
  echo "== ${name}"
  python -m nda_tf.experiments.gan --logdir="${RUNS}/${name}" \
    --eval_metrics=fid,kid --eval_backbone=inception --eval_download \
    --d_calls=2 --init=authors "$@" ${EXTRA_FLAGS:-}
}
