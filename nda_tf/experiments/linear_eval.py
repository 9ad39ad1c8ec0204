r"""Linear evaluation of a MoCo run: `python -m nda_tf.experiments.linear_eval`.

    python -m nda_tf.experiments.linear_eval --logdir=runs/moco_c10_cutout

trains a linear classifier on the run's frozen encoder features of the
training split (paper protocol for CIFAR: 100 epochs, batch 256, SGD lr 10,
momentum 0.9, cosine decay) and reports top-1 on the test split. It writes
`linear_eval.json` and `linear_eval.md` into the logdir and the scalar
`linear_top1` to its TensorBoard `eval/` events. Expected for the paper's
CIFAR-10 runs: 91.20 (MoCo-v2), 92.26 (cutout NDA). Runtime: one
ResNet-18 forward pass over the 60k CIFAR images plus 100 epochs of a
linear layer (not timed at that size here).

Dots runs need a number of images (the source is endless):

    python -m nda_tf.experiments.linear_eval --logdir=runs/moco_dots \
        --num_train=2000 --num_test=1000 --epochs=30 --lr=1

(13 s on 2 CPU cores; 97.9% top-1 for the 200-step dots run of
`nda_tf.experiments.moco`'s docstring.)
"""

import os
import time

from nda_tf.experiments import cli
from nda_tf.studies.paper import numbers
from nda_tf.training import DATA_ACCESS_OPTIONS, Option, shared

OPTIONS = (
    shared("logdir", "MoCo run directory."),
    Option("epochs", 100, "Epochs of the linear classifier."),
    Option("batch_size", 256, "Batch of the linear classifier."),
    Option(
        "lr", 10.0, "SGD learning rate (cosine decay).", low=0, low_open=True
    ),
    Option("num_train", None, "Training images (default: all).", kind="int"),
    Option("num_test", None, "Test images (default: all).", kind="int"),
    shared("checkpoint"),
    shared("seed", "Subset and classifier seed."),
    *DATA_ACCESS_OPTIONS,
)


def evaluate_run(
    logdir,
    epochs=100,
    batch_size=256,
    learning_rate=10.0,
    num_train=None,
    num_test=None,
    checkpoint="latest",
    seed=0,
    verbose=0,
):
    """Linear top-1 of a run's frozen encoder; writes the results files.

    Args:
        logdir: the MoCo run directory.
        epochs: the probe's SGD epochs (paper for CIFAR: 100; SGD with
            momentum 0.9 and cosine decay).
        batch_size: its batch size (paper: 256).
        learning_rate: its learning rate (paper: 10).
        num_train: use a seeded subset of that many training images
            (None: every image; required for the endless dots source).
        num_test: the same for the test images.
        checkpoint: "latest", a step or a checkpoint folder.
        seed: subset and classifier seed.
        verbose: Keras `fit` verbosity of the probe.

    Returns:
        dict of the results (also in `linear_eval.json`).
    """
    from nda_tf import checks, training
    from nda_tf.contrastive import evaluation
    from nda_tf.contrastive.recipe import MOCO

    checks.check_int("epochs", epochs, 1)
    checks.check_int("batch_size", batch_size, 1)
    checks.check_number("learning_rate", learning_rate, 0.0, low_open=True)
    moco, config = training.load_run(MOCO, logdir, checkpoint)
    if config["dataset"].startswith("dots") and not (num_train and num_test):
        raise ValueError("dots is endless: give num_train and num_test")
    if config["num_classes"] < 2:
        raise ValueError(
            f"{config['dataset']!r} has no labels to classify "
            f"({config['num_classes']} class)"
        )
    started = time.monotonic()
    train_x, train_y = evaluation.labelled_images(
        config, False, num_train, seed
    )
    test_x, test_y = evaluation.labelled_images(config, True, num_test, seed)
    result = evaluation.linear_probe(
        evaluation.encode(moco.encoder, train_x),
        train_y,
        evaluation.encode(moco.encoder, test_x),
        test_y,
        config["num_classes"],
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        verbose=verbose,
    )
    nda = config["nda"] or "none"
    summary = {
        "logdir": os.path.abspath(logdir),
        "step": config["step"],
        "dataset": config["dataset"],
        "nda": nda,
        "arch": config["arch"],
        "train_images": len(train_x),
        "test_images": len(test_x),
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "train_top1": 100 * result["train_accuracy"],
        "test_top1": 100 * result["test_accuracy"],
        "paper_top1": numbers.paper_linear_top1(config["dataset"], nda),
        "seconds": round(time.monotonic() - started, 1),
    }
    _write(logdir, summary)
    return summary


def _write(logdir, summary):
    import tensorflow as tf

    from nda_tf import training

    path = os.path.join(logdir, "linear_eval.json")
    training.write_json_atomic(path, summary)
    paper = summary["paper_top1"]
    rows = [
        "| run | step | dataset | NDA | train top-1 | test top-1 | paper |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| {os.path.basename(summary['logdir'])} | {summary['step']} "
        f"| {summary['dataset']} | {summary['nda']} "
        f"| {summary['train_top1']:.2f} | {summary['test_top1']:.2f} "
        f"| {'-' if paper is None else f'{paper:.2f}'} |",
    ]
    text = (
        "# Linear evaluation\n\n"
        f"Linear classifier on frozen features: {summary['epochs']} epochs, "
        f"batch {summary['batch_size']}, lr {summary['learning_rate']:g}; "
        f"{summary['train_images']} training and {summary['test_images']} "
        "test images.\n\n" + "\n".join(rows) + "\n"
    )
    with open(os.path.join(logdir, "linear_eval.md"), "w") as file:
        file.write(text)
    writer = tf.summary.create_file_writer(os.path.join(logdir, "eval"))
    with writer.as_default(step=summary["step"]):
        tf.summary.scalar("linear_top1", summary["test_top1"])
    writer.flush()


def main(fv):
    """Probes the run as the parsed flags `fv` say; prints its top-1."""
    from nda_tf import training

    training.apply_data_access(cli.values(DATA_ACCESS_OPTIONS, fv))
    cli.check_output_dir("logdir", fv.logdir)
    summary = evaluate_run(
        fv.logdir,
        epochs=fv.epochs,
        batch_size=fv.batch_size,
        learning_rate=fv.lr,
        num_train=fv.num_train,
        num_test=fv.num_test,
        checkpoint=fv.checkpoint,
        seed=fv.seed,
        verbose=2,
    )
    paper = summary["paper_top1"]
    print(
        f"Linear top-1 {summary['test_top1']:.2f}% at step {summary['step']}"
        + ("" if paper is None else f" (paper: {paper:.2f}%)")
        + f"; written to {fv.logdir}/linear_eval.md"
    )


if __name__ == "__main__":
    cli.run_command(
        OPTIONS, main, "nda_tf.experiments.linear_eval", required=["logdir"]
    )
