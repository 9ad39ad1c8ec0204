#!/usr/bin/env bash
# Lambda sweep, CIFAR-10 unconditional jigsaw (lam = weight of G in the
# fake mixture; lam 1 is plain BigGAN): Table 8.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --nda=jigsaw "$@")
cell sweep_lam1.0 "${COMMON[@]}" --lam=1.0
cell sweep_lam0.75 "${COMMON[@]}" --lam=0.75
cell sweep_lam0.5 "${COMMON[@]}" --lam=0.5
cell sweep_lam0.25 "${COMMON[@]}" --lam=0.25
cell sweep_lam0.15 "${COMMON[@]}" --lam=0.15
