#!/usr/bin/env bash
# Table 2, CIFAR-10 unconditional: BigGAN and each NDA transform, lam 0.25.
# Paper FID: BigGAN 18.64, jigsaw 12.61 (identity allowed;
# ours excludes it: 12.59, Appendix O), stitch 13.97, mixup 17.29,
# cutout 14.69, cutmix 15.01. Each run: 500 epochs = 97,657 G steps of 4 D
# steps x 64 images; on one A100/H100-class GPU about a day with --jit.
# Usage: bash experiments/gan/cifar10_uncond.sh [extra flags for every run]
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --lam=0.25 "$@")
cell c10_biggan 18.64 "${COMMON[@]}" --nda=none
cell c10_jigsaw 12.59 "${COMMON[@]}" --nda=jigsaw
cell c10_stitch 13.97 "${COMMON[@]}" --nda=stitch
cell c10_mixup 17.29 "${COMMON[@]}" --nda=mixup
cell c10_cutout 14.69 "${COMMON[@]}" --nda=cutout
cell c10_cutmix 15.01 "${COMMON[@]}" --nda=cutmix
