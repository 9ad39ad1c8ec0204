"""Any Keras model as a feature extractor."""

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf.eval.backbones import base


class KerasFeatureExtractor(base.FeatureExtractor):
    """Wraps a Keras model: images -> features (and optionally logits).

    The model is called on the images after an optional bilinear resize and
    `preprocess`. Its output is either the features (`[B, d]`, or
    `[B, h, w, d]`, which is average-pooled) or a pair `[features, logits]`.

    Args:
        model: a `keras.Model` (or any callable on tensors).
        name: str, the backbone name reported next to each number.
        input_size: optional `(height, width)` to resize to first.
        preprocess: optional callable on the [-1, 1] float32 images.
        num_classes: int, the size of the logits when the model returns
            `[features, logits]`; None when it returns features only.
        protocol: str, a short description of the protocol.

    Example:

    >>> encoder = keras.Sequential([keras.layers.Conv2D(8, 3),
    ...                             keras.layers.GlobalAveragePooling2D()])
    >>> extractor = KerasFeatureExtractor(encoder, name="my_encoder")
    >>> extractor(np.zeros((2, 32, 32, 3), "float32")).shape
    (2, 8)
    """

    def __init__(
        self,
        model,
        name="keras_model",
        input_size=None,
        preprocess=None,
        num_classes=None,
        protocol="",
    ):
        if not callable(model):
            raise ValueError(f"model must be callable; received {model!r}")
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty str; received {name!r}")
        if input_size is not None:
            input_size = tuple(int(s) for s in input_size)
            if len(input_size) != 2 or min(input_size) < 1:
                raise ValueError(
                    f"input_size must be (height, width); received {input_size}"
                )
        if preprocess is not None and not callable(preprocess):
            raise ValueError(f"preprocess must be callable; got {preprocess!r}")
        checks.check_int("num_classes", num_classes, 1, allow_none=True)
        self.model = model
        self.name = name
        self.input_size = input_size
        self.preprocess = preprocess
        self.num_classes = None if num_classes is None else int(num_classes)
        self.protocol = protocol or self._default_protocol()
        self.feature_dim = _output_dim(model)

    def _default_protocol(self):
        size = (
            "native size"
            if self.input_size is None
            else (
                f"bilinear resize to {self.input_size[0]}x{self.input_size[1]}"
            )
        )
        return f"user Keras model, {size}; not comparable with published FIDs"

    def compute(self, images):
        if self.input_size is not None:
            images = tf.image.resize(images, self.input_size, "bilinear")
        if self.preprocess is not None:
            images = self.preprocess(images)
        outputs = self.model(images, training=False)
        if isinstance(outputs, (list, tuple)):
            if len(outputs) != 2 or self.num_classes is None:
                raise ValueError(
                    "a model with several outputs must return [features, "
                    "logits] and the extractor needs num_classes"
                )
            return {
                "features": base.pool_features(outputs[0]),
                "logits": tf.cast(outputs[1], tf.float32),
            }
        return {"features": base.pool_features(outputs)}


def _output_dim(model):
    outputs = getattr(model, "outputs", None)
    if isinstance(model, keras.Model) and outputs:
        return outputs[0].shape[-1]
    return None
