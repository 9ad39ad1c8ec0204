#!/usr/bin/env bash
# Table 2, STL-10 resized to 32x32, unconditional, trained on the 100k
# unlabelled images for 300 epochs (117,188 G steps), lam 0.25.
# FID of 8k vs 8k test images.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=stl10 --split=unlabelled --resolution=32 --epochs=300
  --lam=0.25 --eval_num_samples=8000 "$@")
cell stl10_biggan "${COMMON[@]}" --nda=none
cell stl10_jigsaw "${COMMON[@]}" --nda=jigsaw
cell stl10_stitch "${COMMON[@]}" --nda=stitch
cell stl10_mixup "${COMMON[@]}" --nda=mixup
cell stl10_cutout "${COMMON[@]}" --nda=cutout
cell stl10_cutmix "${COMMON[@]}" --nda=cutmix
