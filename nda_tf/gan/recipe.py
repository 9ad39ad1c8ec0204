"""The NDA-GAN recipe for the run loop: settings, model, batches, monitors.

Defaults are the paper's CIFAR-10 unconditional jigsaw run (Appendix K,
Table 2): BigGAN ch=64, lam 0.25, 4 D steps of batch 64, Adam 2e-4
(0, 0.999), EMA 0.9999 from step 1000, 500 epochs.

    >>> from nda_tf.gan.recipe import GAN
    >>> GAN.resolve({"lam": 0.5})["d_steps"]
    4
"""

import keras
import tensorflow as tf

from nda_tf import models, transforms
from nda_tf import random as nda_random
from nda_tf.gan import losses, monitoring
from nda_tf.gan.nda_gan import NDAGAN
from nda_tf.models.biggan import Discriminator
from nda_tf.training import Evaluator, Option, Recipe, learning_rate
from nda_tf.training.recipe import data_options, watch_option


def _metric_names():
    from nda_tf.eval import pipeline

    return (*pipeline.METRICS, "none")


def _backbone_names():
    from nda_tf.eval import backbones

    return tuple(backbones.BACKBONES)


_OPTIONS = (
    *data_options(
        "cifar10",
        "tfds name (cifar10, cifar100, celeb_a, stl10, svhn_cropped), "
        "folder:PATH, npz:PATH, dots or dots(counts=(6,), radius=3).",
    ),
    Option("conditional", False, "Class-conditional GAN."),
    Option("arch", "biggan", "Architecture.", choices=models.ARCHITECTURES),
    Option("ch", 64, "Channel multiplier (64: the paper's nets)."),
    Option("z_dim", 128, "Latent size."),
    Option(
        "nda",
        "jigsaw",
        "NDA transform (e.g. jigsaw, 'jigsaw|stitch') or none.",
        kind="transform",
    ),
    Option(
        "pda",
        "none",
        "Transform applied to real images as augmentation.",
        kind="transform",
    ),
    Option(
        "pda_probability",
        0.5,
        "Chance that --pda changes a real image.",
        low=0.0,
        high=1.0,
    ),  # fmt: skip
    Option(
        "lam",
        0.25,
        "Weight of G in the fake mixture, (0, 1].",
        low=0.0,
        high=1.0,
        low_open=True,
    ),  # fmt: skip
    Option("d_steps", 4, "D steps per G step."),
    Option("batch_size", 64, "Images per D step (global)."),
    Option("epochs", 500, "Training length when --steps is unset."),
    Option("steps", None, "G steps (default: from --epochs).", kind="int"),
    Option("lr_g", 2e-4, "Generator learning rate.", low=0.0, low_open=True),
    Option(
        "lr_d", 2e-4, "Discriminator learning rate.", low=0.0, low_open=True
    ),
    Option("beta_1", 0.0, "Adam beta_1 of both nets.", low=0.0, high=1.0),
    Option("beta_2", 0.999, "Adam beta_2 of both nets.", low=0.0, high=1.0),
    Option("epsilon", 1e-8, "Adam epsilon.", low=0.0, low_open=True),
    Option(
        "ema_decay",
        0.9999,
        "EMA decay of the generator.",
        low=0.0,
        high=1.0,
        high_open=True,
    ),  # fmt: skip
    Option("ema_start", 1000, "G steps before EMA averaging.", low=0),
    Option("loss", "hinge", "GAN loss.", choices=losses.LOSSES),
    # How the run is watched, not what it learns: not in config.json.
    watch_option("eval_every", 5000, "Steps between evaluations."),
    watch_option("num_grid_samples", 64, "Images in each sample grid."),
    watch_option(
        "eval_metrics",
        ["fid", "kid"],
        "Any of fid, kid, is, or none; the first (fid if given) picks best/.",
        kind="list",
        choices=_metric_names,
    ),
    watch_option(
        "eval_backbone",
        "inception",
        "inception (the TF graph; the only one comparable with published "
        "FIDs), inception_v3_keras or efficientnet_lite0 (works offline).",
        choices=_backbone_names,
    ),
    watch_option(
        "eval_weights", None, "Backbone weights file.", kind="str"
    ),  # fmt: skip
    watch_option(
        "eval_download", False, "Download missing backbone weights once."
    ),  # fmt: skip
    watch_option(
        "eval_cache_dir", None, "Cache of weights and stats.", kind="str"
    ),  # fmt: skip
    watch_option("eval_split", "test", "Split of the reference images."),
    watch_option(
        "eval_num_samples", 10000, "Generated images per FID/KID evaluation."
    ),  # fmt: skip
)


# The options that are `NDAGAN`'s constructor arguments of the same name.
_NDAGAN_ARGUMENTS = (
    "nda", "lam", "d_steps", "z_dim", "num_classes", "loss", "ema_decay",
    "ema_start", "seed",
)  # fmt: skip


class GANRecipe(Recipe):
    """NDA-GAN (`nda_tf.gan.NDAGAN`) on the run loop."""

    name = "gan"
    options = _OPTIONS
    resume_keys = (
        "dataset", "resolution", "num_classes", "arch", "ch", "z_dim", "nda",
        "lam", "d_steps", "loss", "mixed_precision",
    )  # fmt: skip
    exports = ("discriminator", "generator")

    def validate(self, c, replicas):
        if c["batch_size"] % replicas:
            raise ValueError(
                f"batch_size {c['batch_size']} is not divisible by the "
                f"{replicas} replicas"
            )

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
        )
        arguments = {k: c[k] for k in _NDAGAN_ARGUMENTS}
        gan = NDAGAN(generator, discriminator, **arguments)
        if compile:
            gan.compile(
                d_optimizer=_adam(c, c["lr_d"]), g_optimizer=_adam(c, c["lr_g"])
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

    def scalars(self, gan):
        return {
            "lr_g": learning_rate(gan.g_optimizer),
            "lr_d": learning_rate(gan.d_optimizer),
        }

    def best_metric(self, c):
        metrics = _metrics(c)
        if not metrics:
            return None
        best = "fid" if "fid" in metrics else metrics[0]
        return best, "max" if best == "is" else "min"

    def default_logdir(self, c):
        return f"runs/{c['dataset']}-{c['nda']}-lam{c['lam']:g}"

    def done_message(self, summary, logdir):
        return (
            f"Done: {summary['step']} steps. Samples: {logdir}/samples, "
            f"TensorBoard: tensorboard --logdir={logdir}"
        )


GAN = GANRecipe()


def _adam(c, learning_rate):
    return keras.optimizers.Adam(
        learning_rate,
        beta_1=c["beta_1"],
        beta_2=c["beta_2"],
        epsilon=c["epsilon"],
    )


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
            c["eval_download"],
        )
    except ValueError as error:
        raise ValueError(
            f"{error}. Here: --eval_weights=PATH, --eval_download, "
            "--eval_backbone=efficientnet_lite0 (offline; not comparable "
            "with published FIDs) or --eval_metrics=none"
        ) from None
    real = reference.reference_statistics(
        c["dataset"],
        extractor,
        split=c["eval_split"],
        num_images=c["eval_num_samples"],
        cache_dir=c["eval_cache_dir"],
        strategy=run.strategy,
        resolution=c["resolution"],
        data_dir=c["data_dir"],
    )
    measure = EvaluationCallback(
        real,
        extractor,
        c["eval_every"],
        num_samples=c["eval_num_samples"],
        metrics=metrics,
        seed=c["seed"],
        strategy=run.strategy,
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
