#!/usr/bin/env bash
# The CR-BigGAN column of Tables 2 and 3 (CIFAR-10 only in the paper):
# BigGAN with consistency regularisation (Zhang et al. 2020) and no NDA.
# The D loss gains 10 * mean((D(x) - D(T(x)))^2) on real images, T a random
# horizontal flip and a shift of up to 4 pixels (1/8 of 32).
# Each run: as cifar10_uncond.sh (500 epochs), plus one more D forward pass
# of the real batch per D step.
# Usage: bash experiments/gan/cr_biggan.sh [extra flags for every run]
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --nda=none --cr_weight=10 "$@")
cell c10_cr_biggan "${COMMON[@]}"
cell c10c_cr_biggan "${COMMON[@]}" --conditional
# Not in the paper (no paper number): balanced CR (Zhao et al. 2020, the
# same term on generated images, weight 10), and CR on top of jigsaw NDA.
cell c10_bcr_biggan "${COMMON[@]}" \
  --cr_fake_weight=10
cell c10_cr_jigsaw \
  --dataset=cifar10 --nda=jigsaw --lam=0.25 --cr_weight=10 "$@"
