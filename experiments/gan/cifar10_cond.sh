#!/usr/bin/env bash
# Table 3, CIFAR-10 conditional (projection D, class-conditional BN), lam 0.25.
# Paper FID: BigGAN 11.51, jigsaw 9.42, stitch 9.47, mixup 13.87,
# cutout 10.52, cutmix 10.30. Hardware and length as cifar10_uncond.sh.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --conditional --lam=0.25 "$@")
cell c10c_biggan 11.51 "${COMMON[@]}" --nda=none
cell c10c_jigsaw 9.42 "${COMMON[@]}" --nda=jigsaw
cell c10c_stitch 9.47 "${COMMON[@]}" --nda=stitch
cell c10c_mixup 13.87 "${COMMON[@]}" --nda=mixup
cell c10c_cutout 10.52 "${COMMON[@]}" --nda=cutout
cell c10c_cutmix 10.30 "${COMMON[@]}" --nda=cutmix
