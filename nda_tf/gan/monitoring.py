"""What a GAN run shows its user: sample grids and score histograms."""

import os

import numpy as np
import tensorflow as tf

from nda_tf import transforms
from nda_tf.data import images as image_utils


def image_grid(images, columns=8):
    """Float images in [-1, 1] `[N, H, W, C]` -> one uint8 grid image.

    Rows are filled left to right; a missing last-row cell stays black; one
    pixel of black separates the cells.
    """
    images = np.asarray(image_utils.to_uint8(images))
    count, height, width, channels = images.shape
    rows = -(-count // columns)
    grid = np.zeros(
        [rows * (height + 1) + 1, columns * (width + 1) + 1, channels],
        np.uint8,
    )
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = 1 + row * (height + 1), 1 + column * (width + 1)
        grid[top : top + height, left : left + width] = image
    return grid


def save_png(path, image):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tf.io.write_file(path, tf.io.encode_png(image))


class SampleMonitor:
    """EMA samples of fixed noise and D histograms: an evaluator of the run
    loop (`nda_tf.training.Evaluator`), called as `monitor(gan, step)`.

    Writes a PNG grid to `logdir/samples/step_<step>.png` and, to the
    default TensorBoard writer (the loop's `eval/`), the grid plus
    histograms of D(x), D(T(x)) and D(x) - D(T(x)) on a fixed real batch
    (the paper's Figure 4), where T is the run's NDA transform (jigsaw when
    the run has none). Returns the mean gap as `eval_d_gap`.

    Args:
        logdir: the run directory.
        real_batch: `(images, labels)` NumPy arrays of real images in [-1, 1].
        num_samples: images in the grid.
        seed: the fixed sampling seed.
    """

    def __init__(self, logdir, real_batch, num_samples=64, seed=0):
        self.logdir = logdir
        self.real_images, self.real_labels = real_batch
        self.num_samples = num_samples
        self.seed = seed
        self.probe = None

    def __call__(self, gan, step):
        grid = image_grid(gan.generate(self.num_samples, seed=self.seed))
        save_png(
            os.path.join(self.logdir, "samples", f"step_{step:07d}.png"), grid
        )
        real, negative = self.scores(gan)
        tf.summary.image("ema_samples", grid[None], step=step)
        tf.summary.histogram("d_real", real, step=step)
        tf.summary.histogram("d_nda", negative, step=step)
        tf.summary.histogram("d_real_minus_d_nda", real - negative, step=step)
        return {"eval_d_gap": float(np.mean(real - negative))}

    def scores(self, gan):
        """D(x) and D(T(x)) on the fixed real batch, as NumPy vectors."""
        if self.probe is None:
            # A fresh layer, so probing never advances the run's own RNGs.
            config = gan.nda.get_config() if gan.nda is not None else None
            self.probe = (
                type(gan.nda).from_config(config)
                if config is not None
                else transforms.Jigsaw()
            )
        images = tf.convert_to_tensor(self.real_images)
        negatives = self.probe.transform_with_seed(images, [self.seed, 1])
        return self._score(gan, images), self._score(gan, negatives)

    def _score(self, gan, images):
        inputs = images
        if gan.num_classes > 1:
            inputs = [images, tf.constant(self.real_labels, tf.int32)]
        logits = gan.discriminator(inputs, training=False)
        return tf.reshape(tf.cast(logits, tf.float32), [-1]).numpy()
