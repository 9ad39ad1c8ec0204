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

from nda_tf.eval import ood_run
from nda_tf.experiments import cli
from nda_tf.training import Option

OPTIONS = (
    Option("logdir", None, "GAN run directory.", kind="str"),
    Option(
        "in",
        None,
        "In-distribution source (default: the test split of the run's "
        "dataset; required when the run trained on a folder: or npz:).",
        kind="str",
    ),
    Option("ood", ood_run.PAPER_OOD_SETS, "Comma-separated OOD set names."),
    Option(
        "transform",
        None,
        "T for the D(x) - D(T(x)) histogram: an NDA transform (jigsaw, "
        "stitch, ...) or corrupt:<name>_<severity>.",
        kind="str",
    ),
    Option(
        "num_images",
        None,
        "Images per set (default: all): a seeded random subset, "
        "stratified by class where there are labels.",
        kind="int",
    ),
    Option("checkpoint", "latest", "latest, best or a checkpoint folder."),
    Option(
        "out", None, "Output folder (default: LOGDIR/ood/<ckpt>).", kind="str"
    ),
    Option(
        "label", "max", "Conditional D: 'max' (best label) or a class index."
    ),
    Option(
        "split",
        None,
        "tfds split of the named datasets (default: test); folder: and "
        "npz: sources have none.",
        kind="str",
    ),
    Option("data_dir", None, "tfds data directory.", kind="str"),
    Option("batch_size", 256, "Images per discriminator call."),
    Option("skip_missing", False, "Skip OOD datasets not prepared here."),
    Option("seed", 0, "Seed of noise sets, corruptions and T."),
)


def main(fv):
    """Scores the run's test and OOD sets as the parsed flags `fv` say;
    prints the report."""
    from nda_tf.experiments import ood_study

    report, paths = ood_study.evaluate_run(
        fv.logdir,
        in_name=fv["in"].value,
        ood_names=fv.ood,
        checkpoint=fv.checkpoint,
        out_dir=fv.out,
        split=fv.split,
        data_dir=fv.data_dir,
        num_images=fv.num_images,
        transform=fv.transform,
        label=_label(fv.label),
        batch_size=fv.batch_size,
        skip_missing=fv.skip_missing,
        seed=fv.seed,
    )
    print(report.to_markdown())
    print(f"Written: {', '.join(sorted(paths.values()))}")


def _label(text):
    if text == "max":
        return text
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"--label must be 'max' or a class index, received {text!r}"
        ) from None


if __name__ == "__main__":
    cli.run_command(
        OPTIONS, main, "nda_tf.experiments.ood", required=["logdir"]
    )
