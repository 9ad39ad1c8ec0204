r"""A trained GAN's discriminator as an anomaly detector (paper Table 5).

    python -m nda_tf.experiments.ood --logdir=runs/c10 --in=cifar10 \
        --ood=svhn_cropped,dtd,places365_small,cifar100,cifar10_corrupted \
        --transform=jigsaw

scores the CIFAR-10 test split (positives) and each OOD set (negatives) with
the run's discriminator logit and writes, to `runs/c10/ood/latest/`: `ood.md`
and `ood.csv` (AUROC per set, the CIFAR-10-C mean of 19 corruptions, the
average), `roc.png`, `scores.png`, `difference.png` (D(x) - D(jigsaw(x)),
Figure 4) and TensorBoard events. Expected for the paper's BigGAN on
CIFAR-10: average AUROC 0.57 without NDA, 0.63 with jigsaw NDA; CIFAR-10-C
0.56 / 0.63. Runtime: the full sets are about 190k images; on a GPU a few
minutes, on 2 CPU cores with the paper's BigGAN D about an hour (use
--num_images=1000 for a first look).

Without the datasets (no network), built-in sets still work:

    python -m nda_tf.experiments.ood --logdir=runs/dots --num_images=500 \
        --ood=noise:gaussian,noise:uniform,corrupt

Set names: see docs/anomaly_detection.md or `nda_tf.eval.ood_sets`.
"""

import sys

from absl import app, flags

from nda_tf.eval import ood_run
from nda_tf.experiments import ood_study
from nda_tf.experiments.common import quiet_logs

F = flags.FLAGS

flags.DEFINE_string("logdir", None, "GAN run directory.", required=True)
flags.DEFINE_string(
    "in", None, "In-distribution source (default: the run's dataset)."
)
flags.DEFINE_string(
    "ood", ood_run.PAPER_OOD_SETS, "Comma-separated OOD set names."
)
flags.DEFINE_string(
    "transform",
    None,
    "T for the D(x) - D(T(x)) histogram: an NDA transform (jigsaw, "
    "stitch, ...) or corrupt:<name>_<severity>.",
)
flags.DEFINE_integer(
    "num_images", None, "Images per set (default: every test image)."
)
flags.DEFINE_string(
    "checkpoint", "latest", "latest, best or a checkpoint folder."
)
flags.DEFINE_string("out", None, "Output folder (default: LOGDIR/ood/<ckpt>).")
flags.DEFINE_string(
    "label", "max", "Conditional D: 'max' (best label) or a class index."
)
flags.DEFINE_string("split", "test", "Split of every named dataset.")
flags.DEFINE_string("data_dir", None, "tfds data directory.")
flags.DEFINE_integer("batch_size", 256, "Images per discriminator call.")
flags.DEFINE_boolean(
    "skip_missing", False, "Skip OOD datasets not prepared here."
)
flags.DEFINE_integer("seed", 0, "Seed of noise sets, corruptions and T.")


def main(argv):
    del argv
    quiet_logs()
    label = F.label if F.label == "max" else _int_label(F.label)
    try:
        report, paths = ood_study.evaluate_run(
            F.logdir,
            in_name=F["in"].value,
            ood_names=F.ood,
            checkpoint=F.checkpoint,
            out_dir=F.out,
            split=F.split,
            data_dir=F.data_dir,
            num_images=F.num_images,
            transform=F.transform,
            label=label,
            batch_size=F.batch_size,
            skip_missing=F.skip_missing,
            seed=F.seed,
        )
    except ValueError as error:
        sys.exit(f"nda_tf.experiments.ood: error: {error}")
    print(report.to_markdown())
    print(f"Written: {', '.join(sorted(paths.values()))}")


def _int_label(text):
    try:
        return int(text)
    except ValueError:
        sys.exit(
            f"nda_tf.experiments.ood: error: --label must be 'max' or a "
            f"class index, received {text!r}"
        )


if __name__ == "__main__":
    app.run(main)
