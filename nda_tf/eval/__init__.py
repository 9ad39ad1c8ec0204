"""Evaluation: generative quality, anomaly detection, counting dots.

Generative quality (FID / KID / IS from pluggable backbones):
- `fid`: Frechet distance, KID, Inception Score.
- `backbones`: the `FeatureExtractor` interface and the TF Inception graph,
  Keras InceptionV3, EfficientNet-Lite0 (offline) and user Keras models.
- `stats`, `pipeline`, `reference`: streaming statistics of datasets and
  generators, cached reference statistics.
- `EvaluationCallback`: FID / KID during GAN training.
- `pth`: PyTorch state dicts read with NumPy (EfficientNet weights).

Anomaly detection and dots:
- `scoring`: the discriminator logit D(x) as an in-distribution score, and
  D(x) - D(T(x)) for a negative transform T.
- `ood`: AUROC of in-distribution against OOD sets (paper Table 5).
- `ood_sets`: OOD sets by name (datasets, CIFAR-10-C, local corruptions,
  noise).
- `ood_report`: markdown / CSV tables, ROC and histogram PNGs, TensorBoard.
- `ood_run`: all of it from dataset names, for any discriminator.
- `numerosity`: dot counts of generated images (paper Appendix A).
"""

from nda_tf.eval import (
    backbones,
    batching,
    fid,
    numerosity,
    ood,
    ood_report,
    ood_run,
    ood_sets,
    pipeline,
    pth,
    reference,
    scoring,
    stats,
)
from nda_tf.eval.backbones import FeatureExtractor
from nda_tf.eval.callback import EvaluationCallback
from nda_tf.eval.fid import frechet_distance, inception_score, kid
from nda_tf.eval.pipeline import compute_statistics, score
from nda_tf.eval.reference import reference_statistics
from nda_tf.eval.stats import RunningStatistics, Statistics

__all__ = [
    "EvaluationCallback",
    "FeatureExtractor",
    "RunningStatistics",
    "Statistics",
    "backbones",
    "batching",
    "compute_statistics",
    "fid",
    "frechet_distance",
    "inception_score",
    "kid",
    "numerosity",
    "ood",
    "ood_report",
    "ood_run",
    "ood_sets",
    "pipeline",
    "pth",
    "reference",
    "reference_statistics",
    "score",
    "scoring",
    "stats",
]
