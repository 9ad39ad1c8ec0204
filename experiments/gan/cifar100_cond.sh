#!/usr/bin/env bash
# Table 3, CIFAR-100 conditional, lam 0.5.
# Hardware and length as cifar10_uncond.sh.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar100 --conditional --lam=0.5 "$@")
cell c100c_biggan "${COMMON[@]}" --nda=none
cell c100c_jigsaw "${COMMON[@]}" --nda=jigsaw
cell c100c_stitch "${COMMON[@]}" --nda=stitch
cell c100c_mixup "${COMMON[@]}" --nda=mixup
cell c100c_cutout "${COMMON[@]}" --nda=cutout
cell c100c_cutmix "${COMMON[@]}" --nda=cutmix
