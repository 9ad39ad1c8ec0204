"""Linear evaluation of a MoCo run (the protocol of the paper's Table 6).

The run's query encoder is frozen; a linear classifier is trained on its
features of the unaugmented training split and scored on the test split.
Results go to `LOGDIR/linear_eval.json`, `LOGDIR/linear_eval.md` and
TensorBoard (`LOGDIR/eval`, scalar `linear_top1` at the run's step).
"""

import os
import time

import tensorflow as tf

from nda_tf import checks
from nda_tf.contrastive import evaluation, runs
from nda_tf.training import write_json_atomic

# Table 6, linear top-1 (%), by dataset and NDA transform ("none": MoCo-v2).
PAPER_TOP1 = {
    "cifar10": {
        "none": 91.20,
        "jigsaw": 91.66,
        "stitch": 91.59,
        "cutout": 92.26,
        "cutmix": 91.51,
        "mixup": 91.36,
    },
    "cifar100": {
        "none": 69.63,
        "jigsaw": 70.17,
        "stitch": 69.21,
        "cutout": 69.81,
        "cutmix": 69.83,
        "mixup": 69.99,
    },
}


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
        epochs, batch_size, learning_rate: the probe's SGD (paper for
            CIFAR: 100, 256, 10; momentum 0.9, cosine decay).
        num_train, num_test: use a seeded subset of that many images
            (None: every image; required for the endless dots source).
        checkpoint: "latest" or a checkpoint folder.
        seed: subset and classifier seed.
        verbose: Keras `fit` verbosity of the probe.

    Returns:
        dict of the results (also in `linear_eval.json`).
    """
    checks.check_int("epochs", epochs, 1)
    checks.check_int("batch_size", batch_size, 1)
    checks.check_number("learning_rate", learning_rate, 0.0, low_open=True)
    moco, config = runs.load_run(logdir, checkpoint)
    if config["dataset"].startswith("dots") and not (num_train and num_test):
        raise ValueError("dots is endless: give num_train and num_test")
    if config["num_classes"] < 2:
        raise ValueError(
            f"{config['dataset']!r} has no labels to classify "
            f"({config['num_classes']} class)"
        )
    started = time.monotonic()
    train_x, train_y = runs.labelled_images(config, False, num_train, seed)
    test_x, test_y = runs.labelled_images(config, True, num_test, seed)
    result = evaluation.linear_probe(
        runs.encode(moco.encoder, train_x),
        train_y,
        runs.encode(moco.encoder, test_x),
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
        "paper_top1": PAPER_TOP1.get(config["dataset"], {}).get(nda),
        "seconds": round(time.monotonic() - started, 1),
    }
    _write(logdir, summary)
    return summary


def _write(logdir, summary):
    write_json_atomic(os.path.join(logdir, "linear_eval.json"), summary)
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
