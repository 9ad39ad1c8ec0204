"""A GAN run's discriminator scored as an anomaly detector
(`evaluate_run`) and several runs' D(x) - D(T(x)) overlaid (`overlay`)."""

import json
import os

import numpy as np

from nda_tf import training
from nda_tf.eval.ood import report as ood_report
from nda_tf.eval.ood import run as ood_run
from nda_tf.gan.recipe import GAN
from nda_tf.studies.paper import numbers as paper


def evaluate_run(
    logdir,
    in_name=None,
    ood_names=paper.OOD_SETS,
    checkpoint="latest",
    out_dir=None,
    **kwargs,
):
    """`ood_run.evaluate_discriminator` on the discriminator of a GAN run.

    Args:
        logdir: a GAN run directory (`nda_tf.training.load_run`).
        in_name: in-distribution source; default: the test split of the
            run's dataset (an error for folders and npz files, which have
            no test split; see `ood_run.in_distribution`).
        checkpoint: "latest", "best" or a checkpoint folder.
        out_dir: default `LOGDIR/ood/<checkpoint>`, which TensorBoard shows
            next to the run's own logs.
        **kwargs: the other arguments of `evaluate_discriminator`.
    """
    gan, config = training.load_run(GAN, logdir, checkpoint)
    tag = os.path.basename(os.path.normpath(checkpoint))
    out_dir = out_dir or os.path.join(logdir, "ood", tag)
    kwargs.setdefault("num_classes", config["num_classes"])
    kwargs.setdefault("step", int(gan.step.numpy()))
    kwargs.setdefault(
        "title", f"Anomaly detection: {logdir} ({tag}, step {kwargs['step']})"
    )
    return ood_run.evaluate_discriminator(
        gan.discriminator,
        in_name,
        ood_names,
        out_dir,
        resolution=config["resolution"],
        training_source=config["dataset"],
        training_split=config.get("split"),
        data_dir=kwargs.pop("data_dir", None) or config.get("data_dir"),
        **kwargs,
    )


def overlay(runs, out_dir, transforms=None, name="figure8"):
    """Figure 8: D(x) - D(T(x)) of several runs overlaid, a panel per T.

    Args:
        runs: `{label: OOD output folder}` (folders that the OOD command
            wrote with `--transform`, e.g. `{"BigGAN":
            "runs/plain/ood/latest", "NDA": "runs/jigsaw/ood/latest"}`).
        out_dir: where `<name>.png` and `<name>.json` go.
        transforms: the panels (default: every T of the first run), e.g.
            the paper's three corruptions,
            `cifar10_corrupted/gaussian_noise_5`, `.../speckle_noise_5`,
            `.../jpeg_compression_5` (tfds CIFAR-10-C; `corrupt:...` when
            computed here).

    Returns:
        `{"figure": path, "statistics": path}`; the JSON holds median, mean
        and share > 0 per run and transform.
    """
    values = {
        label: ood_report.read_differences(d) for label, d in runs.items()
    }
    figure = ood_report.overlay_figure(values, transforms)
    os.makedirs(out_dir, exist_ok=True)
    paths = {
        "figure": os.path.join(out_dir, f"{name}.png"),
        "statistics": os.path.join(out_dir, f"{name}.json"),
    }
    figure.savefig(paths["figure"], dpi=100)
    shown = list(transforms or next(iter(values.values())))
    statistics = {
        label: {
            t: {
                "median": float(np.median(v[t])),
                "mean": float(np.mean(v[t])),
                "share_positive": float(np.mean(np.asarray(v[t]) > 0)),
                "count": int(np.size(v[t])),
                "folder": runs[label],
            }
            for t in shown
        }
        for label, v in values.items()
    }
    with open(paths["statistics"], "w") as file:
        json.dump(statistics, file, indent=2)
    return paths
