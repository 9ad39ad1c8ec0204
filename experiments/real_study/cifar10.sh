#!/bin/bash
# Issue 18: does NDA help on real CIFAR-10 at CPU scale? Plain vs jigsaw NDA
# vs a mixture of jigsaw, stitch and cutout, 2 seeds each, scored over
# training on a held-out 5k part of the CIFAR-10 training JPEGs (results:
# experiments/RESULTS.md, "NDA on real CIFAR-10 over training"). Data, runs
# and logs live outside the git tree, in $STUDY (default ~/nda_tf_study18;
# the recorded study used STUDY=/work/study18).
#
#   bash experiments/real_study/cifar10.sh split   # once: 45k / 5k, seed 0
#   bash experiments/real_study/cifar10.sh train   # 2 background processes
#   bash experiments/real_study/cifar10.sh score   # score new checkpoints, plot
#
# `train` starts one niced background process per seed (each trains its
# seed's arms in turns of $TURN steps) and returns; running it again
# resumes every run exactly where it stopped (a larger $STEPS continues
# them). Stop them with `kill <pid>` (SIGTERM saves a checkpoint). `score`
# scores only checkpoints not scored yet and redraws the curves; with
# SAVE_EVERY=5000 it scores only every other checkpoint. Environment:
# ARMS, SEEDS, STEPS, TURN, SAVE_EVERY, STUDY, JPEGS, PYTHON (the recorded study ran the
# mixture arm with STEPS=10000:
#   ARMS='mix=jigsaw|stitch|cutout' STEPS=10000 bash .../cifar10.sh train).
set -eu
cd "$(dirname "$0")/../.."
STUDY=${STUDY:-$HOME/nda_tf_study18}
DATA=$STUDY/data/cifar10_split_s0
RUNS=$STUDY/runs
STEPS=${STEPS:-100000}
SAVE_EVERY=${SAVE_EVERY:-2500}
TURN=${TURN:-2500}
ARMS=${ARMS:-plain,jigsaw,mix=jigsaw|stitch|cutout}
SEEDS=${SEEDS:-0 1}
JPEGS=${JPEGS:-../shared/data/cifar10-train-jpeg.tar.gz}
PYTHON=${PYTHON:-$(command -v python || command -v python3)}
export PYTHONPATH=$PWD TF_CPP_MIN_LOG_LEVEL=2
study() { nice -n 19 "$PYTHON" -m nda_tf.experiments.real_study "$@"; }
mkdir -p "$STUDY/logs"

case "${1:-}" in
  split)
    if [ ! -d "$STUDY/data/cifar10_all" ]; then
      if [ ! -f "$JPEGS" ]; then
        echo "no CIFAR-10 JPEG archive at $JPEGS: set JPEGS to a .tar.gz" \
          "holding train/<class>/<image>.jpg" >&2
        exit 2
      fi
      mkdir -p "$STUDY/data"
      tar -xzf "$JPEGS" -C "$STUDY/data"
      mv "$STUDY/data/train" "$STUDY/data/cifar10_all"
    fi
    study --action=split --source="$STUDY/data/cifar10_all" \
      --data_dir="$DATA" --held_out=5000 --split_seed=0
    ;;
  train)
    for seed in $SEEDS; do
      log=$STUDY/logs/train_s$seed.log
      # A session of its own (setsid) survives the shell that started it;
      # where the kernel groups CPU time by session (autogroup), nice alone
      # does not yield to other sessions, so the group is niced too.
      setsid nohup sh -c 'echo 19 > /proc/self/autogroup 2>/dev/null; \
        exec nice -n 19 "$@"' sh "$PYTHON" -m nda_tf.experiments.real_study \
        --action=train --data_dir="$DATA" --runs_dir="$RUNS" \
        --arms="$ARMS" --seeds="$seed" --steps="$STEPS" \
        --save_every="$SAVE_EVERY" --turn="$TURN" --log_every=100 \
        >> "$log" 2>&1 < /dev/null &
      echo "seed $seed: pid $! log $log"
    done
    ;;
  score)
    study --action=score,report --data_dir="$DATA" --runs_dir="$RUNS" \
      --arms="$ARMS" --seeds="${SEEDS// /,}" --save_every="$SAVE_EVERY" \
      --noprogress 2>&1 | tee -a "$STUDY/logs/score.log"
    ;;
  *)
    echo "usage: $0 split|train|score" >&2
    exit 2
    ;;
esac
