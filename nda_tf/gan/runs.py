"""GAN run configurations: defaults, validation, building, loading a run.

A run directory holds `config.json` (the resolved configuration),
`checkpoints/` (the newest checkpoints), `best/` (the best one by the
evaluation metric), TensorBoard events under `train/` and `eval/`, and sample
grids under `samples/`.

    >>> gan, config = load_run("runs/cifar10_jigsaw")    # doctest: +SKIP
    >>> images = gan.generate(16, seed=0)                # doctest: +SKIP
"""

import math
import os

import keras
import tensorflow as tf

from nda_tf import models, transforms
from nda_tf.gan.losses import LOSSES
from nda_tf.gan.nda_gan import NDAGAN
from nda_tf.training.loop import check_same_run as check_same_run_keys
from nda_tf.training.loop import read_run_config, set_precision  # noqa: F401

# The paper's CIFAR-10 unconditional jigsaw run (Appendix K, Table 2).
DEFAULTS = {
    "dataset": "cifar10",
    "split": "train",
    "data_dir": None,
    "resolution": None,
    "conditional": False,
    "arch": "biggan",
    "ch": 64,
    "z_dim": 128,
    "nda": "jigsaw",
    "pda": "none",
    "pda_probability": 0.5,
    "lam": 0.25,
    "d_steps": 4,
    "batch_size": 64,
    "epochs": 500,
    "steps": None,
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "beta_1": 0.0,
    "beta_2": 0.999,
    "epsilon": 1e-8,
    "ema_decay": 0.9999,
    "ema_start": 1000,
    "loss": "hinge",
    "seed": 0,
    "mixed_precision": False,
    "jit": False,
    "strategy": "default",
}
# Keys a resumed run must share with the run that wrote its checkpoints.
ARCHITECTURE_KEYS = (
    "dataset",
    "resolution",
    "num_classes",
    "arch",
    "ch",
    "z_dim",
    "nda",
    "lam",
    "d_steps",
    "loss",
    "mixed_precision",
)


def resolve(config, info=None, derive_steps=True):
    """Fills defaults, validates, and derives `num_classes` and `steps`.

    Args:
        config: dict of overrides of `DEFAULTS` (unknown keys are errors).
        info: the dataset's `nda_tf.data.DatasetInfo`, which fixes the
            resolution, the classes and (with `epochs`) the step count.
    """
    unknown = set(config) - set(DEFAULTS) - {"num_classes", "num_examples"}
    if unknown:
        raise ValueError(f"unknown configuration keys: {sorted(unknown)}")
    resolved = {**DEFAULTS, **config}
    _validate(resolved)
    if info is not None:
        resolved["resolution"] = info.resolution
        resolved["num_examples"] = info.num_examples
        resolved["num_classes"] = (
            info.num_classes if resolved["conditional"] else 1
        )
        if resolved["conditional"] and info.num_classes < 2:
            raise ValueError(
                f"--conditional needs labels, but {info.name!r} has "
                f"{info.num_classes} class"
            )
    if resolved["steps"] is None and derive_steps:
        examples = resolved.get("num_examples")
        if not examples:
            raise ValueError(
                f"{resolved['dataset']!r} is endless: give steps, not epochs"
            )
        per_step = resolved["d_steps"] * resolved["batch_size"]
        resolved["steps"] = math.ceil(resolved["epochs"] * examples / per_step)
    return resolved


def _validate(c):
    if not 0.0 < c["lam"] <= 1.0:
        raise ValueError(f"lam must be in (0, 1], received {c['lam']}")
    if not 0.0 <= c["pda_probability"] <= 1.0:
        raise ValueError(
            f"pda_probability must be in [0, 1], received "
            f"{c['pda_probability']}"
        )
    for key in ("d_steps", "batch_size", "ch", "z_dim"):
        if not isinstance(c[key], int) or c[key] < 1:
            raise ValueError(f"{key} must be an int >= 1, received {c[key]!r}")
    if c["steps"] is not None and (
        not isinstance(c["steps"], int) or c["steps"] < 1
    ):
        raise ValueError(f"steps must be an int >= 1, received {c['steps']!r}")
    if c["arch"] not in models.ARCHITECTURES:
        raise ValueError(
            f"unknown arch {c['arch']!r}; choose from "
            f"{', '.join(sorted(models.ARCHITECTURES))}"
        )
    if c["loss"] not in LOSSES:
        raise ValueError(
            f"unknown loss {c['loss']!r}; choose from {', '.join(LOSSES)}"
        )
    for key in ("lr_g", "lr_d"):
        if not c[key] > 0:
            raise ValueError(f"{key} must be > 0, received {c[key]!r}")
    for key in ("nda", "pda"):
        transforms.get(c[key])  # raises a ValueError naming a bad transform


def build(config, compile=True):
    """The `NDAGAN` of a resolved config, compiled with the paper's Adam.

    Call it inside the strategy's scope; set the mixed-precision policy
    before (see `set_precision`).
    """
    generator, discriminator = models.build_gan(
        config["arch"],
        config["resolution"],
        ch=config["ch"],
        num_classes=config["num_classes"],
        z_dim=config["z_dim"],
        sync_batch_norm=tf.distribute.get_strategy().num_replicas_in_sync > 1,
    )
    gan = NDAGAN(
        generator,
        discriminator,
        nda=config["nda"],
        lam=config["lam"],
        d_steps=config["d_steps"],
        z_dim=config["z_dim"],
        num_classes=config["num_classes"],
        loss=config["loss"],
        ema_decay=config["ema_decay"],
        ema_start=config["ema_start"],
        seed=config["seed"],
    )
    if not compile:
        return gan
    gan.compile(
        d_optimizer=_adam(config, config["lr_d"]),
        g_optimizer=_adam(config, config["lr_g"]),
    )
    return gan


def _adam(config, learning_rate):
    return keras.optimizers.Adam(
        learning_rate,
        beta_1=config["beta_1"],
        beta_2=config["beta_2"],
        epsilon=config["epsilon"],
    )


def read_config(logdir):
    return read_run_config(logdir, "GAN")


def check_same_run(saved, config):
    """Raises if `config` cannot resume the checkpoints of `saved`."""
    check_same_run_keys(saved, config, ARCHITECTURE_KEYS)


def load_run(logdir, checkpoint="latest"):
    """The trained `NDAGAN` of a run directory and its configuration.

    Args:
        logdir: the run directory.
        checkpoint: "latest", "best", or a checkpoint folder path
            (`.../ckpt-<step>`).

    Returns:
        `(gan, config)`: the networks, EMA generator and step counter
        restored (not the optimizers), built in the float32 policy.
    """
    from nda_tf.training import CheckpointKeeper

    config = read_config(logdir)
    keras.mixed_precision.set_global_policy("float32")
    gan = build(config, compile=False)
    state = tf.train.Checkpoint(gan=gan)
    if checkpoint in ("latest", "best"):
        folder = os.path.join(
            logdir, "checkpoints" if checkpoint == "latest" else "best"
        )
        step = CheckpointKeeper(folder, state).restore()
        if step is None:
            raise ValueError(f"no {checkpoint} checkpoint in {folder!r}")
    else:
        path = os.path.join(checkpoint, "state")
        if not tf.io.gfile.exists(path + ".index"):
            raise ValueError(f"not a checkpoint folder: {checkpoint!r}")
        state.read(path).assert_existing_objects_matched().expect_partial()
    return gan, config
