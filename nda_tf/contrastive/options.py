"""MoCo's settings (`nda_tf.contrastive.recipe.MOCO`), without TensorFlow.

The command line is generated from `OPTIONS` (`nda_tf.experiments.moco`),
and `--help` reads it without loading TensorFlow (the encoders' names come
from `nda_tf.models.names`).
"""

from nda_tf.models import names
from nda_tf.training.options import Option, shared
from nda_tf.training.recipe import data_options, length_options, watch_option

_POSITIVE = {"low": 0.0, "low_open": True}
OPTIONS = (
    *data_options(
        "cifar10",
        "tfds name (cifar10, cifar100, stl10, ...), folder:PATH, npz:PATH "
        "or dots(counts=(2,4,6)).",
    ),
    Option(
        "test_dataset",
        None,
        "kNN / linear-eval test set (default: --dataset).",
        kind="str",
    ),  # fmt: skip
    Option("test_split", "test", "Split of the test set."),
    Option("arch", "resnet18", "Encoder.", choices=names.RESNETS),
    Option(
        "width", None, "First-stage channels (default: arch's).", kind="int"
    ),
    Option(
        "stem",
        None,
        "Encoder stem (default: cifar below 64 pixels, else imagenet).",
        kind="str",
        choices=("cifar", "imagenet"),
    ),  # fmt: skip
    shared("nda", "NDA transform (jigsaw, stitch, cutout, ...) or none."),
    Option("queue_size", 65536, "Queued negative keys."),
    Option("temperature", 0.07, "Softmax temperature.", **_POSITIVE),
    Option("momentum", 0.999, "Key-network momentum.", low=0.0, high=1.0),
    Option("projection_dim", 128, "Embedding size of the head."),
    Option("hidden_dim", 2048, "Hidden width of the MLP head."),
    Option(
        "bn_splits",
        None,
        "Batch-norm groups per replica (default: 8 in all).",
        kind="int",
    ),  # fmt: skip
    Option("batch_size", 256, "Images per step (global)."),
    *length_options(1000),
    Option("lr", 0.3, "SGD learning rate (cosine decay to 0).", **_POSITIVE),
    Option("sgd_momentum", 0.9, "SGD momentum.", low=0.0, high=1.0),
    Option("weight_decay", 5e-4, "Decoupled weight decay.", low=0.0),
    Option(
        "blur",
        None,
        "Gaussian blur in the views (default: from 64 "
        "pixels on, MoCo-v2's ImageNet recipe).",
        kind="bool",
    ),  # fmt: skip
    # How the run is watched: not in config.json.
    watch_option("eval_every", 5000, "Steps between kNN evaluations."),
    watch_option("knn_k", 200, "Neighbours of the kNN monitor."),
    watch_option("knn_examples", 10000, "kNN monitor's bank and test images."),
)
