#!/usr/bin/env bash
# CIFAR-10 unconditional, lam 0.25: the NDA variants of Section 5 and
# Appendix O that are not a Table 2 cell.
# - Mixture of policies (Section 5): better than BigGAN but worse than any
#   single transform in the paper.
#   What is known: the paper's one sentence, right after Table 2, reports
#   "an experiment using a mixture of augmentation policy" and its FID;
#   the policies of that section are the five of Table 2 (jigsaw, stitch,
#   mixup, cutout, cutmix). The authors' code (ermongroup/NDA,
#   train_fns_aug.py) has no mixture: it makes the negatives with one
#   transform, picked by uncommenting one line (jigsaw_k(k=2), stitch(k=2),
#   mixup(alpha=25), cutout, cut_mix). Our guesses: the five are mixed,
#   each negative image gets one of them uniformly at random (RandomChoice;
#   the paper does not say per image, per batch or with which weights), and
#   each keeps the settings of its Table 2 cell (cifar10_uncond.sh).
# - Appendix O(a), jigsaw with the identity permutation allowed (1 in 24
#   negatives is the real image): Table 2's jigsaw cell, against the
#   identity removed. nda_tf's jigsaw removes it by default, so the run
#   c10_jigsaw of cifar10_uncond.sh is the second cell.
# - Appendix O(b), noisy vs noise-free negatives: vertical flip with
#   probability 0.5 (half the negatives are real images), against always
#   flipped. Same run names as table1_pda_vs_nda.sh,
#   so these are trained once.
# Each run: 500 epochs, as cifar10_uncond.sh.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --lam=0.25 "$@")
cell c10_mixture "${COMMON[@]}" \
  --nda="jigsaw|stitch|mixup|cutout|cutmix"
cell c10_jigsaw_with_identity "${COMMON[@]}" \
  --nda="jigsaw(exclude_identity=False)"
cell c10_jigsaw "${COMMON[@]}" --nda=jigsaw
cell c10_vflip_random "${COMMON[@]}" --nda=vertical_flip
cell c10_vflip_always "${COMMON[@]}" \
  --nda="vertical_flip(probability=1.0)"
