r"""Trains an NDA-GAN: `python -m nda_tf.experiments.gan`.

Paper run (CIFAR-10, unconditional BigGAN, jigsaw NDA, lam 0.25, 4 D steps,
batch 64, 500 epochs = 97,657 G steps; paper FID 12.61 vs 18.64 without
NDA; about 2 days on one V100-class GPU, far too long for a CPU):

    python -m nda_tf.experiments.gan --dataset=cifar10 --logdir=runs/c10 \
        --eval_download

(FID and KID of 10k EMA samples against the 10k test images with the TF
Inception graph, every 5000 steps; the best checkpoint by FID is kept in
`best/`. `--eval_download` fetches the graph once; offline, give it with
`--eval_weights=PATH`.)

Small run on built-in data, any machine (about 70 s on 2 CPU cores):

    python -m nda_tf.experiments.gan --dataset=dots --arch=sngan --ch=32 \
        --steps=200 --batch_size=32 --eval_every=100 --eval_metrics=none \
        --logdir=runs/dots

It writes `runs/dots/samples/step_*.png` (EMA samples of fixed noise),
TensorBoard logs (`tensorboard --logdir=runs/dots`), `config.json` and
checkpoints; running the same command again resumes where it stopped.
Ctrl-C or SIGTERM saves a checkpoint and stops.
"""

import os
import re
import signal
import sys

from absl import app, flags

from nda_tf.experiments import common
from nda_tf.training import STRATEGIES

F = flags.FLAGS

flags.DEFINE_string(
    "dataset",
    "cifar10",
    "tfds name (cifar10, cifar100, celeb_a, stl10, svhn_cropped), "
    "folder:PATH, npz:PATH, dots or dots(counts=(6,), radius=3).",
)
flags.DEFINE_string("split", "train", "tfds split to train on.")
flags.DEFINE_string("data_dir", None, "tfds data directory.")
flags.DEFINE_integer("resolution", None, "Image size (default: dataset's).")
flags.DEFINE_boolean("conditional", False, "Class-conditional GAN.")
flags.DEFINE_enum("arch", "biggan", ["biggan", "sngan"], "Architecture.")
flags.DEFINE_integer("ch", 64, "Channel multiplier (64: the paper's nets).")
flags.DEFINE_integer("z_dim", 128, "Latent size.")
flags.DEFINE_string(
    "nda", "jigsaw", "NDA transform (e.g. jigsaw, 'jigsaw|stitch') or none."
)
flags.DEFINE_string(
    "pda", "none", "Transform applied to real images as augmentation."
)
flags.DEFINE_float(
    "pda_probability", 0.5, "Chance that --pda changes a real image."
)
flags.DEFINE_float("lam", 0.25, "Weight of G in the fake mixture, (0, 1].")
flags.DEFINE_integer("d_steps", 4, "D steps per G step.")
flags.DEFINE_integer("batch_size", 64, "Images per D step (global).")
flags.DEFINE_integer("epochs", 500, "Training length when --steps is unset.")
flags.DEFINE_integer("steps", None, "G steps (default: from --epochs).")
flags.DEFINE_float("lr_g", 2e-4, "Generator learning rate.")
flags.DEFINE_float("lr_d", 2e-4, "Discriminator learning rate.")
flags.DEFINE_float("ema_decay", 0.9999, "EMA decay of the generator.")
flags.DEFINE_integer("ema_start", 1000, "G steps before EMA averaging.")
flags.DEFINE_enum(
    "loss", "hinge", ["hinge", "non_saturating", "wasserstein"], "GAN loss."
)
flags.DEFINE_integer("seed", 0, "Seed of data order, noise and negatives.")
flags.DEFINE_string("logdir", None, "Run directory (default: runs/<name>).")
flags.DEFINE_enum("strategy", "default", list(STRATEGIES), "tf.distribute.")
flags.DEFINE_string("tpu", None, "TPU name or address for --strategy=tpu.")
flags.DEFINE_boolean(
    "mixed_precision", False, "float16 compute (bfloat16 on TPU)."
)
flags.DEFINE_boolean("jit", False, "Compile the train step with XLA.")
flags.DEFINE_boolean(
    "deterministic", False, "Deterministic TF ops (bitwise reproducible)."
)
flags.DEFINE_integer("eval_every", 5000, "Steps between evaluations.")
flags.DEFINE_list(
    "eval_metrics",
    ["fid", "kid"],
    "Any of fid, kid, is, or none; the first (fid if given) picks best/.",
)
flags.DEFINE_string(
    "eval_backbone",
    "inception",
    "inception (the TF graph; the only one comparable with published "
    "FIDs), inception_v3_keras or efficientnet_lite0 (works offline).",
)
flags.DEFINE_string("eval_weights", None, "Backbone weights file.")
flags.DEFINE_boolean(
    "eval_download", False, "Download missing backbone weights once."
)
flags.DEFINE_string("eval_cache_dir", None, "Cache of weights and stats.")
flags.DEFINE_string("eval_split", "test", "Split of the reference images.")
flags.DEFINE_integer(
    "eval_num_samples", 10000, "Generated images per FID/KID evaluation."
)
flags.DEFINE_integer("save_every", 5000, "Steps between checkpoints.")
flags.DEFINE_integer("keep", 3, "Newest checkpoints kept.")
flags.DEFINE_integer("log_every", 100, "Steps between TensorBoard scalars.")
flags.DEFINE_string(
    "export_dir", None, "Export the EMA generator and D here at the end."
)

CONFIG_FLAGS = (
    "dataset", "split", "data_dir", "resolution", "conditional", "arch",
    "ch", "z_dim", "nda", "pda", "pda_probability", "lam", "d_steps",
    "batch_size", "epochs", "steps", "lr_g", "lr_d", "ema_decay",
    "ema_start", "loss", "seed", "mixed_precision", "jit", "strategy",
)  # fmt: skip


def default_logdir(config):
    name = f"{config['dataset']}-{config['nda']}-lam{config['lam']:g}"
    return os.path.join("runs", re.sub(r"[^A-Za-z0-9_.=-]+", "_", name))


def best_metric(metrics):
    if not metrics:
        return None
    return "fid" if "fid" in metrics else metrics[0]


def evaluation(metrics, logdir):
    """The FID/KID/IS callback factory of the flags (None: no metrics)."""
    if not metrics:
        return None

    def make(config, strategy):
        from nda_tf.eval import callback

        try:
            return [_callback(callback, config, strategy)]
        except ValueError as error:
            raise ValueError(
                f"{error}. Here: --eval_weights=PATH, --eval_download, "
                "--eval_backbone=efficientnet_lite0 (offline; not comparable "
                "with published FIDs) or --eval_metrics=none"
            ) from None

    def _callback(callback, config, strategy):
        return callback.for_gan_run(
            config,
            logdir,
            metrics,
            F.eval_backbone,
            F.eval_every,
            num_samples=F.eval_num_samples,
            weights=F.eval_weights,
            cache_dir=F.eval_cache_dir,
            download=F.eval_download,
            reference_split=F.eval_split,
            strategy=strategy,
        )

    return make


def main(argv):
    del argv
    from nda_tf.gan import trainer
    from nda_tf.training import make_strategy

    common.quiet_logs()

    config = {name: F[name].value for name in CONFIG_FLAGS}
    logdir = F.logdir or default_logdir(config)
    if F.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    try:
        metrics = [m for m in F.eval_metrics if m.lower() != "none"]
        best = best_metric(metrics)
        options = trainer.RunOptions(
            save_every=F.save_every,
            keep=F.keep,
            eval_every=F.eval_every,
            log_every=F.log_every,
            best_metric=best,
            best_mode="max" if best == "is" else "min",
        )
        strategy = make_strategy(F.strategy, tpu=F.tpu)
        gan, summary = trainer.train(
            config,
            logdir,
            options,
            strategy=strategy,
            make_callbacks=evaluation(metrics, logdir),
        )
    except ValueError as error:
        sys.exit(f"nda_tf.experiments.gan: error: {error}")
    where = os.path.abspath(logdir)
    if summary["interrupted"]:
        print(
            f"Stopped by {summary['interrupted']} at step {summary['step']}; "
            f"checkpoint saved in {where}. Run the same command to resume."
        )
        if summary["interrupted"] == "SIGINT":
            sys.exit(128 + signal.SIGINT)
        return
    print(
        f"Done: {summary['step']} steps. Samples: {where}/samples, "
        f"TensorBoard: tensorboard --logdir={where}"
    )
    if F.export_dir:
        export(logdir, summary["step"])


def export(logdir, step):
    """Exports the best (else the newest) checkpoint, as version `step`."""
    from nda_tf.experiments import export as export_command

    has_best = os.path.isdir(os.path.join(logdir, "best"))
    paths = export_command.export_run(
        logdir,
        F.export_dir,
        ["discriminator", "generator"],
        checkpoint="best" if has_best else "latest",
        version=step,
        overwrite=True,
    )
    for what, path in paths.items():
        print(f"Exported the {what} to {path}")


if __name__ == "__main__":
    app.run(main)
