"""Table 1 controls: random crop, flips and Gaussian noise.

The paper uses these both as ordinary (positive) augmentation and as NDA to
show which transforms make useful negatives (Table 1, Appendix O).
"""

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.transforms import registry
from nda_tf.transforms.base import NDATransform

_PAD_MODES = {
    "reflect": "REFLECT",
    "symmetric": "SYMMETRIC",
    "constant": "CONSTANT",
}


@registry.register("random_crop")
@keras.saving.register_keras_serializable(package="nda_tf")
class RandomCrop(NDATransform):
    """Pads each image by `padding` pixels and crops it back at random.

    The crop offset is drawn per image, uniformly in `[0, 2 * padding]` on
    each axis, so the content shifts by up to `padding` pixels.

    Args:
        padding: int >= 0, pixels added on every side.
        fill_mode: "reflect" (default; keeps the value range), "symmetric" or
            "constant" (zeros, as in the common CIFAR recipe).
        seed: optional int for reproducible draws.

    Example: with padding 1, the hand-made offset `(top, left)` (1, 1) would
    give the image back; (2, 1) moves it up a row, reflecting at the edge.

    >>> image = tf.reshape(tf.range(9), [1, 3, 3, 1])
    >>> crop = RandomCrop(padding=1, seed=0)
    >>> shifted = crop(image)  # a random offset
    >>> crop.transform_images(image, {"offset": [[2, 1]]})[0, :, :, 0].numpy()
    array([[3, 4, 5],
           [6, 7, 8],
           [3, 4, 5]], dtype=int32)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021, Table 1.
    """

    def __init__(self, padding=4, fill_mode="reflect", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.keep_arguments(
            padding=checks.check_int("padding", padding, 0),
            fill_mode=checks.check_choice("fill_mode", fill_mode, _PAD_MODES),
        )

    def sample(self, batch_size, height, width, seed):
        for axis, size in (("height", height), ("width", width)):
            if (
                self.fill_mode != "constant"
                and isinstance(size, int)
                and size <= self.padding
            ):
                raise ValueError(
                    f"{self.fill_mode} padding of {self.padding} needs an "
                    f"image {axis} above it; received {axis} {size}"
                )
        offset = nda_random.uniform_int(
            [batch_size, 2], seed, 0, 2 * self.padding
        )
        return {"offset": offset}

    def apply(self, images, transformation):
        height, width = self._spatial_size(images)
        pad = self.padding
        padded = tf.pad(
            images,
            [[0, 0], [pad, pad], [pad, pad], [0, 0]],
            mode=_PAD_MODES[self.fill_mode],
        )
        top, left = tf.unstack(transformation["offset"], num=2, axis=1)
        rows = top[:, None] + tf.range(height)[None, :]
        cols = left[:, None] + tf.range(width)[None, :]
        cropped = tf.gather(padded, rows, axis=1, batch_dims=1)
        return tf.gather(cropped, cols, axis=2, batch_dims=1)


class _Flip(NDATransform):
    """Flips each image along `_axis` with a given probability."""

    _axis = None

    def __init__(self, probability=0.5, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        checks.check_number("probability", probability, 0.0, 1.0)
        self.keep_arguments(probability=float(probability))

    def sample(self, batch_size, height, width, seed):
        draw = nda_random.uniform([batch_size], seed)
        return {"flip": draw < self.probability}

    def apply(self, images, transformation):
        # One gather with a per-image index (reversed or not) rather than a
        # reverse and a select: a single, cheaper op on CPU.
        size = tf.shape(images)[self._axis]
        forward = tf.range(size)
        index = tf.where(
            transformation["flip"][:, None], tf.reverse(forward, [0]), forward
        )
        return tf.gather(images, index, axis=self._axis, batch_dims=1)


@registry.register("horizontal_flip")
@keras.saving.register_keras_serializable(package="nda_tf")
class HorizontalFlip(_Flip):
    """Mirrors each image left-right with probability `probability`.

    As ordinary augmentation this is the usual random flip (p = 0.5); as NDA
    it is a poor negative, since mirrored images are in-distribution (Table 1).

    Args:
        probability: float in [0, 1], chance that an image is flipped.
        seed: optional int for reproducible draws.

    Example:

    >>> image = tf.reshape(tf.range(4), [1, 2, 2, 1])
    >>> HorizontalFlip(probability=1.0)(image)[0, :, :, 0].numpy()
    array([[1, 0],
           [3, 2]], dtype=int32)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021, Table 1.
    """

    _axis = 2


@registry.register("vertical_flip")
@keras.saving.register_keras_serializable(package="nda_tf")
class VerticalFlip(_Flip):
    """Turns each image upside down with probability `probability`.

    Appendix O compares the noisy NDA (p = 0.5, where half the "negatives" are
    real images) with the noise-free one (p = 1.0).

    Args:
        probability: float in [0, 1], chance that an image is flipped.
        seed: optional int for reproducible draws.

    Example:

    >>> image = tf.reshape(tf.range(4), [1, 2, 2, 1])
    >>> VerticalFlip(probability=1.0)(image)[0, :, :, 0].numpy()
    array([[2, 3],
           [0, 1]], dtype=int32)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    _axis = 1


@registry.register("gaussian_noise")
@keras.saving.register_keras_serializable(package="nda_tf")
class GaussianNoise(NDATransform):
    """Adds independent Gaussian noise to every pixel.

    The result is clipped to `value_range`, or, when it is None, to the
    batch's own [min, max], so the images' range is preserved (integer
    images are also rounded and clipped to their dtype).

    Args:
        stddev: float >= 0, in the images' own units (0.1 on [-1, 1] images
            is 5% of the range).
        value_range: optional `(low, high)` to clip to.
        seed: optional int for reproducible draws.

    Example: strong noise is clipped to `value_range`.

    >>> noise = GaussianNoise(stddev=10.0, value_range=(-1, 1), seed=0)
    >>> noisy = noise(tf.zeros([2, 8, 8, 3]))
    >>> noisy.shape, float(tf.reduce_min(noisy)), float(tf.reduce_max(noisy))
    (TensorShape([2, 8, 8, 3]), -1.0, 1.0)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021, Table 1.
    """

    computes_values = True
    folds_time = False

    def __init__(self, stddev=0.1, value_range=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        checks.check_number("stddev", stddev, 0.0)
        if value_range is not None:
            if len(value_range) != 2 or not value_range[0] < value_range[1]:
                raise ValueError(
                    "value_range must be (low, high) with low < high, "
                    f"received {value_range!r}"
                )
            value_range = tuple(float(v) for v in value_range)
        self.keep_arguments(stddev=float(stddev), value_range=value_range)

    def sample(self, batch_size, height, width, seed):
        # A seed rather than the noise itself: the noise would be as large as
        # the batch, and every pixel's draw is still independent.
        return {"noise_seed": seed}

    def apply(self, images, transformation):
        shape = tf.shape(images)
        if images.shape.rank == 5:
            # One noise pattern for all frames of a clip, as for any NDA.
            shape = tf.tensor_scatter_nd_update(shape, [[1]], [1])
        noise = nda_random.normal(
            shape, transformation["noise_seed"], dtype=images.dtype
        )
        noisy = images + self.stddev * noise
        if self.value_range is None:
            low, high = tf.reduce_min(images), tf.reduce_max(images)
        else:
            low, high = self.value_range
        return tf.clip_by_value(noisy, low, high)
