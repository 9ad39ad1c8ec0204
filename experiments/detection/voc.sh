#!/usr/bin/env bash
# Section 6: Pascal VOC detection from the ImageNet-100 MoCo-v2 encoders,
# without and with mixup NDA. Paper (Faster R-CNN C4, VOC 07+12 trainval,
# tested on VOC 2007 test, AP / AP50 / AP75): MoCo-v2 38.47 / 65.99 / 38.81,
# mixup NDA 38.72 / 66.23 / 39.16.
# Needs the runs RUNS/moco_in100_none and RUNS/moco_in100_mixup of
# experiments/moco/imagenet100.sh (their latest checkpoints are read).
# Schedule: detectron2's VOC setting as MoCo runs it (the command's
# defaults): 24,000 steps of 16 images, SGD lr 0.02, divided by 10 at
# 18,000 and 22,000, 100 warm-up steps, weight decay 1e-4. Differences
# (docs/detection.md): images fitted into 512-pixel squares (detectron2:
# shorter side 480-800 in training, 800 at test); batch norm per replica
# (detectron2's MoCo setting synchronizes it over the 16 images); weight
# decay decoupled; AP through COCO's evaluator with VOC 2007's 11-point
# interpolation at IoU 0.5:0.95 (detectron2's VOC evaluator treats
# difficult boxes and the box edges its own way). VOC 2007 and 2012 come
# through tfds (downloaded once).
# Hardware: 8 GPUs (--strategy=mirrored below); not timed.
# Usage: RUNS=runs bash experiments/detection/voc.sh [extra flags]
set -euo pipefail
RUNS=${RUNS:-runs}
for nda in none mixup; do
  encoder="${RUNS}/moco_in100_${nda}"
  [[ -f "${encoder}/config.json" ]] || {
    echo "no MoCo run ${encoder}: run experiments/moco/imagenet100.sh" >&2
    exit 1
  }
  echo "== detection_voc_${nda} (encoder ${encoder})"
  python -m nda_tf.experiments.detect --dataset=voc --encoder="${encoder}" \
    --strategy=mirrored --logdir="${RUNS}/detection_voc_${nda}" "$@"
done
# Ours beside the paper's numbers ("Detection, Section 6").
python -m nda_tf.experiments.gather --runs="${RUNS}" \
  --out="${RUNS}/detection_voc.md"
