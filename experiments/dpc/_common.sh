# Shared by the Table 7 recipes. RUNS (default runs/) is where run
# directories go. UCF101 and HMDB51 (environment) are the folders of the
# official downloads (class folders of .avi files; UCF-101's
# ucfTrainTestlist/ and HMDB-51's testTrainMulti_7030_splits/ inside
# them, so split 1 is used); every extra argument of a recipe is passed
# to each pretraining run, e.g. --strategy=mirrored.
# FINETUNE_FLAGS (environment) is passed to every fine-tuning run.
set -euo pipefail
RUNS=${RUNS:-runs}
UCF101=${UCF101:?set UCF101 to the UCF-101 folder}

# pretrain NAME FLAGS...: DPC on UCF-101 split 1 (train), 200 epochs;
# resumes if interrupted, returns at once if complete.
pretrain() {
  local name=$1
  shift
  echo "== pretrain ${name}"
  python -m nda_tf.experiments.dpc --logdir="${RUNS}/${name}" \
    --dataset="video_folder:${UCF101}" "$@"
}

# finetune NAME PRETRAINED DATASET_FOLDER PAPER_TOP1: the action
# classifier on split 1 from the pretrained run, 200 epochs, then the
# clip-averaged top-1 on the test split (gather: python -m
# nda_tf.experiments.gather --runs=$RUNS).
finetune() {
  local name=$1 pretrained=$2 folder=$3 paper=$4
  echo "== ${name} (paper top-1 ${paper})"
  # shellcheck disable=SC2086
  python -m nda_tf.experiments.video_finetune --logdir="${RUNS}/${name}" \
    --pretrained="${RUNS}/${pretrained}" --dataset="video_folder:${folder}" \
    ${FINETUNE_FLAGS:-}
}
