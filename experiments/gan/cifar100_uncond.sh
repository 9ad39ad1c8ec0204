#!/usr/bin/env bash
# Table 2, CIFAR-100 unconditional, lam 0.5 (the paper's CIFAR-100 value).
# Paper FID: BigGAN 22.19, jigsaw 19.72, stitch 20.99, mixup 22.21,
# cutout 22.08, cutmix 20.78. Hardware and length as cifar10_uncond.sh.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar100 --lam=0.5 "$@")
cell c100_biggan 22.19 "${COMMON[@]}" --nda=none
cell c100_jigsaw 19.72 "${COMMON[@]}" --nda=jigsaw
cell c100_stitch 20.99 "${COMMON[@]}" --nda=stitch
cell c100_mixup 22.21 "${COMMON[@]}" --nda=mixup
cell c100_cutout 22.08 "${COMMON[@]}" --nda=cutout
cell c100_cutmix 20.78 "${COMMON[@]}" --nda=cutmix
