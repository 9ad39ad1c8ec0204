#!/usr/bin/env bash
# Table 4, Cityscapes photos -> labels, L1 + cGAN loss (L1 weight 100):
# Pix2Pix and NDA-Pix2Pix (jigsaw, lam 0.25). Paper per-pixel acc. /
# per-class acc. / mIoU: Pix2Pix 0.72 / 0.23 / 0.18, NDA 0.75 / 0.28 / 0.22.
# Each run: 200 epochs of 2975 pairs at batch 1 = 595,000 steps; on one
# V100/A100-class GPU about 1-2 days. Data as in cityscapes_cgan.sh.
# Usage: bash experiments/pix2pix/cityscapes_l1_cgan.sh [extra flags]
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cityscapes --loss=l1_cgan --l1_weight=100 --lam=0.25 "$@")
cell p2p_cityscapes_l1_cgan "0.72 / 0.23 / 0.18" "${COMMON[@]}" --nda=none
cell p2p_cityscapes_l1_cgan_jigsaw "0.75 / 0.28 / 0.22" "${COMMON[@]}" \
  --nda=jigsaw
