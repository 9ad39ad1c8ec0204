#!/usr/bin/env bash
# A tiny NDA-GAN trained by two worker processes on this machine
# (MultiWorkerMirroredStrategy on 127.0.0.1, CPU), to try --strategy=multiworker
# before using several machines. Worker 0 is the chief: it alone writes
# LOGDIR (default runs/multiworker-demo). Extra arguments go to both workers.
# Each worker waits up to --peer_timeout (600 s) for the other; if one
# stops, the other stops too within about 30 s, naming it. Ctrl-C stops
# both; run the script again to resume from the last checkpoint.
set -euo pipefail
LOGDIR=${LOGDIR:-runs/multiworker-demo}
PORT0=${PORT0:-23456}
PORT1=${PORT1:-23457}
CLUSTER="\"cluster\": {\"worker\": [\"127.0.0.1:${PORT0}\", \"127.0.0.1:${PORT1}\"]}"

worker() {
  TF_CONFIG="{${CLUSTER}, \"task\": {\"type\": \"worker\", \"index\": $1}}" \
    python -m nda_tf.experiments.gan --strategy=multiworker \
    --dataset="dots(counts=(3,))" --arch=sngan --ch=8 --z_dim=16 \
    --batch_size=16 --d_steps=2 --steps=200 --save_every=50 \
    --ema_start=100 --ema_decay=0.98 --eval_every=100 --eval_metrics=none \
    --logdir="${LOGDIR}" "${@:2}"
}

worker 1 "$@" &
other=$!
trap 'kill "${other}" 2>/dev/null || true' EXIT INT TERM
worker 0 "$@"
wait "${other}"
