"""The NDA-GAN recipe for the run loop: settings, model, batches, monitors.

Defaults are the paper's CIFAR-10 unconditional jigsaw run (Appendix K,
Table 2): BigGAN ch=64, lam 0.25, 4 D steps of batch 64, Adam 2e-4
(0, 0.999), EMA 0.9999 from step 1000, 500 epochs.

    >>> from nda_tf.gan.recipe import GAN
    >>> GAN.resolve({"lam": 0.5})["d_steps"]
    4
"""

import dataclasses
import logging
import os

import numpy as np
import tensorflow as tf

from nda_tf import models, transforms
from nda_tf import random as nda_random
from nda_tf.gan import export as gan_export
from nda_tf.gan import monitoring
from nda_tf.gan.nda_gan import NDAGAN, check_stats_batch
from nda_tf.gan.options import EXPORT_OPTIONS, OPTIONS
from nda_tf.models.biggan import Discriminator
from nda_tf.training import Evaluator, Recipe, adam

# The options that are `NDAGAN`'s constructor arguments of the same name.
_NDAGAN_ARGUMENTS = (
    "nda", "lam", "d_steps", "z_dim", "num_classes", "loss", "ema_decay",
    "ema_start", "seed", "cr_weight", "cr_fake_weight", "diffaugment",
    "d_calls", "sample_stats_batch",
)  # fmt: skip

# The batch whose statistics G's batch norms use when the authors' BigGAN
# code samples for its FIDs (sample.py in training mode, --batch_size 64).
AUTHORS_STATS_BATCH = 64

# Appendix J: FID of N generated vs N test images, N per dataset.
FID_SAMPLES = {"celeb_a": 19_962, "stl10": 8_000}
FID_SAMPLES_DEFAULT = 10_000


def fid_num_samples(c):
    """`eval_num_samples`, or Appendix J's count for the run's dataset."""
    if c["eval_num_samples"] is not None:
        return c["eval_num_samples"]
    return FID_SAMPLES.get(c["dataset"], FID_SAMPLES_DEFAULT)


class GANRecipe(Recipe):
    """NDA-GAN (`nda_tf.gan.NDAGAN`) on the run loop."""

    name = "gan"
    options = OPTIONS
    # A longer run (steps, epochs) is the same run: the learning rates are
    # constant (the base's `resume_may_change`).
    # Runs recorded before --d_calls / --init existed took one D call per D
    # step and started with zero biases.
    legacy_defaults = {"d_calls": 1, "init": "zero_bias"}
    exports = {"discriminator": "detector_name", "generator": "generator_name"}
    export_options = EXPORT_OPTIONS

    def resolve(self, config, info=None, replicas=1):
        c = super().resolve(config, info, replicas)
        if c["d_calls"] is None:
            # The authors' step for their architecture (DESIGN.md 2): the
            # paper's BigGANs were trained with two D calls per D step.
            c["d_calls"] = 2 if c["arch"] == "biggan" else 1
        if c["sample_stats_batch"] is None:
            # The authors' evaluation for their architecture: their
            # sample.py runs G_ema in training mode at batch 64.
            c["sample_stats_batch"] = (
                AUTHORS_STATS_BATCH if c["arch"] == "biggan" else 0
            )
        check_stats_batch("sample_stats_batch", c["sample_stats_batch"])
        if c["init"] is None:
            # The authors' start for their architecture (DESIGN.md 2).
            c["init"] = "authors" if c["arch"] == "biggan" else "zero_bias"
        if c["init"] == "authors" and c["arch"] != "biggan":
            raise ValueError(
                f"--init=authors is the authors' BigGAN start; --arch="
                f"{c['arch']} takes --init=zero_bias"
            )
        if info is not None:  # once per run, when its length is known
            warn_if_ema_cannot_warm_up(c)
        return c

    def stream(self, c):
        stream = super().stream(c)
        if c["classes"]:
            keep_classes(stream, c["classes"])
        return stream

    def derive(self, c, info):
        if c["conditional"] and info.num_classes < 2:
            raise ValueError(
                f"--conditional needs labels, but {info.name!r} has "
                f"{info.num_classes} class"
            )
        c["num_classes"] = info.num_classes if c["conditional"] else 1

    def examples_per_step(self, c):
        return c["d_steps"] * c["batch_size"]

    def build(self, c, compile=True):
        generator, discriminator = models.build_gan(
            c["arch"],
            c["resolution"],
            ch=c["ch"],
            num_classes=c["num_classes"],
            z_dim=c["z_dim"],
            sync_batch_norm=(
                tf.distribute.get_strategy().num_replicas_in_sync > 1
            ),
            **({"init": c["init"]} if c["arch"] == "biggan" else {}),
        )
        arguments = {k: c[k] for k in _NDAGAN_ARGUMENTS}
        arguments["nda"] = _negatives(c)
        gan = NDAGAN(generator, discriminator, **arguments)
        if compile:
            gan.compile(
                d_optimizer=adam(c, c["lr_d"]), g_optimizer=adam(c, c["lr_g"])
            )
        return gan

    def batches(self, model, c, stream, start):
        return with_pda(stream.batches(start), c, start)

    def evaluators(self, model, c, run):
        samples = _sample_monitor(c, run)
        found = [Evaluator(samples, c["eval_every"])]
        metrics = _metrics(c)
        if metrics:
            found.append(_fid_evaluator(c, run, metrics))
        return found

    def checkpoint_items(self, model, layout):
        if layout < 2 and isinstance(model.discriminator, Discriminator):
            # Layout 2 gave the BigGAN D the authors' projection term (also
            # when unconditional) and their embedding's spectral norm: an
            # older checkpoint does not fit, and zeros would not do (a zero
            # embedding has no spectral norm).
            raise ValueError(
                f"this BigGAN run has run-directory layout {layout}, written "
                "before the BigGAN discriminator matched the authors' "
                "(projection term, embedding spectral norm); its checkpoints "
                "cannot be loaded by this nda_tf: start a new run"
            )
        return {"gan" if layout == 0 else "model": model}

    def check_export(self, config, what, options):
        if "discriminator" in what:
            gan_export.calibration_images(config, options)

    def export(self, model, config, what, out, options, metadata):
        return gan_export.export_gan(
            model, config, what, out, options, metadata
        )

    def best_metric(self, c):
        metrics = _metrics(c)
        if not metrics:
            return None
        best = "fid" if "fid" in metrics else metrics[0]
        from nda_tf.eval import pipeline

        return best, pipeline.METRICS[best]

    def default_logdir(self, c):
        return f"runs/{c['dataset']}-{c['nda']}-lam{c['lam']:g}"

    def done_message(self, summary, logdir):
        return (
            f"Done: {summary['step']} steps. Samples: {logdir}/samples, "
            f"TensorBoard: tensorboard --logdir={logdir}"
        )


GAN = GANRecipe()


def keep_classes(stream, classes):
    """Restricts a training stream to `classes` (ids of its dataset), in
    place; labels become positions in `classes`, so a conditional run has
    `len(classes)` classes."""
    from nda_tf.transforms.other_samples import select_classes

    if stream.arrays is None:
        raise ValueError(
            f"--classes needs a finite labelled dataset; {stream.info.name!r}"
            " is generated"
        )
    ids = [_class_id(c) for c in classes]
    image_array, labels = stream.arrays
    too_large = [i for i in ids if i >= stream.info.num_classes]
    if too_large:
        raise ValueError(
            f"classes {too_large} are not in {stream.info.name!r}, which "
            f"has {stream.info.num_classes} classes"
        )
    chosen = select_classes(labels, ids)
    remap = np.zeros(stream.info.num_classes, np.int32)
    remap[ids] = np.arange(len(ids))
    stream.arrays = (image_array[chosen], remap[labels[chosen]])
    stream.info = dataclasses.replace(
        stream.info, num_classes=len(ids), num_examples=int(chosen.sum())
    )


def _class_id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"classes must be integer class ids; received {value!r}"
        ) from None


def _negatives(c):
    """The NDA transform; an `other_classes` placeholder is completed from
    the run's dataset and classes (Appendix B)."""
    nda = transforms.get(c["nda"])
    if isinstance(nda, transforms.OtherClasses) and nda.dataset is None:
        if not c["classes"]:
            raise ValueError(
                "--nda=other_classes needs --classes (the classes trained "
                "on; the others become the negatives)"
            )
        nda = transforms.OtherClasses(
            c["dataset"],
            classes=[_class_id(k) for k in c["classes"]],
            split=c["split"],
            resolution=c["resolution"],
            data_dir=c["data_dir"],
            bank_size=nda.bank_size,
            bank_seed=nda.bank_seed,
        )
    return nda


def warn_if_ema_cannot_warm_up(c):
    """Logs a warning when the run is too short for its EMA generator.

    The EMA (what samples and FID use) copies G until `ema_start`, then
    keeps `ema_decay ** n` of G at `ema_start` after n more steps: with the
    paper's 1000 and 0.9999 it averages over ~10,000 steps, so a run of a
    few thousand steps shows G of step 1000, not its latest weights.
    Returns the message, or None when the EMA warms up.
    """
    steps, start, decay = c["steps"], c["ema_start"], c["ema_decay"]
    averaged = steps - start
    if averaged >= 1 / (1 - decay):
        return None
    if averaged <= 0:
        what = (
            f"never averages (ema_start={start} >= steps={steps}): samples "
            "and FID use a plain copy of G"
        )
    else:
        what = (
            f"is still {decay**averaged:.0%} G of step {start} at the end "
            f"(ema_decay={decay:g} averages over ~{1 / (1 - decay):.0f} "
            f"steps, the run only {averaged} after ema_start)"
        )
    # Averaging over the second half, the first G weighted ~5% at the end.
    half = steps - steps // 2
    suggested = max(0.0, round(1 - 3 / half, 4))
    message = (
        f"the EMA generator cannot warm up in {steps} steps: it {what}; for "
        f"a run this short use e.g. ema_start={steps // 2} and "
        f"ema_decay={suggested:g}"
    )
    logging.getLogger("nda_tf").warning(message)
    return message


def _metrics(c):
    return [m for m in c["eval_metrics"] if m.lower() != "none"]


def _sample_monitor(c, run):
    first = next(iter(run.stream.batches(start=0)))
    size = min(64, int(first[0].shape[0]))
    return monitoring.SampleMonitor(
        run.logdir,
        (first[0][:size].numpy(), first[1][:size].numpy()),
        num_samples=c["num_grid_samples"],
        seed=c["seed"],
    )


def _fid_evaluator(c, run, metrics):
    """FID/KID/IS of EMA samples against `eval_num_samples` images of the
    run's dataset (`eval_split`; the paper: the test split), whose
    statistics are computed once per backbone and cached."""
    from nda_tf.eval import EvaluationCallback, backbones, reference

    try:
        extractor = backbones.from_name(
            c["eval_backbone"],
            c["eval_weights"],
            c["eval_cache_dir"],
            # None: the process setting ($NDA_TF_NO_DOWNLOAD) decides.
            None if c["eval_download"] and not c.get("no_download") else False,
        )
    except ValueError as error:
        raise ValueError(
            f"{error}. Here: --eval_weights=PATH, network access (without "
            "--no_download), "
            "--eval_backbone=efficientnet_lite0 (offline; not comparable "
            "with published FIDs) or --eval_metrics=none"
        ) from None
    real = reference.reference_statistics(
        c["dataset"],
        extractor,
        split=c["eval_split"],
        num_images=fid_num_samples(c),
        cache_dir=c["eval_cache_dir"],
        strategy=run.strategy,
        resolution=c["resolution"],
        data_dir=c["data_dir"],
    )
    measure = EvaluationCallback(
        real,
        extractor,
        c["eval_every"],
        num_samples=fid_num_samples(c),
        metrics=metrics,
        seed=c["seed"],
        strategy=run.strategy,
        protocol_path=os.path.join(run.logdir, "eval", "protocol.json"),
    )
    return Evaluator(lambda gan, step: measure.evaluate(gan), c["eval_every"])


def with_pda(dataset, c, start):
    """Positive augmentation of real images (Table 1's PDA column).

    Each real image is replaced by its transformed version with probability
    `pda_probability`, seeded by the batch index, so resumed streams match.
    """
    layer = transforms.get(c["pda"])
    if layer is None:
        return dataset
    probability, seed = c["pda_probability"], c["seed"]

    def augment(index, batch):
        images, labels = batch
        key = tf.stack([tf.constant(seed, tf.int64), index])
        apply_seed, choose_seed = nda_random.split_seed(key, 2)
        changed = layer.transform_with_seed(images, apply_seed)
        shape = [tf.shape(images)[0], 1, 1, 1]
        chosen = nda_random.uniform(shape, choose_seed)
        return tf.where(chosen < probability, changed, images), labels

    return dataset.enumerate(start).map(augment)
