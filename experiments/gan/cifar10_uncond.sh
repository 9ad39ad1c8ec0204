#!/usr/bin/env bash
# Table 2, CIFAR-10 unconditional: BigGAN and each NDA transform, lam 0.25.
# The paper's jigsaw cell allowed the identity permutation; ours excludes
# it (Appendix O measured both). Each run: 500 epochs = 97,657 G steps of 4 D
# steps x 64 images; on one A100/H100-class GPU about a day with --jit.
# Usage: bash experiments/gan/cifar10_uncond.sh [extra flags for every run]
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --lam=0.25 "$@")
cell c10_biggan "${COMMON[@]}" --nda=none
cell c10_jigsaw "${COMMON[@]}" --nda=jigsaw
cell c10_stitch "${COMMON[@]}" --nda=stitch
cell c10_mixup "${COMMON[@]}" --nda=mixup
cell c10_cutout "${COMMON[@]}" --nda=cutout
cell c10_cutmix "${COMMON[@]}" --nda=cutmix
