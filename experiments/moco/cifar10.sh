#!/usr/bin/env bash
# Table 6, CIFAR-10: MoCo-v2 and each NDA transform as extra negatives.
# Paper linear top-1 (%): MoCo-v2 91.20, jigsaw 91.66, stitch 91.59,
# cutout 92.26, cutmix 91.51, mixup 91.36.
# Each run: ResNet-18 (CIFAR stem), 1000 epochs = 195,313 steps of batch
# 256, SGD lr 0.3 (cosine), temperature 0.07, queue 65,536, MLP head
# 2048 -> 128; then the linear probe (100 epochs, batch 256, lr 10).
# Hardware: one GPU per run (the paper: 1.09 s per step for MoCo-v2,
# 1.36 s with NDA, on its GPUs; we have not timed a GPU run). A run does
# not fit a CPU. Several GPUs: --strategy=mirrored (shuffled BN across
# them; --batch_size stays the global 256).
# Usage: bash experiments/moco/cifar10.sh [extra flags for every run]
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --arch=resnet18 --epochs=1000 --batch_size=256
  --lr=0.3 --temperature=0.07 --queue_size=65536 --hidden_dim=2048 "$@")
cell moco_c10_none 91.20 "${COMMON[@]}" --nda=none
cell moco_c10_jigsaw 91.66 "${COMMON[@]}" --nda=jigsaw
cell moco_c10_stitch 91.59 "${COMMON[@]}" --nda=stitch
cell moco_c10_cutout 92.26 "${COMMON[@]}" --nda=cutout
cell moco_c10_cutmix 91.51 "${COMMON[@]}" --nda=cutmix
cell moco_c10_mixup 91.36 "${COMMON[@]}" --nda=mixup
