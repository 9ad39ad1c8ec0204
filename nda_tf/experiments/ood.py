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

CIFAR-10-C comes from tfds by default (`--corruptions=tfds`: the
`cifar10_corrupted` configs, about 2.5 GB). Without it (no network), pass
`--corruptions=local`: the same names then mean the 19 corruptions
computed here with CIFAR-10-C's parameters (another random stream, not
CIFAR-10-C's images; cached in --cache_dir), and the log says so. Other
built-in sets need no data (`nda:jigsaw`: the test images jigsawed):

    python -m nda_tf.experiments.ood --logdir=runs/dots --num_images=500 \
        --ood=noise:gaussian,noise:uniform,cifar10_corrupted,nda:jigsaw \
        --corruptions=local

Figure 8 (D(clean) - D(corrupt) of plain and NDA BigGAN, overlaid): score
the plain run with the three corruptions as transforms (each test image
against its CIFAR-10-C copy, paired by position; the labels are checked),
then the NDA run with `--compare` naming the plain run's output folder:

    T=cifar10_corrupted/gaussian_noise_5,cifar10_corrupted/speckle_noise_5
    T=$T,cifar10_corrupted/jpeg_compression_5
    python -m nda_tf.experiments.ood --logdir=runs/plain --transform=$T
    python -m nda_tf.experiments.ood --logdir=runs/jigsaw --transform=$T \
        --name=NDA --compare=BigGAN=runs/plain/ood/latest

writes `figure8.png` and `figure8.json` (median, mean, share > 0 per run
and corruption) beside the jigsaw run's report (with
`--corruptions=local` the panels are `corrupt:...`, computed here); every
report also has `differences.json` with these statistics and `ood.json`,
which `python -m nda_tf.experiments.gather` turns into Table 5.

Set names: see docs/anomaly_detection.md or `nda_tf.eval.ood.sets`.
"""

import os

from nda_tf import training
from nda_tf.experiments import cli
from nda_tf.studies.paper import numbers as paper
from nda_tf.training import DATA_ACCESS_OPTIONS, Option, shared

OPTIONS = (
    shared("logdir", "GAN run directory."),
    Option(
        "in",
        None,
        "In-distribution source (default: the test split of the run's "
        "dataset; required when the run trained on a folder: or npz:).",
        kind="str",
    ),
    Option("ood", paper.OOD_SETS, "Comma-separated OOD set names."),
    Option(
        "transform",
        None,
        "T for the D(x) - D(T(x)) histograms, comma-separated: NDA "
        "transforms (jigsaw, stitch, ...), cifar10_corrupted/<name>_<s> "
        "(the CIFAR-10-C copy) or corrupt:<name>_<s>.",
        kind="str",
    ),
    Option(
        "compare",
        [],
        "Figure 8: LABEL=FOLDER of other OOD outputs whose D(x) - D(T(x)) "
        "to overlay with this run's (same --transform).",
        kind="list",
    ),
    Option("name", None, "This run's label in Figure 8.", kind="str"),
    Option(
        "cache_dir",
        None,
        "Cache of corrupted sets (default: $NDA_TF_CACHE or ~/.cache/nda_tf).",
        kind="str",
    ),
    Option(
        "num_images",
        None,
        "Images per set (default: all): a seeded random subset, "
        "stratified by class where there are labels.",
        kind="int",
    ),
    Option(
        "corruptions",
        "tfds",
        "Source of every corruption set and transform: tfds (CIFAR-10-C, "
        "cifar10_corrupted) or local (computed here, CIFAR-10-C's "
        "parameters; for machines without the tfds data).",
        choices=("tfds", "local"),
    ),
    shared("checkpoint"),
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
    shared("data_dir"),
    Option("batch_size", 256, "Images per discriminator call."),
    Option("skip_missing", False, "Skip OOD datasets not prepared here."),
    shared("seed", "Seed of noise sets, corruptions and T."),
    *DATA_ACCESS_OPTIONS,
)


def main(fv):
    """Scores the run's test and OOD sets as the parsed flags `fv` say;
    prints the report."""
    from nda_tf.eval import stats
    from nda_tf.studies.ood import study as ood_study

    training.apply_data_access(cli.values(DATA_ACCESS_OPTIONS, fv))
    # The label is checked against the run before anything is scored.
    label = _label(fv.label, training.read_config(fv.logdir))
    compare = _compare(fv.compare)
    if compare and not fv.transform:
        raise ValueError("--compare overlays D(x) - D(T(x)): give --transform")
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
        label=label,
        batch_size=fv.batch_size,
        skip_missing=fv.skip_missing,
        seed=fv.seed,
        cache_dir=fv.cache_dir or str(stats.default_cache_dir()),
        corruptions=fv.corruptions,
    )
    if compare:
        label = fv.name or os.path.basename(os.path.normpath(fv.logdir))
        out_dir = os.path.dirname(paths["markdown"])
        paths.update(ood_study.overlay({label: out_dir, **compare}, out_dir))
    print(report.to_markdown())
    print(f"Written: {', '.join(sorted(paths.values()))}")


def _compare(items):
    """`["BigGAN=runs/a/ood/latest"]` -> `{"BigGAN": "runs/a/ood/latest"}`;
    every folder must hold an earlier report's differences."""
    found = {}
    for item in items:
        label, _, folder = item.partition("=")
        if not label or not folder:
            raise ValueError(f"--compare needs LABEL=FOLDER; received {item!r}")
        if not os.path.isfile(os.path.join(folder, "differences.npz")):
            raise ValueError(
                f"--compare {label}: {folder} holds no differences.npz (run "
                "this command with --transform on that run first)"
            )
        found[label] = folder
    return found


def _label(text, config):
    """'max' or the class index `text`, which must be a class of the run
    whose `config` is given (an unconditional D takes no label)."""
    if text == "max":
        return text
    try:
        label = int(text)
    except ValueError:
        raise ValueError(
            f"--label must be 'max' or a class index, received {text!r}"
        ) from None
    classes = config.get("num_classes", 1)
    if classes == 1:
        raise ValueError(
            f"--label={text}: the run's discriminator is unconditional and "
            "takes no label; leave --label at max"
        )
    if not 0 <= label < classes:
        raise ValueError(
            f"--label={text} is no class of the run (0 to {classes - 1})"
        )
    return label


def check(fv):
    """Where the report goes is checked before any scoring."""
    if fv.out is not None:
        cli.check_output_dir("out", fv.out)
    elif os.path.isdir(fv.logdir):  # else: no run there, which main says
        cli.check_output_dir("logdir", os.path.join(fv.logdir, "ood"))


if __name__ == "__main__":
    cli.run_command(
        OPTIONS,
        main,
        "nda_tf.experiments.ood",
        required=["logdir"],
        check=check,
        extras=("ood",),
    )
