#!/usr/bin/env bash
# Table 6, CIFAR-100: MoCo-v2 and each NDA transform as extra negatives.
# Paper linear top-1 (%): MoCo-v2 69.63, jigsaw 70.17, stitch 69.21,
# cutout 69.81, cutmix 69.83, mixup 69.99.
# Settings and hardware as for cifar10.sh (ResNet-18, 1000 epochs of batch
# 256 = 195,313 steps, lr 0.3, temperature 0.07, queue 65,536; probe 100
# epochs, batch 256, lr 10): one GPU per run, days each.
# Usage: bash experiments/moco/cifar100.sh [extra flags for every run]
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar100 --arch=resnet18 --epochs=1000 --batch_size=256
  --lr=0.3 --temperature=0.07 --queue_size=65536 --hidden_dim=2048 "$@")
cell moco_c100_none 69.63 "${COMMON[@]}" --nda=none
cell moco_c100_jigsaw 70.17 "${COMMON[@]}" --nda=jigsaw
cell moco_c100_stitch 69.21 "${COMMON[@]}" --nda=stitch
cell moco_c100_cutout 69.81 "${COMMON[@]}" --nda=cutout
cell moco_c100_cutmix 69.83 "${COMMON[@]}" --nda=cutmix
cell moco_c100_mixup 69.99 "${COMMON[@]}" --nda=mixup
