"""MoCo-v2 augmentation, seeded per batch so a resumed run sees the same
views (the pipeline of Chen et al. 2020, torchvision semantics)."""

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.transforms.base import NDATransform


@keras.saving.register_keras_serializable(package="nda_tf")
class MoCoV2Augment(NDATransform):
    """Random resized crop, colour jitter, grayscale, blur, horizontal flip.

    Per image: a crop of `scale` of the area and aspect ratio in `ratio`,
    resized to `resolution`; with probability `jitter_p`, brightness,
    contrast and saturation factors in `[1 - s, 1 + s]` and a hue shift in
    `[-h, h]` turns, in random order; grayscale with probability `gray_p`;
    a Gaussian blur (sigma in [0.1, 2], kernel of about a tenth of the image)
    with probability 0.5 when `blur` is on; a horizontal flip with
    probability 0.5. It follows the `NDATransform` protocol (sampling and
    applying are separate) and every draw is stateless: the same seed gives
    the same views eagerly and in `tf.data`.

    Args:
        resolution: int, output height and width.
        scale: (min, max) fraction of the area kept by the crop.
        ratio: (min, max) aspect ratio of the crop.
        jitter: (brightness, contrast, saturation, hue) strengths.
        jitter_p: probability of colour jitter.
        gray_p: probability of grayscale.
        blur: bool; default on for images of 64 pixels and more (MoCo-v2
            blurs ImageNet images, CIFAR recipes do not).
        seed: optional int, for calls without an explicit seed.

    Call arguments:
        images: float `[B, H, W, 3]` in [-1, 1].
        training: bool; when False the images are returned unchanged.

    Example: one seed per batch (as `two_views` passes) gives the same views.

    >>> augment = MoCoV2Augment(16)
    >>> images = tf.random.uniform([4, 32, 32, 3], -1, 1)
    >>> views = augment.transform_with_seed(images, seed=[0, 7])
    >>> again = augment.transform_with_seed(images, seed=[0, 7])
    >>> views.shape, bool(tf.reduce_all(again == views))
    (TensorShape([4, 16, 16, 3]), True)

    Reference: Chen, Fan, Girshick, He, "Improved Baselines with Momentum
    Contrastive Learning", 2020.
    """

    # New pixel values (float32 for integer inputs); clips are not supported.
    computes_values = True
    folds_time = False

    def __init__(
        self,
        resolution,
        scale=(0.2, 1.0),
        ratio=(3 / 4, 4 / 3),
        jitter=(0.4, 0.4, 0.4, 0.1),
        jitter_p=0.8,
        gray_p=0.2,
        blur=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        resolution = checks.check_int("resolution", resolution, 2)
        if not 0 < scale[0] <= scale[1] <= 1:
            raise ValueError(f"scale must be 0 < min <= max <= 1, got {scale}")
        if not 0 < ratio[0] <= ratio[1]:
            raise ValueError(f"ratio must be 0 < min <= max, got {ratio}")
        if len(jitter) != 4 or min(jitter) < 0 or jitter[3] > 0.5:
            raise ValueError(
                "jitter must be (brightness, contrast, saturation, hue) >= 0 "
                f"with hue <= 0.5; received {jitter}"
            )
        checks.check_number("jitter_p", jitter_p, 0.0, 1.0)
        checks.check_number("gray_p", gray_p, 0.0, 1.0)
        self.keep_arguments(
            resolution=resolution,
            scale=tuple(float(s) for s in scale),
            ratio=tuple(float(r) for r in ratio),
            jitter=tuple(float(j) for j in jitter),
            jitter_p=float(jitter_p),
            gray_p=float(gray_p),
            blur=resolution >= 64 if blur is None else bool(blur),
        )

    def sample(self, batch_size, height, width, seed):
        """A dict of per-image crop boxes, jitter factors and coin flips."""
        seeds = nda_random.split_seed(seed, 9)
        area = nda_random.uniform([batch_size], seeds[0], *self.scale)
        log_ratio = nda_random.uniform(
            [batch_size],
            seeds[1],
            tf.math.log(self.ratio[0]),
            tf.math.log(self.ratio[1]),
        )
        ratio = tf.exp(log_ratio)
        crop_h = tf.minimum(tf.sqrt(area / ratio), 1.0)
        crop_w = tf.minimum(tf.sqrt(area * ratio), 1.0)
        top = nda_random.uniform([batch_size], seeds[2]) * (1.0 - crop_h)
        left = nda_random.uniform([batch_size], seeds[3]) * (1.0 - crop_w)
        b, c, s, h = self.jitter
        factors = nda_random.uniform([batch_size, 4], seeds[4])
        low = tf.constant([1 - b, 1 - c, 1 - s, -h])
        high = tf.constant([1 + b, 1 + c, 1 + s, h])
        coins = nda_random.uniform([batch_size, 4], seeds[5])
        return {
            "boxes": tf.stack([top, left, top + crop_h, left + crop_w], 1),
            "jitter": low + factors * (high - low),
            "order": tf.argsort(
                nda_random.uniform([batch_size, 4], seeds[6]), 1
            ),
            "apply_jitter": coins[:, 0] < self.jitter_p,
            "gray": coins[:, 1] < self.gray_p,
            "blur": coins[:, 2] < 0.5,
            "flip": coins[:, 3] < 0.5,
            "sigma": nda_random.uniform([batch_size], seeds[7], 0.1, 2.0),
        }

    def apply(self, images, t):
        batch = tf.shape(images)[0]
        x = tf.image.crop_and_resize(
            (images + 1.0) / 2.0,
            t["boxes"],
            tf.range(batch),
            [self.resolution, self.resolution],
        )
        x = tf.clip_by_value(x, 0.0, 1.0)
        jittered = _jitter(x, t["jitter"], t["order"])
        x = _where(t["apply_jitter"], jittered, x)
        gray = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(x))
        x = _where(t["gray"], gray, x)
        if self.blur:
            x = _where(t["blur"], _gaussian_blur(x, t["sigma"]), x)
        x = _where(t["flip"], tf.reverse(x, [2]), x)
        return x * 2.0 - 1.0

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.resolution, self.resolution, 3)


def two_views(batches, augment, seed=0, start=0):
    """Maps `(images, labels)` batches to `((query, key), labels)`.

    Batch `i` (counting from `start`, for a resumed stream) is augmented
    with seeds derived from `(seed, i)`, so the views are reproducible.
    """
    base = tf.constant([seed, 0], tf.int64)

    def views(index, batch):
        images, labels = batch
        step_seed = nda_random.fold_in(base, index + start)
        query_seed, key_seed = nda_random.split_seed(step_seed, 2)
        query = augment.transform_with_seed(images, query_seed)
        key = augment.transform_with_seed(images, key_seed)
        return (query, key), labels

    return batches.enumerate().map(views, num_parallel_calls=tf.data.AUTOTUNE)


def _where(condition, chosen, other):
    return tf.where(condition[:, None, None, None], chosen, other)


def _jitter(x, factors, order):
    """Brightness, contrast, saturation, hue, each image in its own order."""
    ops = [
        lambda y, f: y * f[:, None, None, None],
        lambda y, f: _blend(y, _gray_mean(y), f),
        lambda y, f: _blend(y, tf.image.rgb_to_grayscale(y), f),
        _hue,
    ]
    for position in range(4):
        for op_index, op in enumerate(ops):
            chosen = order[:, position] == op_index
            changed = tf.clip_by_value(op(x, factors[:, op_index]), 0.0, 1.0)
            x = _where(chosen, changed, x)
    return x


def _blend(x, base, factor):
    return base + factor[:, None, None, None] * (x - base)


def _gray_mean(x):
    return tf.reduce_mean(tf.image.rgb_to_grayscale(x), [1, 2, 3], True)


def _hue(x, shift):
    hsv = tf.image.rgb_to_hsv(x)
    hue = tf.math.floormod(hsv[..., :1] + shift[:, None, None, None], 1.0)
    return tf.image.hsv_to_rgb(tf.concat([hue, hsv[..., 1:]], -1))


def _gaussian_blur(x, sigma):
    """Separable blur with a per-image sigma; kernel about 10% of the size."""
    radius = max(1, x.shape[1] // 20)
    taps = tf.range(-radius, radius + 1, dtype=tf.float32)
    weights = tf.exp(-(taps[None] ** 2) / (2.0 * sigma[:, None] ** 2))
    weights /= tf.reduce_sum(weights, 1, keepdims=True)
    for axis in (1, 2):
        padded = tf.pad(
            x,
            [[0, 0]]
            + [[radius, radius] if a == axis else [0, 0] for a in (1, 2)]
            + [[0, 0]],
            mode="REFLECT",
        )
        size = tf.shape(x)[axis]
        out = 0.0
        for j in range(2 * radius + 1):
            window = tf.gather(padded, tf.range(j, j + size), axis=axis)
            out += weights[:, j, None, None, None] * window
        x = out
    return x
