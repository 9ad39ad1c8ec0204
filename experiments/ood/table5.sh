#!/usr/bin/env bash
# Table 5 and Figure 8: the CIFAR-10 discriminator as an anomaly detector.
# Paper AUROC (BigGAN / jigsaw NDA-BigGAN / EBM): DTD 0.70/0.69/0.48,
# SVHN 0.75/0.61/0.63, Places-365 0.35/0.58/0.68, TinyImageNet
# 0.40/0.62/0.67, CIFAR-100 0.63/0.64/0.50, average 0.57/0.63/0.59;
# CIFAR-10-C (mean of 19 corruptions, severity 5) 0.56/0.63/0.60.
# Figure 8: D(clean) - D(corrupt) for Gaussian noise, speckle noise and JPEG
# compression, plain and NDA overlaid (NDA's is further right).
#
# Needs the two CIFAR-10 runs of experiments/gan/cifar10_uncond.sh
# (c10_biggan, c10_jigsaw; trained here if missing) and the tfds datasets
# svhn_cropped, dtd, places365_small, cifar100 and cifar10_corrupted
# (about 2.5 GB for CIFAR-10-C). TinyImageNet is not in tfds: set
# TINYIMAGENET to a folder of its images (e.g. tiny-imagenet-200/val).
# CIFAR-10-C (the OOD-2 sets and Figure 8's three corruptions, each test
# image against its CIFAR-10-C copy) comes from tfds. OFFLINE=1 passes
# --corruptions=local: the 19 corruptions computed here instead
# (CIFAR-10-C's formulas and parameters, another random stream, so close
# to but not CIFAR-10-C's images; computed once and cached), said in the
# log; the gathered Table 5 then leaves its CIFAR-10-C rows empty (the
# local sets are not CIFAR-10-C's images).
# Scoring the ~190k images: minutes on a GPU, about an hour per run on
# 2 CPU cores (the local corruptions add ~20 min the first time only).
# Usage: bash experiments/ood/table5.sh [extra flags for every ood command]
source "$(dirname "$0")/../gan/_common.sh"

cell c10_biggan 18.64 --dataset=cifar10 --lam=0.25 --nda=none
cell c10_jigsaw 12.61 --dataset=cifar10 --lam=0.25 --nda=jigsaw

SETS=svhn_cropped,dtd,places365_small,cifar100
if [[ -n "${TINYIMAGENET:-}" ]]; then
  SETS="${SETS},folder:${TINYIMAGENET}"
else
  echo "TINYIMAGENET is not set: Table 5's TinyImageNet row stays empty"
fi
SETS="${SETS},cifar10_corrupted"
CORRUPTIONS=tfds
if [[ "${OFFLINE:-0}" == 1 ]]; then
  CORRUPTIONS=local
fi
FIGURE8=cifar10_corrupted/gaussian_noise_5,cifar10_corrupted/speckle_noise_5
FIGURE8=${FIGURE8},cifar10_corrupted/jpeg_compression_5

echo "== Table 5: plain BigGAN"
python -m nda_tf.experiments.ood --logdir="${RUNS}/c10_biggan" --in=cifar10 \
  --ood="${SETS}" --transform="${FIGURE8},jigsaw" \
  --corruptions="${CORRUPTIONS}" "$@"
echo "== Table 5: jigsaw NDA-BigGAN, and Figure 8 against the plain run"
python -m nda_tf.experiments.ood --logdir="${RUNS}/c10_jigsaw" --in=cifar10 \
  --ood="${SETS}" --transform="${FIGURE8},jigsaw" --name=NDA-BigGAN \
  --corruptions="${CORRUPTIONS}" \
  --compare=BigGAN="${RUNS}/c10_biggan/ood/latest" "$@"

echo "== Tables (Table 5 beside the paper's): ${RUNS}/results.md"
python -m nda_tf.experiments.gather --runs="${RUNS}" --out="${RUNS}/results.md"
echo "Figure 8: ${RUNS}/c10_jigsaw/ood/latest/figure8.png (statistics in figure8.json)"
