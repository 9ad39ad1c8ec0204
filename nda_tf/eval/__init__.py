"""Evaluation by kind: generative quality, anomaly detection, counting.

Generative quality (FID / KID / IS from pluggable backbones):
- `fid`: Frechet distance, KID, Inception Score.
- `support`: precision, recall, density and coverage of feature sets.
- `backbones`: the `FeatureExtractor` interface and the TF Inception graph,
  Keras InceptionV3, EfficientNet-Lite0 (offline) and user Keras models.
- `stats`, `pipeline`, `reference`: streaming statistics of datasets and
  generators, cached reference statistics.
- `EvaluationCallback`: FID / KID during GAN training.

Anomaly detection, counting, label maps, object detection:
- `ood`: the discriminator as an anomaly detector (paper Table 5): sets,
  corruptions, scores, measures, reports and the per-run scoring.
- `counting`: dot and object counts of generated images (Appendix A).
- `segmentation`: per-pixel / per-class accuracy and mIoU of generated
  label maps (Pix2Pix photos -> labels, paper Table 4).
- `detection`: AP, AP50, AP75 of object detections (COCO's evaluator;
  the paper's VOC detection result).

Submodules, `EvaluationCallback` and `pipeline`'s `compute_statistics` and
`score` load on first use (PEP 562), so importing `nda_tf.eval` costs
nothing: TensorFlow, scikit-learn, SciPy and matplotlib are imported only
by the code that needs them.
"""

from nda_tf.lazy import lazy_names

_SUBMODULES = (
    "backbones batching callback counting detection fid names ood pipeline "
    "reference segmentation stats support"
).split()
# Re-exported name -> the submodule that defines it.
_NAMES = {
    "EvaluationCallback": ".callback",
    "compute_statistics": ".pipeline",
    "score": ".pipeline",
}
__all__ = sorted((*_SUBMODULES, *_NAMES))
__getattr__, __dir__ = lazy_names(__name__, globals(), _NAMES, _SUBMODULES)
