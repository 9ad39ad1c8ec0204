#!/usr/bin/env bash
# Table 2, CIFAR-100 unconditional, lam 0.5 (the paper's CIFAR-100 value).
# Hardware and length as cifar10_uncond.sh.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar100 --lam=0.5 "$@")
cell c100_biggan "${COMMON[@]}" --nda=none
cell c100_jigsaw "${COMMON[@]}" --nda=jigsaw
cell c100_stitch "${COMMON[@]}" --nda=stitch
cell c100_mixup "${COMMON[@]}" --nda=mixup
cell c100_cutout "${COMMON[@]}" --nda=cutout
cell c100_cutmix "${COMMON[@]}" --nda=cutmix
