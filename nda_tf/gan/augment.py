"""Augmentations of the discriminator's inputs: CR's T and DiffAugment.

Both are baselines or companions of NDA in GAN training, not negatives:

* `ConsistencyAugment` is the T of consistency regularisation (Zhang et
  al., 2020, the CR-BigGAN column of the paper's Tables 2 and 3): the
  discriminator is asked to score `x` and `T(x)` alike.
* `DiffAugment` (Zhao et al., 2020) augments every image the discriminator
  sees, real and generated, in both the D and the G step; it is built from
  differentiable ops so that the generator's gradient passes through it.

Both are `NDATransform`s for their seeding (the same seed gives the same
draws eagerly, in `tf.function`, under XLA; replicas fold in their id) and
their hand-settable transformations, but they are not in the NDA registry:
neither makes negatives.
"""

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.transforms.base import NDATransform

_FILLS = ("zeros", "reflect")


def translate(images, shifts, fill="zeros"):
    """Moves each image's content by whole pixels.

    Output pixel `(r, c)` of image `b` is input pixel `(r - dy, c - dx)`
    with `(dy, dx) = shifts[b]`: a positive `dy` moves the content down, a
    positive `dx` to the right. Pixels that come from outside the image are
    zeros (`fill="zeros"`) or the mirror image without repeating the edge
    (`fill="reflect"`, as `tf.pad(mode="REFLECT")`; needs |shift| < size).
    Built from gathers and a mask, so gradients reach `images`.

    Args:
        images: `[B, H, W, C]`.
        shifts: int `[B, 2]`, `(dy, dx)` per image.
        fill: "zeros" or "reflect".

    Example:

    >>> row = tf.reshape(tf.range(1.0, 5.0), [1, 1, 4, 1])
    >>> translate(row, [[0, 1]])[0, 0, :, 0].numpy()
    array([0., 1., 2., 3.], dtype=float32)
    """
    checks.check_choice("fill", fill, _FILLS)
    shifts = tf.cast(tf.convert_to_tensor(shifts), tf.int32)
    dy, dx = tf.unstack(shifts, num=2, axis=1)
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    rows = tf.range(height)[None, :] - dy[:, None]
    cols = tf.range(width)[None, :] - dx[:, None]
    if fill == "reflect":
        rows, cols = _reflect(rows, height), _reflect(cols, width)
        inside = None
    else:
        inside = (
            _inside(rows, height)[:, :, None] & _inside(cols, width)[:, None, :]
        )
        rows = tf.clip_by_value(rows, 0, height - 1)
        cols = tf.clip_by_value(cols, 0, width - 1)
    moved = tf.gather(images, rows, axis=1, batch_dims=1)
    moved = tf.gather(moved, cols, axis=2, batch_dims=1)
    if inside is None:
        return moved
    return moved * tf.cast(inside[..., None], moved.dtype)


def _inside(index, size):
    return (index >= 0) & (index < size)


def _reflect(index, size):
    # -k -> k and (size - 1) + k -> (size - 1) - k, for |k| < size.
    index = tf.abs(index)
    return (size - 1) - tf.abs((size - 1) - index)


def _max_shift(fraction, size):
    """Whole pixels in `fraction` of `size`, rounded half up."""
    return tf.cast(
        tf.floor(fraction * tf.cast(size, tf.float32) + 0.5), "int32"
    )


def _shifts(batch_size, height, width, fraction, seed):
    y_seed, x_seed = nda_random.split_seed(seed, 2)
    most_y = _max_shift(fraction, height)
    most_x = _max_shift(fraction, width)
    dy = nda_random.uniform_int([batch_size], y_seed, -most_y, most_y)
    dx = nda_random.uniform_int([batch_size], x_seed, -most_x, most_x)
    return tf.stack([dy, dx], axis=1)


@keras.saving.register_keras_serializable(package="nda_tf")
class ConsistencyAugment(NDATransform):
    """CR's T: a random horizontal flip, then a random translation.

    Each image is mirrored left-right with probability 1/2, then moved by
    whole pixels, each axis uniformly in `[-s, s]` with `s = round(
    translation * size)` (4 pixels at 32x32 for the default 1/8), the
    uncovered border filled by reflection so that every pixel is an image
    pixel. Zhang et al. (2020) use flipping and shifting by a few pixels as
    the augmentation of CR-GAN on CIFAR-10.

    Args:
        translation: float in [0, 1), largest shift as a fraction of the
            image size.
        seed: optional int for reproducible draws.

    Example: a hand-made transformation (flip, then move one pixel right).

    >>> row = tf.reshape(tf.range(1.0, 5.0), [1, 1, 4, 1])
    >>> layer = ConsistencyAugment()
    >>> move = {"flip": [True], "shift": [[0, 1]]}
    >>> layer.transform_images(row, move)[0, 0, :, 0].numpy()
    array([3., 4., 3., 2.], dtype=float32)

    Reference: Zhang, Zhang, Odena, Lee, "Consistency Regularization for
    Generative Adversarial Networks", ICLR 2020.
    """

    def __init__(self, translation=0.125, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        checks.check_number(
            "translation", translation, 0.0, 1.0, high_open=True
        )
        self.keep_arguments(translation=float(translation))

    def sample(self, batch_size, height, width, seed):
        flip_seed, shift_seed = nda_random.split_seed(seed, 2)
        flip = nda_random.uniform([batch_size], flip_seed) < 0.5
        shift = _shifts(batch_size, height, width, self.translation, shift_seed)
        return {"flip": flip, "shift": shift}

    def apply(self, images, transformation):
        flip = tf.convert_to_tensor(transformation["flip"])
        forward = tf.range(tf.shape(images)[2])
        cols = tf.where(flip[:, None], tf.reverse(forward, [0]), forward)
        flipped = tf.gather(images, cols, axis=2, batch_dims=1)
        return translate(flipped, transformation["shift"], fill="reflect")


DIFFAUGMENT_OPS = ("color", "translation", "cutout")


def parse_policy(policy):
    """DiffAugment's policy string as a tuple of op names, in order.

    "color,translation,cutout" (the original's spelling: names joined by
    commas) -> ("color", "translation", "cutout"); None, "" and "none" ->
    (). Spaces around names are ignored; an unknown or repeated name is an
    error.

    >>> parse_policy("color, cutout")
    ('color', 'cutout')
    """
    if policy is None:
        return ()
    if not isinstance(policy, str):
        raise ValueError(
            "a DiffAugment policy is a string such as "
            f"'color,translation,cutout'; received {policy!r}"
        )
    text = policy.strip().lower()
    if text in ("", "none"):
        return ()
    ops = tuple(part.strip() for part in text.split(","))
    for op in ops:
        if op not in DIFFAUGMENT_OPS:
            raise ValueError(
                f"unknown DiffAugment op {op!r} in policy {policy!r}; "
                f"choose from {', '.join(DIFFAUGMENT_OPS)}"
            )
    if len(set(ops)) != len(ops):
        raise ValueError(f"DiffAugment policy {policy!r} repeats an op")
    return ops


@keras.saving.register_keras_serializable(package="nda_tf")
class DiffAugment(NDATransform):
    """Differentiable augmentation of everything the discriminator sees.

    The ops of `policy`, in its order, each with its own draw per image
    (images in [-1, 1]):

    * color: add a brightness offset `b - 0.5`, then scale the distance to
      the pixel's channel mean by a saturation factor `2 s`, then scale the
      distance to the image's mean by a contrast factor `c + 0.5`, with
      `b, s, c ~ U[0, 1)`: brightness in [-0.5, 0.5), saturation in [0, 2),
      contrast in [0.5, 1.5);
    * translation: move by whole pixels, each axis uniformly in `[-s, s]`
      with `s = round(size / 8)`, uncovered pixels set to 0;
    * cutout: set to 0 a square of side `round(size / 2)` centred on a
      uniformly drawn pixel (clipped at the border, so near an edge less is
      masked).

    Every op is a sum, product or gather of the images, so gradients flow
    through it to the generator. Zhao et al. apply it to real and fake
    images in both the D and the G step; `NDAGAN(diffaugment=...)` also
    applies it to the NDA negatives, so that the discriminator cannot tell
    them from the augmented images by the augmentation alone.

    Args:
        policy: ops joined by commas, e.g. "color,translation,cutout" (the
            original's policy string); see `parse_policy`.
        seed: optional int for reproducible draws.

    Example: a hand-made translation by one pixel to the right.

    >>> row = tf.reshape(tf.range(1.0, 5.0), [1, 1, 4, 1])
    >>> layer = DiffAugment("translation")
    >>> layer.transform_images(row, {"shift": [[0, 1]]})[0, 0, :, 0].numpy()
    array([0., 1., 2., 3.], dtype=float32)

    Reference: Zhao, Liu, Lin, Zhu, Han, "Differentiable Augmentation for
    Data-Efficient GAN Training", NeurIPS 2020.
    """

    computes_values = True

    def __init__(self, policy="color,translation,cutout", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        ops = parse_policy(policy)
        if not ops:
            raise ValueError(
                f"DiffAugment needs at least one op; received {policy!r}"
            )
        self.keep_arguments(policy=",".join(ops))
        self.ops = ops

    def sample(self, batch_size, height, width, seed):
        seeds = nda_random.split_seed(seed, 3)
        found = {}
        if "color" in self.ops:
            draws = nda_random.uniform([batch_size, 3], seeds[0])
            found["brightness"] = draws[:, 0] - 0.5
            found["saturation"] = 2.0 * draws[:, 1]
            found["contrast"] = draws[:, 2] + 0.5
        if "translation" in self.ops:
            found["shift"] = _shifts(batch_size, height, width, 0.125, seeds[1])
        if "cutout" in self.ops:
            y_seed, x_seed = nda_random.split_seed(seeds[2], 2)
            centre_y = nda_random.uniform_int(
                [batch_size], y_seed, 0, height - 1
            )
            centre_x = nda_random.uniform_int(
                [batch_size], x_seed, 0, width - 1
            )
            found["cutout"] = tf.stack([centre_y, centre_x], axis=1)
        return found

    def apply(self, images, transformation):
        for op in self.ops:
            images = getattr(self, f"_{op}")(images, transformation)
        return images

    @staticmethod
    def _color(images, transformation):
        def per_image(name):
            value = tf.convert_to_tensor(transformation[name])
            return tf.cast(value, images.dtype)[:, None, None, None]

        images = images + per_image("brightness")
        pixel_mean = tf.reduce_mean(images, axis=3, keepdims=True)
        images = (images - pixel_mean) * per_image("saturation") + pixel_mean
        image_mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
        return (images - image_mean) * per_image("contrast") + image_mean

    @staticmethod
    def _translation(images, transformation):
        return translate(images, transformation["shift"], fill="zeros")

    @staticmethod
    def _cutout(images, transformation):
        centre = tf.cast(
            tf.convert_to_tensor(transformation["cutout"]), "int32"
        )
        height, width = tf.shape(images)[1], tf.shape(images)[2]
        side_y, side_x = _max_shift(0.5, height), _max_shift(0.5, width)
        top = centre[:, 0] - side_y // 2
        left = centre[:, 1] - side_x // 2
        rows = tf.range(height)[None, :]
        cols = tf.range(width)[None, :]
        in_rows = (rows >= top[:, None]) & (rows < (top + side_y)[:, None])
        in_cols = (cols >= left[:, None]) & (cols < (left + side_x)[:, None])
        masked = in_rows[:, :, None] & in_cols[:, None, :]
        return images * tf.cast(~masked, images.dtype)[..., None]
