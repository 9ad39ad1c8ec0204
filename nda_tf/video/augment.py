"""DPC's clip augmentation: one crop, flip and colour change per clip.

Every frame of a clip gets the same transformation, so the motion between
frames is untouched and only appearance varies between clips.
"""

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.transforms.base import NDATransform


@keras.saving.register_keras_serializable(package="nda_tf")
class ClipAugment(NDATransform):
    """Random crop, horizontal flip, colour jitter and grayscale per clip.

    Per clip: a square crop of side `crop` (a fraction of the frame) at a
    uniform position, resized back to the frame size (DPC on UCF-101: a 224
    crop of a 256 frame, `crop=0.875`); a flip with probability 0.5 when
    `flip`; with probability `jitter_p`, brightness, contrast and
    saturation factors in `[1 - s, 1 + s]` and a hue shift in `[-h, h]`
    turns; grayscale with probability `gray_p`. The draws are stateless, so
    a seed gives the same clips eagerly and in `tf.data`.

    Args:
        crop: float in (0, 1], the crop's side as a fraction of the frame.
        flip: bool, random horizontal flips (off for data whose labels are
            left / right motions).
        jitter: (brightness, contrast, saturation, hue) strengths (DPC:
            0.5, 0.5, 0.5, 0.25).
        jitter_p: probability of the colour jitter.
        gray_p: probability of grayscale (DPC: 0.5).
        seed: optional int, for calls without an explicit seed.

    Call arguments:
        images: float clips `[B, T, H, W, 3]` in [-1, 1].

    Example: every frame of a clip changes alike.

    >>> augment = ClipAugment()
    >>> frame = tf.random.uniform([2, 1, 8, 8, 3], -1, 1)
    >>> clips = tf.tile(frame, [1, 3, 1, 1, 1])  # 3 equal frames per clip
    >>> out = augment.transform_with_seed(clips, seed=[0, 1])
    >>> bool(tf.reduce_all(out[:, 0] == out[:, 2])), out.shape
    (True, TensorShape([2, 3, 8, 8, 3]))

    Reference: Han, Xie, Zisserman, "Video Representation Learning by Dense
    Predictive Coding", 2019.
    """

    computes_values = True
    folds_time = False  # clips are handled here: frames share their draws

    def __init__(
        self,
        crop=0.875,
        flip=True,
        jitter=(0.5, 0.5, 0.5, 0.25),
        jitter_p=1.0,
        gray_p=0.5,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        checks.check_number("crop", crop, 0.0, 1.0, low_open=True)
        if len(jitter) != 4 or min(jitter) < 0 or jitter[3] > 0.5:
            raise ValueError(
                "jitter must be (brightness, contrast, saturation, hue) >= 0 "
                f"with hue <= 0.5; received {jitter}"
            )
        checks.check_number("jitter_p", jitter_p, 0.0, 1.0)
        checks.check_number("gray_p", gray_p, 0.0, 1.0)
        self.keep_arguments(
            crop=float(crop),
            flip=bool(flip),
            jitter=tuple(float(j) for j in jitter),
            jitter_p=float(jitter_p),
            gray_p=float(gray_p),
        )

    def sample(self, batch_size, height, width, seed):
        seeds = nda_random.split_seed(seed, 4)
        corner = nda_random.uniform([batch_size, 2], seeds[0]) * (1 - self.crop)
        b, c, s, h = self.jitter
        low = tf.constant([1 - b, 1 - c, 1 - s, -h])
        high = tf.constant([1 + b, 1 + c, 1 + s, h])
        factors = nda_random.uniform([batch_size, 4], seeds[1])
        coins = nda_random.uniform([batch_size, 3], seeds[2])
        return {
            "boxes": tf.concat([corner, corner + self.crop], 1),
            "jitter": low + factors * (high - low),
            "apply_jitter": coins[:, 0] < self.jitter_p,
            "gray": coins[:, 1] < self.gray_p,
            "flip": tf.logical_and(coins[:, 2] < 0.5, self.flip),
        }

    def apply(self, images, t):
        if images.shape.rank == 4:
            return self.apply(images[:, None], t)[:, 0]
        shape = tf.shape(images)
        batch, frames = shape[0], shape[1]
        size = [images.shape[2], images.shape[3]]
        flat = tf.reshape(images, tf.concat([[batch * frames], shape[2:]], 0))
        crops = tf.image.crop_and_resize(
            (flat + 1.0) / 2.0,
            tf.repeat(t["boxes"], frames, axis=0),
            tf.range(batch * frames),
            size,
        )
        x = tf.reshape(crops, shape)
        x = tf.clip_by_value(x, 0.0, 1.0)
        x = _where(t["apply_jitter"], _jitter(x, t["jitter"]), x)
        gray = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(x))
        x = _where(t["gray"], gray, x)
        x = _where(t["flip"], tf.reverse(x, [3]), x)
        return x * 2.0 - 1.0


def _where(condition, chosen, other):
    return tf.where(condition[:, None, None, None, None], chosen, other)


def _jitter(x, factors):
    """Brightness, contrast, saturation, hue; a clip's frames alike."""
    f = factors[:, :, None, None, None, None]
    x = tf.clip_by_value(x * f[:, 0], 0.0, 1.0)
    gray = tf.image.rgb_to_grayscale(x)
    mean = tf.reduce_mean(gray, [1, 2, 3, 4], keepdims=True)
    x = tf.clip_by_value(mean + f[:, 1] * (x - mean), 0.0, 1.0)
    gray = tf.image.rgb_to_grayscale(x)
    x = tf.clip_by_value(gray + f[:, 2] * (x - gray), 0.0, 1.0)
    hsv = tf.image.rgb_to_hsv(x)
    hue = tf.math.floormod(hsv[..., :1] + f[:, 3], 1.0)
    return tf.image.hsv_to_rgb(tf.concat([hue, hsv[..., 1:]], -1))


def augmented_clips(batches, augment, seed=0, start=0):
    """Maps `(clips, labels)` batch `i` (from `start`) to its augmented
    clips, seeded by `(seed, i)` so a resumed run sees the same ones."""
    base = tf.constant([seed, 1], tf.int64)

    def augmented(index, batch):
        clips, labels = batch
        step_seed = nda_random.fold_in(base, index + start)
        return augment.transform_with_seed(clips, step_seed), labels

    return batches.enumerate().map(
        augmented, num_parallel_calls=tf.data.AUTOTUNE
    )
