#!/usr/bin/env bash
# CPU-scale study: plain Pix2Pix vs NDA-Pix2Pix (jigsaw, lam 0.25) on the
# built-in shapes pairs (500 training pairs of 32x32, 500 val pairs), both
# losses, seeds 0 1 2: 12 runs of 600 steps at batch 8 (U-Net depth 5,
# 8 filters; PatchGAN 8 filters; Adam 1e-3). About 10-15 minutes on 2 CPU
# cores. Then:
#   python -m nda_tf.experiments.gather --runs=runs/p2p_shapes
#   python -m nda_tf.experiments.pix2pix_eval \
#     --logdir=runs/p2p_shapes/l1_cgan_none_s0 \
#     --compare=runs/p2p_shapes/l1_cgan_jigsaw_s0 --grid=figure7_shapes.png
# Results: experiments/RESULTS.md.
source "$(dirname "$0")/_common.sh"
for loss in cgan l1_cgan; do
  for nda in none jigsaw; do
    for seed in 0 1 2; do
      cell "p2p_shapes/${loss}_${nda}_s${seed}" "-" \
        --dataset="shapes(count=500)" --filters=8 --d_filters=8 \
        --batch_size=8 --steps=600 --lr=1e-3 --lam=0.25 --loss="${loss}" \
        --nda="${nda}" --seed="${seed}" --eval_every=300 \
        --eval_images=500 --save_every=600 "$@"
    done
  done
done
