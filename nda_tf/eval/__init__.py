"""Evaluation: FID / KID / IS from pluggable backbones (issue 5, part 1)."""

from nda_tf.eval import backbones, fid, pipeline, pth, reference, stats
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
    "compute_statistics",
    "fid",
    "frechet_distance",
    "inception_score",
    "kid",
    "pipeline",
    "pth",
    "reference",
    "reference_statistics",
    "score",
    "stats",
]
