"""MoCo run configurations: defaults, validation, building, loading a run.

A run directory holds `config.json` (the resolved configuration),
`checkpoints/` (the newest checkpoints), TensorBoard events under `train/`
and `eval/`, and, after `python -m nda_tf.experiments.linear_eval`,
`linear_eval.json` and `linear_eval.md`.

    >>> moco, config = load_run("runs/c10-cutout")  # doctest: +SKIP
    >>> features = moco.encoder(images)             # doctest: +SKIP
"""

import math
import numbers

import keras
import numpy as np
import tensorflow as tf

from nda_tf import data, transforms
from nda_tf.contrastive import evaluation
from nda_tf.contrastive.moco import MoCo
from nda_tf.data import images as image_ops
from nda_tf.data import sources, streams
from nda_tf.models import resnet
from nda_tf.training import CheckpointKeeper, read_run_config

# The paper's CIFAR-10 MoCo-v2 settings (Appendix K), NDA off.
DEFAULTS = {
    "dataset": "cifar10",
    "split": "train",
    "test_dataset": None,  # None: `dataset`, split `test_split`
    "test_split": "test",
    "data_dir": None,
    "resolution": None,
    "arch": "resnet18",
    "width": None,  # None: the backbone's own (64; 16 for "small")
    "stem": None,  # None: "cifar" below 64 pixels, else "imagenet"
    "nda": "none",
    "queue_size": 65536,
    "temperature": 0.07,
    "momentum": 0.999,
    "projection_dim": 128,
    "hidden_dim": 2048,
    "bn_splits": None,  # None: 8 groups over all replicas together
    "batch_size": 256,
    "epochs": 1000,
    "steps": None,
    "lr": 0.3,
    "sgd_momentum": 0.9,
    "weight_decay": 5e-4,
    "blur": None,  # None: from 64 pixels on (MoCo-v2's ImageNet recipe)
    "seed": 0,
    "mixed_precision": False,
    "jit": False,
    "strategy": "default",
}
# Keys a resumed run must share with the run that wrote its checkpoints.
ARCHITECTURE_KEYS = (
    "dataset",
    "split",
    "resolution",
    "arch",
    "width",
    "stem",
    "nda",
    "queue_size",
    "projection_dim",
    "hidden_dim",
    "batch_size",
    "seed",
    "mixed_precision",
)
_POSITIVE_INTS = ("queue_size", "projection_dim", "hidden_dim", "batch_size")


def resolve(config, info=None, replicas=1, derive_steps=True):
    """Fills defaults, validates, and derives `resolution`, `num_classes`,
    `num_examples`, `bn_splits` and `steps`.

    Args:
        config: dict of overrides of `DEFAULTS` (unknown keys are errors).
        info: the training source's `nda_tf.data.DatasetInfo`.
        replicas: replicas of the strategy (sets the default `bn_splits`).
    """
    derived = {"num_classes", "num_examples"}
    unknown = set(config) - set(DEFAULTS) - derived
    if unknown:
        raise ValueError(f"unknown configuration keys: {sorted(unknown)}")
    c = {**DEFAULTS, **config}
    _validate(c)
    if c["bn_splits"] is None:
        c["bn_splits"] = max(1, 8 // replicas)
    per_replica = c["batch_size"] // replicas
    if c["batch_size"] % replicas or per_replica % c["bn_splits"]:
        raise ValueError(
            f"batch_size {c['batch_size']} must split evenly over the "
            f"{replicas} replicas and bn_splits={c['bn_splits']} groups"
        )
    if c["queue_size"] < c["batch_size"]:
        raise ValueError(
            f"queue_size {c['queue_size']} must hold a batch of "
            f"{c['batch_size']} keys"
        )
    if info is not None:
        c["resolution"] = info.resolution
        c["num_examples"] = info.num_examples
        c["num_classes"] = info.num_classes
    if c["stem"] is None and c["resolution"] is not None:
        c["stem"] = "cifar" if c["resolution"] < 64 else "imagenet"
    if c["steps"] is None and derive_steps:
        if not c.get("num_examples"):
            raise ValueError(
                f"{c['dataset']!r} is endless: give steps, not epochs"
            )
        c["steps"] = math.ceil(
            c["epochs"] * c["num_examples"] / c["batch_size"]
        )
    return c


def _validate(c):
    for key in _POSITIVE_INTS + ("epochs",):
        _check_int(key, c[key])
    for key in ("steps", "width", "bn_splits"):
        if c[key] is not None:
            _check_int(key, c[key])
    for key in ("temperature", "lr"):
        if not _number(c[key]) or not c[key] > 0:
            raise ValueError(f"{key} must be > 0, received {c[key]!r}")
    for key in ("momentum", "sgd_momentum"):
        if not _number(c[key]) or not 0 <= c[key] <= 1:
            raise ValueError(f"{key} must be in [0, 1], received {c[key]!r}")
    if not _number(c["weight_decay"]) or c["weight_decay"] < 0:
        raise ValueError(
            f"weight_decay must be >= 0, received {c['weight_decay']!r}"
        )
    if c["arch"] not in resnet.BACKBONES:
        raise ValueError(
            f"unknown arch {c['arch']!r}; choose from "
            f"{', '.join(resnet.BACKBONES)}"
        )
    if c["stem"] not in (None, "cifar", "imagenet"):
        raise ValueError(
            f"stem must be 'cifar' or 'imagenet', received {c['stem']!r}"
        )
    if c["blur"] not in (None, True, False):
        raise ValueError(f"blur must be None or a bool, received {c['blur']!r}")
    transforms.get(c["nda"])  # raises a ValueError naming a bad transform


def build(config, compile=True):
    """The `MoCo` of a resolved config, compiled with SGD and cosine decay.

    Call it inside the strategy's scope, after `set_precision`.
    """
    kwargs = {} if config["width"] is None else {"width": config["width"]}
    if config["stem"] is not None:
        kwargs["stem"] = config["stem"]
    resolution = config["resolution"]
    encoder = resnet.build_backbone(
        config["arch"], input_shape=(resolution, resolution, 3), **kwargs
    )
    moco = MoCo(
        encoder,
        nda=config["nda"],
        queue_size=config["queue_size"],
        temperature=config["temperature"],
        momentum=config["momentum"],
        projection_dim=config["projection_dim"],
        hidden_dim=config["hidden_dim"],
        bn_splits=config["bn_splits"],
        seed=config["seed"],
    )
    if compile:
        moco.compile(optimizer=_optimizer(config))
    return moco


def _optimizer(config):
    # MoCo's CIFAR recipe: SGD, momentum 0.9, cosine decay to 0. Keras'
    # weight decay is decoupled (w -= lr * wd * w), not an L2 gradient.
    schedule = keras.optimizers.schedules.CosineDecay(
        config["lr"], config["steps"]
    )
    optimizer = keras.optimizers.SGD(
        schedule,
        momentum=config["sgd_momentum"],
        weight_decay=config["weight_decay"] or None,
    )
    return optimizer


def read_config(logdir):
    return read_run_config(logdir, "MoCo")


def load_run(logdir, checkpoint="latest"):
    """The trained `MoCo` of a run directory and its configuration.

    Args:
        logdir: the run directory.
        checkpoint: "latest" or a checkpoint folder (`.../ckpt-<step>`).

    Returns:
        `(moco, config)`, the networks and queue restored (not the
        optimizer), built in the float32 policy; `config["step"]` is the
        restored step.
    """
    config = read_config(logdir)
    keras.mixed_precision.set_global_policy("float32")
    moco = build(config, compile=False)
    state = tf.train.Checkpoint(model=moco)
    if checkpoint == "latest":
        folder = f"{logdir}/checkpoints"
        step = CheckpointKeeper(folder, state).restore()
        if step is None:
            raise ValueError(f"no checkpoint in {folder!r}")
    else:
        path = f"{checkpoint}/state"
        if not tf.io.gfile.exists(path + ".index"):
            raise ValueError(f"not a checkpoint folder: {checkpoint!r}")
        state.read(path).assert_existing_objects_matched().expect_partial()
        step = int(checkpoint.rstrip("/").rsplit("-", 1)[-1])
    return moco, {**config, "step": step}


def labelled_images(config, test=False, count=None, seed=0):
    """Unaugmented uint8 images `[N, H, W, 3]` and int32 labels of a run.

    The training split (`test=False`) or the test set (`test_dataset`,
    else the run's dataset at `test_split`). Dots are endless: `count`
    images are drawn with a seed of their own. Otherwise `count` (None:
    all) images are a seeded random subset.
    """
    name = config["dataset"]
    split = config["split"]
    if test:
        name = config["test_dataset"] or name
        split = config["test_split"]
    if name.startswith("dots"):
        if count is None:
            raise ValueError("dots is endless: give a count of images")
        options = sources.dots_options(name, config["resolution"])
        stream = streams.dots_batches(options, count, seed + (7 if test else 3))
        floats, labels = next(iter(stream))
        return image_ops.to_uint8(floats).numpy(), labels.numpy()
    pixels, labels, _ = data.read_arrays(
        name, split, config["resolution"], config["data_dir"]
    )
    return subset(pixels, labels, count, seed)


def subset(pixels, labels, count, seed=0):
    """`count` seeded random rows of both arrays (all when None)."""
    if count is None or count >= len(pixels):
        return pixels, labels
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(pixels), count, replace=False))
    return pixels[rows], labels[rows]


def encode(encoder, pixels, batch_size=256):
    """Frozen features of uint8 images, scaled as in training."""
    batches = tf.data.Dataset.from_tensor_slices(pixels).batch(batch_size)
    return evaluation.extract_features(encoder, batches.map(image_ops.to_float))


def _number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_int(key, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{key} must be an int >= 1, received {value!r}")
