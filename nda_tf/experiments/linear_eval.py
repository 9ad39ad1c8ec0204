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

import sys

from absl import app, flags

from nda_tf.experiments.common import quiet_logs

F = flags.FLAGS

flags.DEFINE_string("logdir", None, "MoCo run directory.", required=True)
flags.DEFINE_integer("epochs", 100, "Epochs of the linear classifier.")
flags.DEFINE_integer("batch_size", 256, "Batch of the linear classifier.")
flags.DEFINE_float("lr", 10.0, "SGD learning rate (cosine decay).")
flags.DEFINE_integer("num_train", None, "Training images (default: all).")
flags.DEFINE_integer("num_test", None, "Test images (default: all).")
flags.DEFINE_string("checkpoint", "latest", "latest or a checkpoint folder.")
flags.DEFINE_integer("seed", 0, "Subset and classifier seed.")


def main(argv):
    del argv
    from nda_tf.contrastive import linear_eval

    quiet_logs()
    try:
        summary = linear_eval.evaluate_run(
            F.logdir,
            epochs=F.epochs,
            batch_size=F.batch_size,
            learning_rate=F.lr,
            num_train=F.num_train,
            num_test=F.num_test,
            checkpoint=F.checkpoint,
            seed=F.seed,
            verbose=2,
        )
    except ValueError as error:
        sys.exit(f"nda_tf.experiments.linear_eval: error: {error}")
    paper = summary["paper_top1"]
    print(
        f"Linear top-1 {summary['test_top1']:.2f}% at step {summary['step']}"
        + ("" if paper is None else f" (paper: {paper:.2f}%)")
        + f"; written to {F.logdir}/linear_eval.md"
    )


if __name__ == "__main__":
    app.run(main)
