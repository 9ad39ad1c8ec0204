#!/usr/bin/env bash
# Table 7, row 2: the UCF-101-pretrained DPC runs of ucf101.sh (run it
# first: the pretraining runs are shared), fine-tuned on HMDB-51 split 1.
# Paper top-1 (%): DPC 45.31, jigsaw 46.88, stitch 45.31, cutout 45.31,
# cutmix 48.43, mixup 43.75.
# Fine-tuning as in ucf101.sh (200 epochs of HMDB-51's 3,570 training
# videos) but with DPC's HMDB-51 lr steps (x0.1 after epochs 150, 250).
# Hardware: one GPU per run; not timed here.
# Usage: UCF101=/data/UCF-101 HMDB51=/data/HMDB-51 bash experiments/dpc/hmdb51.sh
source "$(dirname "$0")/_common.sh"
FINETUNE_FLAGS="--lr_steps=150,250 ${FINETUNE_FLAGS:-}"
HMDB51=${HMDB51:?set HMDB51 to the HMDB-51 folder}
finetune ft_hmdb51_none dpc_ucf101_none "${HMDB51}" 45.31
finetune ft_hmdb51_jigsaw dpc_ucf101_jigsaw "${HMDB51}" 46.88
finetune ft_hmdb51_stitch dpc_ucf101_stitch "${HMDB51}" 45.31
finetune ft_hmdb51_cutout dpc_ucf101_cutout "${HMDB51}" 45.31
finetune ft_hmdb51_cutmix dpc_ucf101_cutmix "${HMDB51}" 48.43
finetune ft_hmdb51_mixup dpc_ucf101_mixup "${HMDB51}" 43.75
