#!/bin/bash
# Issue 24: the authors' code and ours, side by side at the same scale.
# BigGAN-32 at ch=16 (64 channels), batch 16, 2 D steps, unconditional,
# lam 1 (plain) and 0.25 (jigsaw), seeds 0 and 1, 5,000 G steps each, on
# the 45k training part of the CIFAR-10 JPEG split; every 500 steps scored
# on the held-out 5k by nda_tf.experiments.real_study (their checkpoints
# converted by nda_tf.models.biggan_import). Results: experiments/
# RESULTS.md, "The authors' code and ours at the same scale".
#
#   bash experiments/authors_study/cifar10.sh prepare  # split, their code
#   bash experiments/authors_study/cifar10.sh train    # 2 background queues
#   bash experiments/authors_study/cifar10.sh score    # convert, score, plot
#   bash experiments/authors_study/cifar10.sh keep     # scores into the repo
#
# `score` converts their saved copies (new ones only), scores every
# checkpoint not scored yet (1,000 held-out images per set) and writes
# STUDY/report: real_study's figures for the four arms, effects.png /
# codes.png and effects.md (NDA's effect in each code, paired by seed;
# each code's difference from the other).
#
# Scores are measurements; checkpoints are only the means to them. `keep`
# copies every run's score files into experiments/authors_study/scores/
# (commit them), and `score` puts the kept scores of a run that is no
# longer in STUDY/runs back before it reports: a machine lost between
# sessions loses the runs in progress, not what was measured. A lost run
# trained again from its start is a new measurement: remove its kept
# folder first.
#
# Our runs come in two kinds: ai_plain / ai_jigsaw start as the authors'
# code starts (--init=authors, the BigGAN default since this study found
# the difference), plain / jigsaw with zero biases (--init=zero_bias: the
# first round, before --init existed; `train_first_round`); the report
# compares both with theirs. `train` runs the second round in the order
# of the study's sessions (each code's jigsaw and plain of one seed end
# near each other).
#
# Environment: STUDY (default ~/nda_tf_study24), JPEGS (the CIFAR-10 JPEG
# archive), AUTHORS (a checkout of github.com/ermongroup/NDA; never
# committed here), PYTHON (with nda_tf's requirements), TORCH_PYTHON (with
# torch and torchvision: `pip install torch torchvision tqdm scipy h5py`),
# on this machine `pip install torch==2.14.1 torchvision==0.29.1`),
# STEPS, SAVE_EVERY, KEPT (default experiments/authors_study/scores).
# `train` starts two niced queues, one thread per run,
# theirs and ours interleaved so that both end about together; running it
# again skips what is done and resumes what is not (ours exactly; theirs
# from its last save); a run whose kept scores reach STEPS is not trained
# again, even when the machine lost its folder.
set -eu
cd "$(dirname "$0")/../.."
STUDY=${STUDY:-$HOME/nda_tf_study24}
JPEGS=${JPEGS:-../shared/data/cifar10-train-jpeg.tar.gz}
AUTHORS=${AUTHORS:-/tmp/nda_authors}
PYTHON=${PYTHON:-$(command -v python || command -v python3)}
TORCH_PYTHON=${TORCH_PYTHON:-/tmp/torchvenv/bin/python}
STEPS=${STEPS:-5000}
SAVE_EVERY=${SAVE_EVERY:-500}
DATA=$STUDY/data
RUNS=$STUDY/runs
TOOL=tools/authors_biggan_study.py
KEPT=${KEPT:-$PWD/experiments/authors_study/scores}
# Ours fed the negatives their code makes (their jigsaw reassembles the
# tiles column-major: the real image is 1 negative in 23).
SAME_NEGATIVES='ai_jigsaw_cm=jigsaw(reassembly="column_major")'
ALL_ARMS="ai_plain=none,ai_jigsaw=jigsaw,$SAME_NEGATIVES,plain,jigsaw"
ALL_ARMS="$ALL_ARMS,authors_plain=none,authors_jigsaw=jigsaw"

# The same configuration as the tool's SETTINGS (their flags).
OURS=--set=arch=biggan,ch=16,batch_size=16,d_steps=2,ema_decay=0.999,ema_start=1000,d_calls=2,init=
export PYTHONPATH=$PWD TF_CPP_MIN_LOG_LEVEL=2
# One thread per run: two runs share the 2 cores.
export OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1
mkdir -p "$STUDY/logs"

unless_kept() {  # unless_kept RUN COMMAND: COMMAND, unless RUN is measured
  # A run whose kept scores reach the last step is measured: a machine
  # lost after it must not train it again (nor `keep` then replace its
  # scores with a new attempt's first steps).
  echo "if [ -e '$KEPT/$1/ckpt-$STEPS.json' ]; then" \
    "echo '$1: kept scores reach step $STEPS; not trained again';" \
    "else $2; fi"
}
ours() {  # ours ARM SEED INIT
  unless_kept "${1%%=*}_s$2" \
    "$PYTHON -m nda_tf.experiments.real_study --action=train \
--data_dir=$DATA --runs_dir=$RUNS --arms='$1' --seeds=$2 \
--steps=$STEPS --save_every=$SAVE_EVERY --log_every=100 \
--noprogress $OURS$3"
}
theirs() {  # theirs ARM LAM SEED
  unless_kept "authors_$1_s$3" \
    "$TORCH_PYTHON $TOOL train --code=$STUDY/authors_code \
--data=$STUDY/authors_data --out=$STUDY/authors/$1_s$3 --lam=$2 \
--seed=$3 --steps=$STEPS --save_every=$SAVE_EVERY"
}
queue() {  # queue NAME COMMAND...: the commands one after the other
  local name=$1 log=$STUDY/logs/queue_$1.log script=$STUDY/logs/queue_$1.sh
  shift
  # The commands go through a file, so that they may quote (a transform
  # with arguments): the first that fails stops the queue.
  { echo "set -e"; printf '%s\n' "$@"; } > "$script"
  # A session of its own survives this shell; the autogroup is niced too
  # (nice alone does not yield to other sessions where the kernel groups
  # CPU time by session). At 19 the runs all but stopped while tests ran
  # beside them; 10 leaves tests the larger share and the runs moving.
  setsid nohup sh -c "echo 10 > /proc/self/autogroup 2>/dev/null; \
    nice -n 10 sh '$script'" >> "$log" 2>&1 < /dev/null &
  echo "queue $name: pid $! log $log"
}

case "${1:-}" in
  prepare)
    if [ ! -d "$DATA/train" ]; then
      mkdir -p "$STUDY/jpegs"
      tar -xzf "$JPEGS" -C "$STUDY/jpegs"
      "$PYTHON" -m nda_tf.experiments.real_study --action=split \
        --source="$STUDY/jpegs/train" --data_dir="$DATA" --held_out=5000
    fi
    "$PYTHON" $TOOL code --authors="$AUTHORS" --out="$STUDY/authors_code"
    "$PYTHON" $TOOL data --split="$DATA" --out="$STUDY/authors_data"
    ;;
  train)  # the second round: theirs and ours with their start
    queue x "$(theirs jigsaw 0.25 1)" "$(theirs plain 1.0 1)" \
      "$(theirs plain 1.0 0)" "$(theirs jigsaw 0.25 0)"
    queue y "$(ours ai_jigsaw=jigsaw 0 authors)" \
      "$(ours ai_plain=none 0 authors)" "$(ours ai_plain=none 1 authors)" \
      "$(ours ai_jigsaw=jigsaw 1 authors)"
    ;;
  train_same_negatives)  # ours with their jigsaw layout
    queue w "$(ours "$SAME_NEGATIVES" 0 authors)" \
      "$(ours "$SAME_NEGATIVES" 1 authors)"
    ;;
  train_first_round)  # ours with zero biases, before --init existed
    queue z "$(ours plain 0 zero_bias)" "$(ours jigsaw 0 zero_bias)" \
      "$(ours plain 1 zero_bias)" "$(ours jigsaw 1 zero_bias)"
    ;;
  score)
    for kept in "$KEPT"/*_s*; do  # lost runs: their kept scores
      [ -d "$kept" ] && [ ! -e "$RUNS/$(basename "$kept")" ] || continue
      mkdir -p "$RUNS/$(basename "$kept")/real_study"
      cp -r "$kept" "$RUNS/$(basename "$kept")/real_study/scores"
    done
    for run in "$STUDY"/authors/*_s*; do
      [ -d "$run/weights/run" ] || continue
      "$PYTHON" $TOOL convert --run="$run" --split="$DATA" \
        --out="$RUNS/authors_$(basename "$run")"
    done
    nice -n 19 "$PYTHON" -m nda_tf.experiments.real_study \
      --action=score --data_dir="$DATA" --runs_dir="$RUNS" \
      --arms="$ALL_ARMS" \
      --seeds=0,1 --save_every="$SAVE_EVERY" --num_images=1000 \
      --noprogress 2>&1 | tee -a "$STUDY/logs/score.log"
    "$PYTHON" $TOOL report --runs="$RUNS" --seeds=0,1 \
      --out="$STUDY/report"
    ;;
  keep)
    for scores in "$RUNS"/*_s*/real_study/scores; do
      [ -d "$scores" ] || continue
      run=$(basename "$(dirname "$(dirname "$scores")")")
      rm -rf "${KEPT:?}/$run"
      mkdir -p "$KEPT/$run"
      cp "$scores"/ckpt-*.json "$KEPT/$run/"
      echo "$KEPT/$run: $(ls "$KEPT/$run" | wc -l) scores"
    done
    ;;
  *)
    echo "usage: $0 prepare|train|train_same_negatives|train_first_round|score|keep" >&2
    exit 2
    ;;
esac
