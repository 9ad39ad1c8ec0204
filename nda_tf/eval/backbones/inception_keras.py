"""keras.applications.InceptionV3 as a feature extractor."""

import os
import pathlib

import keras

from nda_tf.eval.backbones import keras_model

# Where keras.applications caches the ImageNet weights it downloads.
WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"


def _cached_weights():
    root = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    return pathlib.Path(root) / "models" / WEIGHTS_FILE


class KerasInceptionV3(keras_model.KerasFeatureExtractor):
    """Keras InceptionV3: 2048-d average-pool features and 1000 logits.

    Images are resized bilinearly to 299x299; Keras' InceptionV3 expects
    [-1, 1] input, which is what the project's images already are. Its
    weights are not those of the TF graph behind published FIDs, so its
    FIDs differ from them (by a few points in the literature).

    Args:
        weights: "imagenet" (from the Keras cache, or downloaded when
            `download=True`), a path to an .h5/.weights.h5 file of the full
            model with its top, or None (random initialization).
        download: allow keras.applications to download ImageNet weights.

    Example:

    >>> extractor = KerasInceptionV3(weights=None)
    >>> extractor(np.zeros((2, 32, 32, 3), "float32")).shape
    (2, 2048)

    Reference: Szegedy et al., "Rethinking the Inception Architecture for
    Computer Vision", CVPR 2016.
    """

    def __init__(self, weights="imagenet", download=False):
        if weights == "imagenet" and not download:
            cached = _cached_weights()
            if not cached.is_file():
                raise ValueError(
                    "InceptionV3 ImageNet weights are not in the Keras cache "
                    f"({cached}): copy {WEIGHTS_FILE} there, pass "
                    "weights=PATH, or download=True on a machine with "
                    "network access"
                )
            weights = str(cached)
        elif weights not in (None, "imagenet") and not os.path.isfile(weights):
            raise ValueError(f"no InceptionV3 weights file at {weights!r}")
        net = keras.applications.InceptionV3(
            include_top=True,
            weights=weights,
            input_shape=(299, 299, 3),
            classifier_activation=None,
        )
        model = keras.Model(
            net.inputs,
            [net.get_layer("avg_pool").output, net.output],
            name="inception_v3_keras",
        )
        self.weights = weights
        source = "random init" if weights is None else "ImageNet weights"
        super().__init__(
            model,
            name="inception_v3_keras",
            input_size=(299, 299),
            num_classes=1000,
            protocol=(
                f"keras.applications InceptionV3 ({source}), avg_pool "
                "2048-d, bilinear 299x299; not comparable with published "
                "FIDs"
            ),
        )
