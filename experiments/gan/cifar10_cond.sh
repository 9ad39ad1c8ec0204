#!/usr/bin/env bash
# Table 3, CIFAR-10 conditional (projection D, class-conditional BN), lam 0.25.
# Hardware and length as cifar10_uncond.sh.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --conditional --lam=0.25 "$@")
cell c10c_biggan "${COMMON[@]}" --nda=none
cell c10c_jigsaw "${COMMON[@]}" --nda=jigsaw
cell c10c_stitch "${COMMON[@]}" --nda=stitch
cell c10c_mixup "${COMMON[@]}" --nda=mixup
cell c10c_cutout "${COMMON[@]}" --nda=cutout
cell c10c_cutmix "${COMMON[@]}" --nda=cutmix
