#!/usr/bin/env bash
# Table 3, CIFAR-100 conditional, lam 0.5.
# Paper FID: BigGAN 15.04, jigsaw 14.12, stitch 13.90, mixup 15.27,
# cutout 14.21, cutmix 13.99. Hardware and length as cifar10_uncond.sh.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar100 --conditional --lam=0.5 "$@")
cell c100c_biggan 15.04 "${COMMON[@]}" --nda=none
cell c100c_jigsaw 14.12 "${COMMON[@]}" --nda=jigsaw
cell c100c_stitch 13.90 "${COMMON[@]}" --nda=stitch
cell c100c_mixup 15.27 "${COMMON[@]}" --nda=mixup
cell c100c_cutout 14.21 "${COMMON[@]}" --nda=cutout
cell c100c_cutmix 13.99 "${COMMON[@]}" --nda=cutmix
