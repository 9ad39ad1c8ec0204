r"""Numerosity containment (paper Appendix A, Figure 6(a)) on a CPU.

Trains the same GAN twice from the same seed on images with exactly --k
dots, without and with NDA (images with --negative_counts dots), then counts
the dots of --num_samples generated images from each:

    python -m nda_tf.experiments.numerosity --k=6 --negative_counts=4,5,7 \
        --logdir=runs/numerosity_k6

The two-object variant (the analogue of the paper's CLEVR run):

    python -m nda_tf.experiments.numerosity --k=2 --negative_counts=1,3 \
        --logdir=runs/numerosity_k2

The CLEVR variant (paper Figure 6(b); WGAN-GP as the paper). tfds'
CLEVR v1.0 holds scenes of 3 to 10 objects, not the paper's two-object
renders, so its nearest analogue trains on 4 objects against 3 and 5
(`experiments/numerosity/clevr.sh`; needs `tfds build clevr`):

    python -m nda_tf.experiments.numerosity --source=clevr --k=4 \
        --negative_counts=3,5 --loss=wasserstein --logdir=runs/clevr_k4

The paper's own setting, two objects against one and three, from scenes
rendered with the official CLEVR generator into a CLEVR-layout folder
(experiments/README.md says how):

    python -m nda_tf.experiments.numerosity --source=clevr \
        --clevr_folder=DIR --k=2 --negative_counts=1,3 --loss=wasserstein \
        --logdir=runs/clevr_k2

Writes `counts.png`, `results.md` and `results.json` into --logdir (and a
TensorBoard image). Expected (paper): without NDA the counts spread around
k; with NDA they concentrate on k. Measured numbers are in
experiments/RESULTS.md. Default settings take about 25 minutes for both
runs on 2 CPU cores; --quick takes about a minute (for tests, not results).

The defaults (BigGAN-32 at ch=16, 2 D steps per G step, batch 32, the
paper's Adam(2e-4, 0, 0.999)) are those with which the plain GAN drew
clean dots in short CPU runs; an SNGAN collapsed (see
experiments/RESULTS.md). Samples come from G itself, not its EMA: over runs
this short the average of a generator that still moves fast blurs the dots
away (measured there too); --use_ema counts the EMA's.
"""

import os

from nda_tf.experiments import cli
from nda_tf.gan import options as gan
from nda_tf.training import DATA_ACCESS_OPTIONS, Option, pick, shared

# The GAN recipe's options that both runs share, with the study's defaults.
GAN_OPTIONS = pick(
    gan.OPTIONS,
    ("arch", "ch", "steps", "batch_size", "d_steps", "beta_1", "lam", "loss"),
    ch={"default": 16},
    steps={"default": 1000, "help": "G steps of each run."},
    batch_size={"default": 32, "help": "Images per D step."},
    d_steps={"default": 2},
)
OPTIONS = (
    Option("k", 6, "Dots in every training image."),
    Option(
        "negative_counts", ["4", "5", "7"], "Dot counts of NDA.", kind="list"
    ),
    Option(
        "source",
        "dots",
        "dots, or clevr: tfds CLEVR scenes with --k objects (3 to 10).",
        choices=("dots", "clevr"),
    ),
    *GAN_OPTIONS,
    *pick(
        gan.OPTIONS,
        ("resolution", "data_dir"),
        resolution={"help": "Image size (dots 32, clevr 64)."},
        data_dir={"help": "tfds data directory (clevr)."},
    ),
    Option(
        "clevr_folder",
        None,
        "CLEVR folder (images/<split>/, scenes/CLEVR_<split>_scenes.json) "
        "read instead of tfds by --source=clevr; any counts.",
        kind="str",
    ),
    Option("radius", 3, "Dot radius in pixels (32x32 images)."),
    Option("use_ema", False, "Count the EMA generator's samples (else G's)."),
    Option("lr", 2e-4, "Learning rate of both networks."),
    Option("num_samples", 1000, "Generated images counted per run."),
    shared("seed", "Seed shared by both runs."),
    shared("logdir", "Output folder (default runs/num_k<k>)."),
    Option("quick", False, "A tiny, fast configuration (tests)."),
    *DATA_ACCESS_OPTIONS,
)


def base_config(fv):
    """The settings both runs share, from the parsed flags `fv`."""
    config = cli.values(GAN_OPTIONS, fv)
    config.update(
        lr_g=fv.lr,
        lr_d=fv.lr,
        resolution=fv.resolution,
        seed=fv.seed,
        eval_every=500,
        eval_metrics=["none"],
        # Short runs: average the generator over their second half.
        ema_start=fv.steps // 2,
        ema_decay=0.999,
    )
    if fv.quick:
        config.update(ch=4, z_dim=8, steps=3, batch_size=8, ema_start=1)
    return config


def negative_counts(fv):
    """The NDA dot counts of the parsed flags `fv`: integers, at least one,
    none equal to `--k`; else a ValueError naming the flag."""
    try:
        negatives = [int(c) for c in fv.negative_counts]
    except ValueError:
        raise ValueError(
            f"--negative_counts must be integers, received {fv.negative_counts}"
        ) from None
    if not negatives or fv.k in negatives:
        raise ValueError(
            f"--negative_counts must be non-empty and exclude --k={fv.k}; "
            f"received {fv.negative_counts}"
        )
    return negatives


def _logdir(fv):
    return fv.logdir or os.path.join("runs", f"num_k{fv.k}")


def check(fv):
    """The checks of several flags and of the output folder, run before
    TensorFlow starts (so that their one-line answers come at once)."""
    negative_counts(fv)
    cli.check_output_dir("logdir", _logdir(fv))


def main(fv):
    """Runs the study as the parsed flags `fv` say; prints its table."""
    from nda_tf import training
    from nda_tf.studies.numerosity import study

    training.apply_data_access(cli.values(DATA_ACCESS_OPTIONS, fv))
    negatives = negative_counts(fv)
    logdir = _logdir(fv)
    cli.check_output_dir("logdir", logdir)
    summaries = study.run_study(
        fv.k,
        negatives,
        base_config(fv),
        logdir,
        64 if fv.quick else fv.num_samples,
        training.RunOptions(save_every=500, log_every=50),
        radius=fv.radius,
        use_ema=fv.use_ema,
        source=fv.source,
        data_dir=fv.data_dir,
        clevr_folder=fv.clevr_folder,
    )
    if summaries is None:
        print("Stopped by a signal; run the same command to resume.")
        return
    print(study.markdown(summaries, fv.k), end="")
    print(f"Plot: {os.path.join(os.path.abspath(logdir), 'counts.png')}")


if __name__ == "__main__":
    cli.run_command(
        OPTIONS,
        main,
        "nda_tf.experiments.numerosity",
        check=check,
        extras=("studies",),
    )
