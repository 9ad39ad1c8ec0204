#!/usr/bin/env bash
# Lambda sweep, CIFAR-10 unconditional jigsaw (lam = weight of G in the
# fake mixture; lam 1 is plain BigGAN). Paper FID: 1.0 -> 18.64,
# 0.75 -> 16.61, 0.5 -> 14.95, 0.25 -> 12.61, 0.15 -> 13.01.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --nda=jigsaw "$@")
cell sweep_lam1.0 18.64 "${COMMON[@]}" --lam=1.0
cell sweep_lam0.75 16.61 "${COMMON[@]}" --lam=0.75
cell sweep_lam0.5 14.95 "${COMMON[@]}" --lam=0.5
cell sweep_lam0.25 12.61 "${COMMON[@]}" --lam=0.25
cell sweep_lam0.15 13.01 "${COMMON[@]}" --lam=0.15
