"""The MoCo-v2 (with NDA negatives) recipe for the run loop.

Defaults are the paper's CIFAR-10 settings (Appendix K), NDA off:
ResNet-18, batch 256, SGD lr 0.3 with cosine decay, temperature 0.07,
queue 65,536, 1000 epochs.

    >>> from nda_tf.contrastive.recipe import MOCO
    >>> MOCO.resolve({"nda": "cutout"})["queue_size"]
    65536
"""

import keras

from nda_tf.contrastive import evaluation
from nda_tf.contrastive.augment import MoCoV2Augment, two_views
from nda_tf.contrastive.moco import MoCo, check_group_size
from nda_tf.contrastive.options import OPTIONS
from nda_tf.export.encoder import export_encoder
from nda_tf.models import resnet
from nda_tf.training import Evaluator, Recipe

# The options that are `MoCo`'s constructor arguments of the same name.
_MOCO_ARGUMENTS = (
    "nda", "queue_size", "temperature", "momentum", "projection_dim",
    "hidden_dim", "bn_splits", "seed",
)  # fmt: skip


class MoCoRecipe(Recipe):
    """MoCo-v2 with NDA negatives (`nda_tf.contrastive.MoCo`) on the loop."""

    name = "moco"
    exports = {"encoder": None}
    options = OPTIONS
    # `steps` is compared: the cosine learning-rate schedule runs over
    # them. The test set only watches.
    resume_may_change = (
        "epochs", "data_dir", "jit", "strategy", "test_dataset", "test_split",
    )  # fmt: skip

    def validate(self, c, replicas):
        if c["bn_splits"] is None:
            c["bn_splits"] = max(1, 8 // replicas)
        per_replica = c["batch_size"] // replicas
        if per_replica % c["bn_splits"]:
            raise ValueError(
                f"batch_size {c['batch_size']} must split evenly over the "
                f"{replicas} replicas and bn_splits={c['bn_splits']} groups"
            )
        what = f"batch_size {c['batch_size']} on {replicas} replica(s)"
        check_group_size(per_replica, c["bn_splits"], what, "batch_size")
        if c["queue_size"] < c["batch_size"]:
            raise ValueError(
                f"queue_size {c['queue_size']} must hold a batch of "
                f"{c['batch_size']} keys"
            )

    def derive(self, c, info):
        if c["stem"] is None:
            c["stem"] = "cifar" if c["resolution"] < 64 else "imagenet"

    def build(self, c, compile=True):
        kwargs = {"stem": c["stem"]}
        if c["width"] is not None:
            kwargs["width"] = c["width"]
        size = c["resolution"]
        encoder = resnet.build_backbone(
            c["arch"], input_shape=(size, size, 3), **kwargs
        )
        moco = MoCo(encoder, **{k: c[k] for k in _MOCO_ARGUMENTS})
        if compile:
            moco.compile(optimizer=_optimizer(c))
        return moco

    def batches(self, model, c, stream, start):
        augment = MoCoV2Augment(c["resolution"], blur=c["blur"])
        return two_views(stream.batches(start), augment, c["seed"], start)

    def evaluators(self, model, c, run):
        if c["num_classes"] < 2:
            return []  # unlabelled data: nothing to classify
        _check_test_set(c)
        monitor = evaluation.KNNMonitor(
            lambda: _knn_sets(c, run.stream), c["num_classes"], c["knn_k"]
        )
        return [Evaluator(monitor, c["eval_every"])]

    def export(self, model, config, what, out, options, metadata):
        path = export_encoder(
            model.encoder,
            out,
            config["resolution"],
            options["version"],
            metadata=metadata,
            overwrite=options["overwrite"],
        )
        return {"encoder": path}

    def default_logdir(self, c):
        return f"runs/moco-{c['dataset']}-{c['nda']}"

    def done_message(self, summary, logdir):
        message = super().done_message(summary, logdir)
        if "knn_accuracy" in summary["logs"]:
            message += f". kNN accuracy {summary['logs']['knn_accuracy']:.4f}"
        return message


MOCO = MoCoRecipe()


def _optimizer(c):
    # MoCo's CIFAR recipe: SGD, momentum 0.9, cosine decay to 0. Keras'
    # weight decay is decoupled (w -= lr * wd * w), not an L2 gradient.
    schedule = keras.optimizers.schedules.CosineDecay(c["lr"], c["steps"])
    return keras.optimizers.SGD(
        schedule,
        momentum=c["sgd_momentum"],
        weight_decay=c["weight_decay"] or None,
    )


def _check_test_set(c):
    """Opens the kNN test set now, so that one that is missing fails
    before the first step rather than at the first evaluation."""
    from nda_tf import data

    name = c["test_dataset"] or c["dataset"]
    if name.startswith("dots"):
        return
    try:
        data.load(name, c["test_split"], c["resolution"], c["data_dir"])
    except ValueError as error:
        flag = "--test_dataset" if c["test_dataset"] else "--dataset"
        raise ValueError(
            f"the kNN test set ({flag}={name}, --test_split="
            f"{c['test_split']}) cannot be read: {error}"
        ) from None


def _knn_sets(c, stream):
    """The memory bank (unaugmented training images) and the test set."""
    count, seed = c["knn_examples"], c["seed"]
    if stream.arrays is not None:
        bank = evaluation.subset(*stream.arrays, count, seed)
    else:
        bank = evaluation.labelled_images(c, False, count, seed)
    return bank, evaluation.labelled_images(c, True, count, seed)
