#!/usr/bin/env bash
# Table 2, STL-10 resized to 32x32, unconditional, trained on the 100k
# unlabelled images for 300 epochs (117,188 G steps), lam 0.25.
# Paper FID (8k vs 8k test images): BigGAN 26.80, jigsaw 23.94,
# stitch 26.08, mixup 24.45, cutout 24.91, cutmix 25.34.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=stl10 --split=unlabelled --resolution=32 --epochs=300
  --lam=0.25 --eval_num_samples=8000 "$@")
cell stl10_biggan 26.80 "${COMMON[@]}" --nda=none
cell stl10_jigsaw 23.94 "${COMMON[@]}" --nda=jigsaw
cell stl10_stitch 26.08 "${COMMON[@]}" --nda=stitch
cell stl10_mixup 24.45 "${COMMON[@]}" --nda=mixup
cell stl10_cutout 24.91 "${COMMON[@]}" --nda=cutout
cell stl10_cutmix 25.34 "${COMMON[@]}" --nda=cutmix
