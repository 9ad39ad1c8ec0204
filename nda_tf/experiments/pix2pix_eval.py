r"""Scores trained Pix2Pix runs and draws the Figure 7 grid.

    python -m nda_tf.experiments.pix2pix_eval \
        --logdir=runs/p2p_cityscapes_cgan \
        --compare=runs/p2p_cityscapes_cgan_jigsaw --grid=figure7.png

prints per-pixel accuracy, per-class accuracy and mIoU of each run's label
maps on `--split` (photos -> labels; generated colours mapped to the nearest
palette colour, the ignore label left out) and writes the grid condition |
first run | second run | ground truth for the same inputs as `--grid`
(PNG) and as a TensorBoard image in the grid's folder. Runtime: seconds for
shapes, a few minutes for the 500 Cityscapes val pairs on a CPU.
"""

import os

import numpy as np

from nda_tf.experiments import cli
from nda_tf.training import Option, shared

OPTIONS = (
    shared("logdir", "The (plain) Pix2Pix run."),
    Option("compare", None, "A second run (NDA) for the grid.", kind="str"),
    shared("checkpoint", default="best"),
    Option("split", "val", "Split of the run's dataset to score."),
    Option("images", 500, "Pairs scored."),
    Option(
        "dropout",
        None,
        "Dropout when translating (default: the run's setting).",
        kind="bool",
    ),
    Option("grid", None, "PNG of the Figure 7 grid.", kind="str"),
    Option("grid_images", 8, "Rows of the grid."),
    shared("data_dir"),
)


def score_run(logdir, split="val", images=500, checkpoint="best", **kwargs):
    """`(scores, generated, pairs, count)` of a run's generator on `split`.

    `scores` is a dict of pixel_accuracy, class_accuracy, miou (empty when
    the target's classes are unknown); `generated` the [-1, 1] outputs.
    """
    from nda_tf import training
    from nda_tf.data import paired
    from nda_tf.eval import segmentation
    from nda_tf.models import pix2pix
    from nda_tf.translation.recipe import PIX2PIX

    if checkpoint == "best" and not os.path.isdir(os.path.join(logdir, "best")):
        checkpoint = "latest"
    model, config = training.load_run(PIX2PIX, logdir, checkpoint)
    dropout = kwargs.get("dropout")
    if dropout is not None:
        pix2pix.set_inference_dropout(model.generator, dropout)
    pairs = paired.read_pairs(
        config["dataset"],
        split,
        config["resolution"],
        config["direction"],
        kwargs.get("data_dir") or config["data_dir"],
        config["seed"],
    )
    count = min(images, len(pairs.condition))
    conditions = pairs.condition[:count].astype(np.float32) / 127.5 - 1
    generated = segmentation.translate(model.generator, conditions)
    truth = pairs.ids
    if truth is None and pairs.palette is not None:
        truth = paired.palette_ids(
            pairs.target[:count], pairs.palette, paired.MATCH_DISTANCE
        ).numpy()
    scores = {}
    if truth is not None:
        scores = segmentation.label_scores(
            generated, truth[:count], pairs.palette
        )
    return scores, generated, pairs, count


def figure7(path, pairs, generated, rows):
    """Writes condition | each run's outputs | ground truth as a PNG at
    `path` and as a TensorBoard image in its folder."""
    import tensorflow as tf

    from nda_tf.translation.recipe import sample_grid

    grid = sample_grid([pairs.condition, *generated, pairs.target], rows)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tf.io.write_file(path, tf.io.encode_png(grid))
    with tf.summary.create_file_writer(folder).as_default():
        tf.summary.image("figure7", grid[None], step=0)
    return grid


def main(fv):
    """Scores the runs and draws the grid as the parsed flags say."""
    logdirs = [fv.logdir] + ([fv.compare] if fv.compare else [])
    outputs, pairs = [], None
    for logdir in logdirs:
        scores, generated, pairs, _ = score_run(
            logdir,
            fv.split,
            fv.images,
            fv.checkpoint,
            dropout=fv.dropout,
            data_dir=fv.data_dir,
        )
        outputs.append(generated)
        text = ", ".join(f"{k} {v:.4f}" for k, v in scores.items())
        print(f"{logdir}: {text or 'no class ids to score against'}")
    if fv.grid:
        figure7(fv.grid, pairs, outputs, fv.grid_images)
        print(f"Figure 7 grid: {os.path.abspath(fv.grid)}")


if __name__ == "__main__":
    cli.run_command(
        OPTIONS, main, "nda_tf.experiments.pix2pix_eval", required=["logdir"]
    )
