#!/usr/bin/env bash
# DiffAugment (Zhao et al. 2020; colour, translation and cutout applied
# differentiably to every image D sees, in the D and the G step) with and
# without jigsaw NDA on CIFAR-10 unconditional. Not in the NDA paper: no
# paper number. Users combine data-efficient training with NDA; the NDA
# negatives are augmented like the real and generated images.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --diffaugment=color,translation,cutout "$@")
cell c10_diffaugment "${COMMON[@]}" --nda=none
cell c10_diffaugment_jigsaw "${COMMON[@]}" \
  --nda=jigsaw --lam=0.25
