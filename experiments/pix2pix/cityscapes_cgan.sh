#!/usr/bin/env bash
# Table 4, Cityscapes photos -> labels, cGAN loss: Pix2Pix and NDA-Pix2Pix
# (jigsaw, lam 0.25). Paper per-pixel acc. / per-class acc. / mIoU:
# Pix2Pix 0.80 / 0.24 / 0.27, NDA 0.84 / 0.34 / 0.28.
# Each run: 200 epochs of the 2975 training pairs at batch 1 = 595,000
# steps (U-Net 256 + 70x70 PatchGAN); on one V100/A100-class GPU about
# 1-2 days (--jit helps). Needs tfds' cityscapes (manual download) or
# Pix2Pix's files: --dataset=paired:/path/to/cityscapes (train/, val/).
# Usage: bash experiments/pix2pix/cityscapes_cgan.sh [extra flags]
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cityscapes --loss=cgan --lam=0.25 "$@")
cell p2p_cityscapes_cgan "0.80 / 0.24 / 0.27" "${COMMON[@]}" --nda=none
cell p2p_cityscapes_cgan_jigsaw "0.84 / 0.34 / 0.28" "${COMMON[@]}" \
  --nda=jigsaw
