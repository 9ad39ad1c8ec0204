r"""Numerosity containment (paper Appendix A, Figure 6(a)) on a CPU.

Trains the same GAN twice from the same seed on images with exactly --k
dots, without and with NDA (images with --negative_counts dots), then counts
the dots of --num_samples generated images from each:

    python -m nda_tf.experiments.numerosity --k=6 --negative_counts=4,5,7 \
        --logdir=runs/numerosity_k6

The two-object variant (the analogue of the paper's CLEVR run):

    python -m nda_tf.experiments.numerosity --k=2 --negative_counts=1,3 \
        --logdir=runs/numerosity_k2

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
import sys

from absl import app, flags

from nda_tf.experiments import common

flags.DEFINE_integer("k", 6, "Dots in every training image.")
flags.DEFINE_list("negative_counts", ["4", "5", "7"], "Dot counts of NDA.")
flags.DEFINE_integer("radius", 3, "Dot radius in pixels (32x32 images).")
flags.DEFINE_enum("arch", "biggan", ["biggan", "sngan"], "Architecture.")
flags.DEFINE_integer("ch", 16, "Channel multiplier.")
flags.DEFINE_integer("steps", 1000, "G steps of each run.")
flags.DEFINE_integer("batch_size", 32, "Images per D step.")
flags.DEFINE_integer("d_steps", 2, "D steps per G step.")
flags.DEFINE_float("beta_1", 0.0, "Adam beta_1 of both networks.")
flags.DEFINE_boolean(
    "use_ema", False, "Count the EMA generator's samples (else G's)."
)
flags.DEFINE_float("lam", 0.25, "Weight of G in the fake mixture.")
flags.DEFINE_float("lr", 2e-4, "Learning rate of both networks.")
flags.DEFINE_integer("num_samples", 1000, "Generated images counted per run.")
flags.DEFINE_integer("seed", 0, "Seed shared by both runs.")
flags.DEFINE_string("logdir", None, "Output folder (default runs/num_k<k>).")
flags.DEFINE_boolean("quick", False, "A tiny, fast configuration (tests).")
F = flags.FLAGS


def base_config():
    """The settings both runs share, from the flags."""
    config = {
        "arch": F.arch,
        "ch": F.ch,
        "steps": F.steps,
        "batch_size": F.batch_size,
        "d_steps": F.d_steps,
        "lam": F.lam,
        "lr_g": F.lr,
        "lr_d": F.lr,
        "beta_1": F.beta_1,
        "seed": F.seed,
        "eval_every": 500,
        "eval_metrics": ["none"],
        # Short runs: average the generator over their second half.
        "ema_start": F.steps // 2,
        "ema_decay": 0.999,
    }
    if F.quick:
        config.update(ch=4, z_dim=8, steps=3, batch_size=8, ema_start=1)
    return config


def main(argv):
    del argv
    from nda_tf import training
    from nda_tf.experiments import numerosity_study

    common.quiet_logs()
    try:
        negatives = [int(c) for c in F.negative_counts]
    except ValueError:
        sys.exit(
            "nda_tf.experiments.numerosity: error: --negative_counts must "
            f"be integers, received {F.negative_counts}"
        )
    logdir = F.logdir or os.path.join("runs", f"num_k{F.k}")
    options = training.RunOptions(save_every=500, log_every=50)
    num_samples = 64 if F.quick else F.num_samples
    try:
        summaries = numerosity_study.run_study(
            F.k,
            negatives,
            base_config(),
            logdir,
            num_samples,
            options,
            radius=F.radius,
            use_ema=F.use_ema,
        )
    except ValueError as error:
        sys.exit(f"nda_tf.experiments.numerosity: error: {error}")
    print(numerosity_study.markdown(summaries, F.k), end="")
    print(f"Plot: {os.path.join(os.path.abspath(logdir), 'counts.png')}")


if __name__ == "__main__":
    app.run(main)
