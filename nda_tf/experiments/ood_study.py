"""Anomaly detection over a trained GAN run (paper Table 5, Figure 4).

`evaluate_run` restores a run's discriminator and hands it to
`nda_tf.eval.ood_run.evaluate_discriminator`; `python -m
nda_tf.experiments.ood` is the command. The study lives here, not in
`nda_tf.eval`, because it reads GAN runs: evaluation stays free of
algorithm packages.
"""

import os

from nda_tf import training
from nda_tf.eval import ood_run
from nda_tf.gan.recipe import GAN


def evaluate_run(
    logdir,
    in_name=None,
    ood_names=ood_run.PAPER_OOD_SETS,
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
