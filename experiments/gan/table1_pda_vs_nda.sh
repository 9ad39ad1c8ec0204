#!/usr/bin/env bash
# Table 1, CIFAR-10 unconditional: each transform used as positive data
# augmentation (real images transformed with probability 0.5, no NDA) and
# as NDA (lam 0.25). Paper FID, PDA / NDA: jigsaw 98.09 / 12.61, cutout
# 79.72 / 14.69, stitch 108.69 / 13.97, mixup 70.64 / 17.29, cutmix
# 90.81 / 15.01, random crop 20.02 / 15.05, random flip 16.65 / 124.32,
# Gaussian 44.41 / 18.72. The NDA runs of the first five are the same as
# cifar10_uncond.sh (same run names, so they are not trained twice).
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 "$@")
for t in jigsaw:98.09:12.61 cutout:79.72:14.69 stitch:108.69:13.97 \
  mixup:70.64:17.29 cutmix:90.81:15.01 random_crop:20.02:15.05 \
  horizontal_flip:16.65:124.32 gaussian_noise:44.41:18.72; do
  IFS=: read -r name pda nda <<<"$t"
  cell "c10_pda_${name}" "$pda" "${COMMON[@]}" --nda=none --pda="$name"
done
cell c10_random_crop 15.05 "${COMMON[@]}" --nda=random_crop --lam=0.25
cell c10_horizontal_flip 124.32 "${COMMON[@]}" --nda=horizontal_flip \
  --lam=0.25
# Appendix O, noisy vs noise-free NDA: vertical flip with probability 0.5
# (paper FID 15.84) and always (14.74).
cell c10_vflip_random 15.84 "${COMMON[@]}" --nda=vertical_flip --lam=0.25
cell c10_vflip_always 14.74 "${COMMON[@]}" --lam=0.25 \
  --nda="vertical_flip(probability=1.0)"
cell c10_gaussian_noise 18.72 "${COMMON[@]}" --nda=gaussian_noise --lam=0.25
for name in jigsaw cutout stitch mixup cutmix; do
  cell "c10_${name}" "see cifar10_uncond.sh" "${COMMON[@]}" --nda="$name" \
    --lam=0.25
done
