#!/usr/bin/env bash
# Table 6, ImageNet-100: MoCo-v2 and each NDA transform.
# Paper linear top-1 (%): MoCo-v2 69.41, jigsaw 69.95, stitch 69.54,
# cutout 69.77, cutmix 69.61, mixup 70.01.
# Paper settings (Appendix K): 200 epochs, batch 128, lr 0.015, temperature
# 0.2, embedding dimension 128; probe lr 30. The encoder is not stated: we
# use ResNet-50 with the ImageNet stem (MoCo's ImageNet encoder).
# Data: ImageNet-100 is not in tfds. Give the class-per-folder train and
# validation folders (the CMC class list of 100 ImageNet classes):
#   IMAGENET100=/data/imagenet100 bash experiments/moco/imagenet100.sh
# with $IMAGENET100/train/<class>/*.JPEG and $IMAGENET100/val/<class>/*.
# Our sources read a whole folder into memory at the run resolution
# (centre square, 224 px): about 19 GB of RAM for the 126,689 training
# images; random resized crops are taken from that square, not from the
# full photo as MoCo does. Hardware: 8 GPUs (--strategy=mirrored is
# included below), about 200 x 990 = 198,000 steps per run; not timed.
# Usage: bash experiments/moco/imagenet100.sh [extra flags for every run]
source "$(dirname "$0")/_common.sh"
: "${IMAGENET100:?set IMAGENET100 to the folder with train/ and val/}"
export LINEAR_FLAGS="--lr=30 ${LINEAR_FLAGS:-}"
COMMON=(--dataset="folder:${IMAGENET100}/train"
  --test_dataset="folder:${IMAGENET100}/val" --resolution=224
  --arch=resnet50 --epochs=200 --batch_size=128 --lr=0.015
  --temperature=0.2 --projection_dim=128 --hidden_dim=2048
  --queue_size=65536 --strategy=mirrored "$@")
cell moco_in100_none 69.41 "${COMMON[@]}" --nda=none
cell moco_in100_jigsaw 69.95 "${COMMON[@]}" --nda=jigsaw
cell moco_in100_stitch 69.54 "${COMMON[@]}" --nda=stitch
cell moco_in100_cutout 69.77 "${COMMON[@]}" --nda=cutout
cell moco_in100_cutmix 69.61 "${COMMON[@]}" --nda=cutmix
cell moco_in100_mixup 70.01 "${COMMON[@]}" --nda=mixup
