#!/usr/bin/env bash
# Table 1, CIFAR-10 unconditional: each transform used as positive data
# augmentation (real images transformed with probability 0.5, no NDA) and
# as NDA (lam 0.25). The NDA runs of the first five are the same as
# cifar10_uncond.sh (same run names, so they are not trained twice).
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 "$@")
for name in jigsaw cutout stitch mixup cutmix random_crop horizontal_flip \
  gaussian_noise; do
  cell "c10_pda_${name}" "${COMMON[@]}" --nda=none --pda="$name"
done
cell c10_random_crop "${COMMON[@]}" --nda=random_crop --lam=0.25
cell c10_horizontal_flip "${COMMON[@]}" --nda=horizontal_flip --lam=0.25
# Appendix O, noisy vs noise-free NDA: vertical flip with probability 0.5
# and always.
cell c10_vflip_random "${COMMON[@]}" --nda=vertical_flip --lam=0.25
cell c10_vflip_always "${COMMON[@]}" --lam=0.25 \
  --nda="vertical_flip(probability=1.0)"
cell c10_gaussian_noise "${COMMON[@]}" --nda=gaussian_noise --lam=0.25
for name in jigsaw cutout stitch mixup cutmix; do
  cell "c10_${name}" "${COMMON[@]}" --nda="$name" --lam=0.25
done
