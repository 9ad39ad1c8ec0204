#!/bin/bash
# The configuration pilots of issue 18 (experiments/RESULTS.md, "How the
# configuration was chosen"): one plain GAN for $SECONDS_BUDGET seconds of
# wall clock (SIGTERM saves a checkpoint) on the TRAINING part of the split.
# Then score every pilot against training images with pilot_fd.py.
#
#   bash experiments/real_study/pilot.sh sn32_b32_d2 sngan 32 32 2
#   python experiments/real_study/pilot_fd.py $STUDY/pilots/sn32_b32_d2 ...
set -u
NAME=$1 ARCH=$2 CH=$3 BATCH=$4 DSTEPS=$5
STUDY=${STUDY:-/work/study18}
cd "$(dirname "$0")/../.."
export PYTHONPATH=$PWD TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$STUDY/pilots"
start=$(date +%s)
timeout -s TERM "${SECONDS_BUDGET:-300}" nice -n 19 "${PYTHON:-python}" \
  -m nda_tf.experiments.gan \
  --dataset="folder:$STUDY/data/cifar10_split_s0/train" --arch="$ARCH" \
  --ch="$CH" --batch_size="$BATCH" --d_steps="$DSTEPS" --nda=none \
  --steps=1000000 --eval_metrics=none --eval_every=1000000 \
  --save_every=1000000 --log_every=25 --ema_decay=0.999 --ema_start=200 \
  --logdir="$STUDY/pilots/$NAME" > "$STUDY/pilots/$NAME.log" 2>&1
echo "exit $? wall $(( $(date +%s) - start ))" >> "$STUDY/pilots/$NAME.log"
