"""Evaluation: anomaly detection with discriminators, counting dots.

- `scoring`: the discriminator logit D(x) as an in-distribution score, and
  D(x) - D(T(x)) for a negative transform T.
- `ood`: AUROC of in-distribution against OOD sets (paper Table 5).
- `ood_sets`: OOD sets by name (datasets, CIFAR-10-C, local corruptions,
  noise).
- `ood_report`: markdown / CSV tables, ROC and histogram PNGs, TensorBoard.
- `ood_run`: all of it from dataset names, for a discriminator or a GAN run.
- `numerosity`: dot counts of generated images (paper Appendix A).
"""

from nda_tf.eval import (
    batching,
    numerosity,
    ood,
    ood_report,
    ood_run,
    ood_sets,
    scoring,
)

__all__ = [
    "batching",
    "numerosity",
    "ood",
    "ood_report",
    "ood_run",
    "ood_sets",
    "scoring",
]
