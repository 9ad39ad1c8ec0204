"""Evaluation: generative quality, anomaly detection, counting dots.

Generative quality (FID / KID / IS from pluggable backbones):
- `fid`: Frechet distance, KID, Inception Score.
- `support`: precision, recall, density and coverage of feature sets.
- `backbones`: the `FeatureExtractor` interface and the TF Inception graph,
  Keras InceptionV3, EfficientNet-Lite0 (offline) and user Keras models.
- `stats`, `pipeline`, `reference`: streaming statistics of datasets and
  generators, cached reference statistics.
- `EvaluationCallback`: FID / KID during GAN training.

Anomaly detection and dots:
- `scoring`: the discriminator logit D(x) as an in-distribution score, and
  D(x) - D(T(x)) for a negative transform T.
- `ood`: AUROC, FPR at 95% TPR and AUPR of in-distribution against OOD
  sets (paper Table 5).
- `ood_sets`: OOD sets by name (datasets, CIFAR-10-C, local corruptions
  cached on disk, NDA-transformed test images, noise), seeded subsets.
- `ood_report`: markdown / CSV tables, ROC and histogram PNGs, TensorBoard.
- `ood_run`: all of it from dataset names, for any discriminator.
- `numerosity`: dot counts of generated images (paper Appendix A).
- `segmentation`: per-pixel / per-class accuracy and mIoU of generated
  label maps (Pix2Pix photos -> labels, paper Table 4).

Submodules, `EvaluationCallback` and `pipeline`'s `compute_statistics` and
`score` load on first use (PEP 562), so importing `nda_tf.eval` costs
nothing: TensorFlow, scikit-learn, SciPy and matplotlib are imported only
by the code that needs them.
"""

import importlib

_SUBMODULES = (
    "backbones batching callback fid numerosity ood ood_report ood_run "
    "names ood_sets pipeline reference scoring segmentation stats support "
    "cifar10c"
).split()
# Re-exported name -> the submodule that defines it.
_NAMES = {
    "EvaluationCallback": "callback",
    "compute_statistics": "pipeline",
    "score": "pipeline",
}
__all__ = sorted((*_SUBMODULES, *_NAMES))


def __getattr__(name):
    if name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _NAMES:
        module = importlib.import_module(f"{__name__}.{_NAMES[name]}")
        value = getattr(module, name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return sorted({*globals(), *__all__})
