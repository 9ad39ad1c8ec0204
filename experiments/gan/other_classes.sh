#!/usr/bin/env bash
# "Other classes" NDA (Appendix B; the numerosity runs of Appendix A are its
# instance with dot counts): train on some classes of a labelled dataset and
# use the images of every other class as the negatives. The paper reports
# no FID for it on an image dataset: these runs have no paper number.
# Here: CIFAR-10 cats (class 3) with the other nine classes as negatives,
# against cats alone. FID is still measured against the whole test split
# (all ten classes), so it is only comparable between these two runs.
source "$(dirname "$0")/_common.sh"
COMMON=(--dataset=cifar10 --classes=3 --lam=0.25 "$@")
cell c10_cats_plain "${COMMON[@]}" --nda=none
cell c10_cats_other_classes "${COMMON[@]}" \
  --nda=other_classes
