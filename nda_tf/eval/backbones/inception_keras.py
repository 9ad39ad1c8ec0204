"""keras.applications.InceptionV3 as a feature extractor."""

import os
import pathlib

import keras

from nda_tf.data import downloads
from nda_tf.eval.backbones import keras_model

# Where keras.applications caches the ImageNet weights it downloads.
WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
# The server keras.applications downloads them from.
WEIGHTS_SERVER = "https://storage.googleapis.com/"


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
        weights: "imagenet" (from the Keras cache, or downloaded once when
            allowed), a path to an .h5/.weights.h5 file of the full
            model with its top, or None (random initialization).
        download: allow keras.applications to download ImageNet weights;
            None: yes unless downloads are off in this process
            (`--no_download`, $NDA_TF_NO_DOWNLOAD).

    Example:

    >>> extractor = KerasInceptionV3(weights=None)
    >>> extractor(np.zeros((2, 32, 32, 3), "float32")).shape
    (2, 2048)

    Reference: Szegedy et al., "Rethinking the Inception Architecture for
    Computer Vision", CVPR 2016.
    """

    def __init__(self, weights="imagenet", download=None):
        cached = _cached_weights()
        if weights == "imagenet" and cached.is_file():
            weights = str(cached)
        elif weights == "imagenet":
            how_to = f"copy {WEIGHTS_FILE} to {cached}, or pass weights=PATH"
            if not downloads.allowed(download):
                raise ValueError(
                    "InceptionV3 ImageNet weights are not in the Keras cache "
                    f"({cached}) and downloads are off: {how_to}"
                )
            try:
                # Keras would wait on an unreachable server: probe first.
                downloads.check_reachable(WEIGHTS_SERVER)
            except downloads.DownloadError as error:
                raise ValueError(
                    "InceptionV3 ImageNet weights are not in the Keras cache "
                    f"({cached}) and cannot be downloaded: {error}. {how_to}"
                ) from None
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
