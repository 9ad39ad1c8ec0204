#!/usr/bin/env bash
# Table 2, CelebA 64x64 unconditional (centre crop, resize to 64), lam 0.25,
# BigGAN-64 at ch=64. Paper FID (19,962 vs 19,962 images): BigGAN 38.14,
# jigsaw 37.24, stitch 37.17, mixup 37.51, cutout 37.39, cutmix 37.46.
# 500 epochs of 162,770 images = 317,911 G steps: several days on one GPU;
# use --strategy=mirrored on a multi-GPU machine. CelebA needs a manual
# download into the tfds data_dir (tfds documents it): pass --data_dir.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=celeb_a --resolution=64 --lam=0.25 --eval_num_samples=19962
  "$@")
cell celeba_biggan 38.14 "${COMMON[@]}" --nda=none
cell celeba_jigsaw 37.24 "${COMMON[@]}" --nda=jigsaw
cell celeba_stitch 37.17 "${COMMON[@]}" --nda=stitch
cell celeba_mixup 37.51 "${COMMON[@]}" --nda=mixup
cell celeba_cutout 37.39 "${COMMON[@]}" --nda=cutout
cell celeba_cutmix 37.46 "${COMMON[@]}" --nda=cutmix
