"""OODDetector: a discriminator wrapped as a servable OOD scoring module."""

import tensorflow as tf

from nda_tf import checks as arguments
from nda_tf.export import checks

SERVING_SIGNATURE = "serving_default"
FLOAT_SIGNATURE = "serving_float"


class OODDetector(tf.Module):
    """Scores images with a trained NDA discriminator (paper Section 5).

    Images of any size are resized (bilinear, antialiased) to the training
    resolution and scaled to [-1, 1] as in training; the score is the raw
    discriminator logit, higher meaning in-distribution. An image is an
    outlier when its score is below `threshold`; its in-distribution
    probability is `sigmoid(slope * score + intercept)`. Both are stored
    as variables of the module, so the SavedModel carries them.

    Args:
        discriminator: Keras model called as `D(images)` or
            `D([images, labels])`, returning logits `[B, 1]`.
        resolution: int, the training image size (square).
        num_classes: int, 1 for an unconditional discriminator.
        label: for a conditional discriminator, the int class to score
            with, or None to score with the maximum over all classes.
        threshold: float, the score below which an image is an outlier.
        slope: float, the slope of the probability calibration.
        intercept: float, its intercept.

    Example, with a stand-in discriminator that scores the sum of the
    mean colour (-3 for black, 3 for white):

    >>> D = keras.Sequential([
    ...     keras.Input((4, 4, 3)),
    ...     keras.layers.GlobalAveragePooling2D(),
    ...     keras.layers.Dense(1, kernel_initializer="ones"),
    ... ])
    >>> detector = OODDetector(D, resolution=4, threshold=0.0)
    >>> images = np.zeros([2, 8, 8, 3], "uint8")  # resized to 4 x 4
    >>> images[1] = 255
    >>> outputs = detector.serve_uint8(images)
    >>> outputs["score"].numpy(), outputs["is_outlier"].numpy()
    (array([-3.,  3.], dtype=float32), array([ True, False]))

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    def __init__(
        self,
        discriminator,
        resolution,
        num_classes=1,
        label=None,
        threshold=0.0,
        slope=1.0,
        intercept=0.0,
    ):
        super().__init__(name="ood_detector")
        arguments.check_int("resolution", resolution, 1)
        arguments.check_int("num_classes", num_classes, 1)
        if label is not None and num_classes == 1:
            raise ValueError(
                "label must be None for an unconditional discriminator "
                f"(num_classes=1), received {label!r}"
            )
        label = arguments.check_int(
            "label", label, 0, num_classes - 1, allow_none=True
        )
        self.discriminator = discriminator
        self.resolution = resolution
        self.num_classes = num_classes
        self.label = label
        self.threshold = tf.Variable(
            float(threshold), trainable=False, name="threshold"
        )
        self.calibration = tf.Variable(
            [float(slope), float(intercept)],
            trainable=False,
            name="calibration",
        )

    def set_calibration(self, threshold, slope, intercept):
        self.threshold.assign(float(threshold))
        self.calibration.assign([float(slope), float(intercept)])

    @tf.function(input_signature=[tf.TensorSpec(None, tf.uint8, "images")])
    def serve_uint8(self, images):
        """uint8 `[N, H, W, 3]` images in 0..255 -> score dict."""
        images = checks.checked(images, "images", rank=4, last=3)
        scaled = tf.cast(images, tf.float32) / 127.5 - 1.0
        return self.outputs(self.score_scaled(scaled))

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32, "images")])
    def serve_float(self, images):
        """float32 `[N, H, W, 3]` images in [0, 1] -> score dict."""
        images = checks.checked(images, "images", rank=4, last=3)
        images = checks.finite_in_range(images, "images", 0.0, 1.0)
        return self.outputs(self.score_scaled(images * 2.0 - 1.0))

    def score_scaled(self, images):
        """Scores float images in [-1, 1] of any size: float32 `[N]`."""
        return self.score_prepared(self.resize(images))

    def resize(self, images):
        """Resizes to the training resolution unless already there."""
        size = self.resolution
        shape = tf.shape(images)
        same = tf.logical_and(
            tf.equal(shape[1], size), tf.equal(shape[2], size)
        )
        # Skipping the resize keeps scores of training-size images exactly
        # those of the Keras discriminator.
        resized = tf.cond(
            same,
            lambda: images,
            lambda: tf.image.resize(
                images, [size, size], method="bilinear", antialias=True
            ),
        )
        return tf.ensure_shape(resized, [None, size, size, 3])

    def score_prepared(self, images):
        """Logits for `[N, resolution, resolution, 3]` images in [-1, 1]."""
        count = tf.shape(images)[0]
        if self.num_classes == 1:
            logits = self.discriminator(images, training=False)
        elif self.label is not None:
            labels = tf.fill([count], self.label)
            logits = self.discriminator([images, labels], training=False)
        else:
            # Every image against every class; keep its best class.
            classes = self.num_classes
            tiled = tf.repeat(images, classes, axis=0)
            labels = tf.tile(tf.range(classes, dtype=tf.int32), [count])
            logits = self.discriminator([tiled, labels], training=False)
            logits = tf.reduce_max(tf.reshape(logits, [count, classes]), 1)
        return tf.reshape(tf.cast(logits, tf.float32), [count])

    def outputs(self, scores):
        slope, intercept = self.calibration[0], self.calibration[1]
        return {
            "score": scores,
            "is_outlier": scores < self.threshold,
            "in_distribution_probability": tf.sigmoid(
                slope * scores + intercept
            ),
        }

    def signatures(self):
        return {
            SERVING_SIGNATURE: self.serve_uint8.get_concrete_function(),
            FLOAT_SIGNATURE: self.serve_float.get_concrete_function(),
        }
