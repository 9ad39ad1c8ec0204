"""The `FeatureExtractor` interface shared by every backbone."""

import tensorflow as tf


class FeatureExtractor:
    """Maps images to feature vectors (and, where it can, class logits).

    Every backbone takes images the way the project stores them: float
    `[B, H, W, C]` in [-1, 1] with C = 3 (C = 1 is repeated to RGB); uint8
    images in [0, 255] are accepted too. Each backbone does its own resizing
    and normalization, so callers never need to know its protocol.

    Subclasses set `name`, `feature_dim`, `num_classes` (None when there are
    no logits), `protocol` (a short description that goes next to every
    reported number) and implement `compute(images)`, a TensorFlow function
    from [-1, 1] RGB float32 images to `{"features": [B, d], "logits":
    [B, k]}` (logits optional).

    Example, a backbone of one's own: the mean colour of each image.

    >>> class MeanColour(FeatureExtractor):
    ...     name, feature_dim = "mean_colour", 3
    ...     def compute(self, images):
    ...         return {"features": tf.reduce_mean(images, axis=[1, 2])}
    >>> white = np.full([2, 4, 4, 3], 255, "uint8")  # uint8 becomes [-1, 1]
    >>> MeanColour()(white)
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)

    The named backbones come from `nda_tf.eval.backbones.get`.
    """

    name = "custom"
    feature_dim = None
    num_classes = None
    protocol = ""

    def compute(self, images):
        raise NotImplementedError

    @property
    def has_logits(self):
        return self.num_classes is not None

    def describe(self):
        """`name: protocol`, the label every reported number carries."""
        return f"{self.name}: {self.protocol}" if self.protocol else self.name

    def prepare(self, images):
        """[-1, 1] float32 RGB from float [-1, 1] or uint8 images."""
        images = tf.convert_to_tensor(images)
        if images.shape.rank != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(
                "images must be [batch, height, width, 1 or 3]; received "
                f"shape {images.shape}"
            )
        if images.dtype == tf.uint8:
            images = tf.cast(images, tf.float32) / 127.5 - 1.0
        elif not images.dtype.is_floating:
            raise ValueError(
                "images must be float in [-1, 1] or uint8; received dtype "
                f"{images.dtype.name}"
            )
        images = tf.cast(images, tf.float32)
        if images.shape[-1] == 1:
            images = tf.repeat(images, 3, axis=-1)
        return images

    def features_and_logits(self, images):
        """NumPy `(features [B, d], logits [B, k] or None)`."""
        result = self._traced(self.prepare(images))
        logits = result.get("logits")
        return (
            result["features"].numpy(),
            None if logits is None else logits.numpy(),
        )

    def __call__(self, images):
        """NumPy features `[B, d]`."""
        return self.features_and_logits(images)[0]

    @property
    def _traced(self):
        # One tf.function per extractor; shapes may vary between calls.
        if getattr(self, "_function", None) is None:
            self._function = tf.function(self.compute, reduce_retracing=True)
        return self._function


def to_0_255(images):
    """[-1, 1] -> [0, 255] float32."""
    return (images + 1.0) * 127.5


def pool_features(features):
    """[B, d] from [B, d] or [B, h, w, d] (global average pooling)."""
    if features.shape.rank == 4:
        features = tf.reduce_mean(features, axis=[1, 2])
    elif features.shape.rank != 2:
        raise ValueError(
            f"features must be [B, d] or [B, h, w, d]; got {features.shape}"
        )
    return tf.cast(features, tf.float32)
