"""The NDA-Pix2Pix recipe for the run loop: settings, model, pairs, scores.

Defaults are the paper's Cityscapes photos -> labels run (Table 4, cGAN
row; Isola et al.'s settings): U-Net 256 (8 levels) and 70x70 PatchGAN,
batch 1, Adam 2e-4 (0.5, 0.999), 200 epochs with a linear decay to 0 over
the last 100, jitter 286 -> 256 and mirror, jigsaw NDA with lam 0.25.

    >>> from nda_tf.translation.recipe import PIX2PIX
    >>> PIX2PIX.resolve({"loss": "l1_cgan"})["l1_weight"]
    100.0
"""

import math
import os

import keras
import numpy as np
import tensorflow as tf

from nda_tf import export
from nda_tf.data import paired
from nda_tf.models import pix2pix as nets
from nda_tf.training import Evaluator, Recipe, adam
from nda_tf.translation.options import EXPORT_OPTIONS, OPTIONS
from nda_tf.translation.pix2pix import NDAPix2Pix


class Pix2PixRecipe(Recipe):
    """NDA-Pix2Pix (`nda_tf.translation.NDAPix2Pix`) on the run loop."""

    name = "pix2pix"
    options = OPTIONS
    # inference_dropout acts only when the generator is used, not trained;
    # steps and epochs are compared: the learning rate decays linearly
    # over the last decay_epochs of epochs, so they change every step's.
    resume_may_change = ("data_dir", "jit", "strategy", "inference_dropout")
    exports = {"translator": "translator_name"}
    export_options = EXPORT_OPTIONS

    def validate(self, c, replicas):
        if c["decay_epochs"] > c["epochs"]:
            raise ValueError(
                f"decay_epochs {c['decay_epochs']} exceeds epochs {c['epochs']}"
            )

    def stream(self, c):
        pairs = paired.read_pairs(
            c["dataset"],
            c["split"],
            c["resolution"],
            c["direction"],
            c["data_dir"],
            c["seed"],
        )
        size = pairs.info.resolution
        load = c["load_size"] or round(size * 286 / 256)
        return paired.PairedStream(
            pairs, c["batch_size"], load, c["mirror"], c["seed"]
        )

    def derive(self, c, info):
        size = c["resolution"]
        if c["depth"] is None:
            c["depth"] = _deepest(size)
        nets.check_size(size, c["depth"])
        if c["load_size"] is None:
            c["load_size"] = round(size * 286 / 256)

    def build(self, c, compile=True):
        generator = nets.unet_generator(
            c["depth"],
            c["filters"],
            norm=c["norm"],
            dropout=c["dropout"],
            inference_dropout=c["inference_dropout"],
            seed=c["seed"],
        )
        discriminator = nets.patch_discriminator(
            c["d_layers"], c["d_filters"], norm=c["norm"]
        )
        model = NDAPix2Pix(
            generator,
            discriminator,
            nda=c["nda"],
            lam=c["lam"],
            loss=c["loss"],
            l1_weight=c["l1_weight"],
            joint_nda=c["joint_nda"],
            seed=c["seed"],
        )
        if compile:
            model.compile(d_optimizer=_adam(c, "d"), g_optimizer=_adam(c, "g"))
        return model

    def batches(self, model, c, stream, start):
        return stream.batches(start)

    def evaluators(self, model, c, run):
        monitor = LabelMapMonitor(c, run.logdir)
        return [Evaluator(monitor, c["eval_every"])]

    def checkpoint_items(self, model, layout):
        return {"model": model}

    def best_metric(self, c):
        return "miou", "max"

    def export(self, model, config, what, out, options, metadata):
        path = export.export_translator(
            model.generator,
            out,
            options["translator_name"],
            options["version"],
            dropout=config["inference_dropout"],
            resolution=config["resolution"],
            metadata=metadata,
            overwrite=options["overwrite"],
        )
        return {"translator": path}

    def default_logdir(self, c):
        return f"runs/pix2pix-{c['dataset']}-{c['loss']}-{c['nda']}"


PIX2PIX = Pix2PixRecipe()


def _deepest(size):
    depth = 0
    while depth < 8 and size % 2 ** (depth + 1) == 0:
        depth += 1
    if depth < 2:
        raise ValueError(
            f"image size {size} is not divisible by 4: no U-Net fits it"
        )
    return depth


class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """`rate` until step `start`, then linearly down to 0 at `end`."""

    def __init__(self, rate, start, end):
        self.rate, self.start, self.end = float(rate), int(start), int(end)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        span = max(self.end - self.start, 1)
        left = (self.end - tf.maximum(step, self.start)) / span
        return self.rate * tf.clip_by_value(left, 0.0, 1.0)

    def get_config(self):
        return {"rate": self.rate, "start": self.start, "end": self.end}


def _adam(c, net):
    steps = c["steps"] or 1
    decay = c["decay_epochs"] / c["epochs"] if c["epochs"] else 0.0
    start = steps - math.ceil(steps * decay)
    return adam(c, LinearDecay(c["lr"], start, steps), name=f"adam_{net}")


class LabelMapMonitor:
    """Scores the generator's label maps on held-out pairs (per-pixel
    accuracy, per-class accuracy, mIoU) and writes a sample grid
    (condition | generated | target rows) as PNG and to TensorBoard."""

    def __init__(self, c, logdir):
        self.config, self.logdir = c, logdir
        self.pairs = None

    def _load(self):
        c = self.config
        pairs = paired.read_pairs(
            c["dataset"],
            c["eval_split"],
            c["resolution"],
            c["direction"],
            c["data_dir"],
            c["seed"],
        )
        count = min(c["eval_images"], len(pairs.condition))
        truth = pairs.ids
        if truth is None and pairs.palette is not None:
            truth = paired.palette_ids(
                pairs.target[:count], pairs.palette, paired.MATCH_DISTANCE
            ).numpy()
        self.pairs = (
            pairs,
            count,
            truth[:count] if truth is not None else None,
        )

    def __call__(self, model, step):
        from nda_tf.eval import segmentation

        if self.pairs is None:
            self._load()
        pairs, count, truth = self.pairs
        conditions = pairs.condition[:count].astype(np.float32) / 127.5 - 1
        generated = segmentation.translate(model.generator, conditions)
        grid = sample_grid(
            [pairs.condition, generated, pairs.target],
            self.config["num_grid_images"],
        )
        write_grid(grid, os.path.join(self.logdir, "samples"), step)
        if truth is None:
            return {}
        return segmentation.label_scores(generated, truth, pairs.palette)


def _uint8(images):
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    return np.round((np.clip(images, -1, 1) + 1) * 127.5).astype(np.uint8)


def sample_grid(columns, rows):
    """A uint8 image: one row per pair, one column per image set (each
    `[N, H, W, 3]`, uint8 or [-1, 1] floats); the first `rows` pairs."""
    rows = min(rows, *(len(c) for c in columns))
    return np.concatenate(
        [np.concatenate(list(_uint8(c[:rows])), 0) for c in columns], 1
    )


def write_grid(grid, folder, step):
    """`folder/step_<step>.png` and a TensorBoard image (default writer)."""
    os.makedirs(folder, exist_ok=True)
    encoded = tf.io.encode_png(grid)
    tf.io.write_file(os.path.join(folder, f"step_{step:07d}.png"), encoded)
    tf.summary.image("samples", grid[None], step=step)
