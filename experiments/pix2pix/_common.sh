# Shared by the Pix2Pix recipes: one function that runs (or resumes) one
# cell of the paper's Table 4. RUNS (default runs/) is where run directories
# go; every extra argument of a recipe is passed to each run, e.g.
# --data_dir=/data/tfds, --dataset=paired:/data/pix2pix/cityscapes or --jit.
set -euo pipefail
RUNS=${RUNS:-runs}

# cell NAME "PAPER NUMBERS" FLAGS...: trains runs/NAME unless complete.
cell() {
  local name=$1 paper=$2
  shift 2
  echo "== ${name} (paper per-pixel / per-class / mIoU: ${paper})"
  python -m nda_tf.experiments.pix2pix --logdir="${RUNS}/${name}" "$@" \
    ${EXTRA_FLAGS:-}
}
