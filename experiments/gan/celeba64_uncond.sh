#!/usr/bin/env bash
# Table 2, CelebA 64x64 unconditional (centre crop, resize to 64), lam 0.25,
# BigGAN-64 at ch=64; FID of 19,962 vs 19,962 images (paper FIDs:
# nda_tf/studies/paper/numbers.py, as for every script here).
# 500 epochs of 162,770 images = 317,911 G steps: several days on one GPU;
# use --strategy=mirrored on a multi-GPU machine. CelebA needs a manual
# download into the tfds data_dir (tfds documents it): pass --data_dir.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=celeb_a --resolution=64 --lam=0.25 --eval_num_samples=19962
  "$@")
cell celeba_biggan "${COMMON[@]}" --nda=none
cell celeba_jigsaw "${COMMON[@]}" --nda=jigsaw
cell celeba_stitch "${COMMON[@]}" --nda=stitch
cell celeba_mixup "${COMMON[@]}" --nda=mixup
cell celeba_cutout "${COMMON[@]}" --nda=cutout
cell celeba_cutmix "${COMMON[@]}" --nda=cutmix
