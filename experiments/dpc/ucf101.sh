#!/usr/bin/env bash
# Table 7, row 1: DPC pretrained on UCF-101 (split 1) without NDA and with
# each NDA transform (one transformation per clip, the same on all its
# frames), then fine-tuned on UCF-101 split 1.
# Paper top-1 (%): DPC 61.35, jigsaw 64.54, stitch 66.07, cutout 64.52,
# cutmix 63.52, mixup 63.65.
# Each pretraining: R2D3D-18, 8 blocks of 5 frames (every 3rd frame) at
# 128 x 128, predicting 3 blocks, batch 128, Adam lr 1e-3 (weight decay
# 1e-5), 200 epochs (9,537 videos: 14,902 steps). Fine-tuning: dropout
# 0.5, Adam lr 1e-3 (backbone 1e-4; both x0.1 after epochs 60 and 80,
# DPC's steps at 128 px), weight decay 1e-3, 200 epochs, the
# test's softmax averaged over 10 clips per video.
# Hardware: GPUs. DPC's authors trained R2D3D-18 on Kinetics-400 for over
# a week on 4 P40s; UCF-101 is about 1/25 of its size. We have not timed a
# GPU run; a run does not fit a CPU. Several GPUs: --strategy=mirrored
# (--batch_size stays global; DPC's negatives are per replica, as in its
# data-parallel code).
# Usage: UCF101=/data/UCF-101 bash experiments/dpc/ucf101.sh [flags]
source "$(dirname "$0")/_common.sh"
COMMON=(--arch=r2d3d18 --num_blocks=8 --block_frames=5 --stride=3
  --pred_steps=3 --resolution=128 --batch_size=128 --epochs=200 "$@")
for nda in none jigsaw stitch cutout cutmix mixup; do
  pretrain "dpc_ucf101_${nda}" "${COMMON[@]}" --nda="${nda}"
done
finetune ft_ucf101_none dpc_ucf101_none "${UCF101}" 61.35
finetune ft_ucf101_jigsaw dpc_ucf101_jigsaw "${UCF101}" 64.54
finetune ft_ucf101_stitch dpc_ucf101_stitch "${UCF101}" 66.07
finetune ft_ucf101_cutout dpc_ucf101_cutout "${UCF101}" 64.52
finetune ft_ucf101_cutmix dpc_ucf101_cutmix "${UCF101}" 63.52
finetune ft_ucf101_mixup dpc_ucf101_mixup "${UCF101}" 63.65
