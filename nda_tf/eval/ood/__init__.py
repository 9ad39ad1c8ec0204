"""Anomaly detection with a discriminator (paper Section 5, Table 5).

- `detection`: AUROC, FPR at 95% TPR and AUPR of in-distribution images
  against OOD sets; `evaluate` and its `OODReport`.
- `scoring`: the logit D(x) as an in-distribution score, and
  D(x) - D(T(x)) for a negative transform T (Figures 4 and 8).
- `sets`: OOD sets by name (datasets, CIFAR-10-C, local corruptions
  cached on disk, NDA-transformed test images, noise), seeded subsets.
- `corruptions`: the 19 CIFAR-10-C corruptions with CIFAR-10-C's
  parameters, computed here.
- `report`: markdown / CSV tables, ROC and histogram PNGs, TensorBoard.
- `run`: all of it from dataset names, for any discriminator.
"""
