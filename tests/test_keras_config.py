"""Configs from kept constructor arguments (`nda_tf.keras_config`).

The mixin's own rules on a small layer, then the configs of the project's
classes that use it, written out as the hand-written `get_config` methods
it replaced returned them: the same keys and values, in the same order but
for OtherSamples and OtherDots, whose base keeps `bank_size` before the
subclass adds its own keys.
"""

import keras
import numpy as np
import pytest

import nda_tf.transforms as T
from nda_tf.contrastive.augment import MoCoV2Augment
from nda_tf.contrastive.moco import MoCo
from nda_tf.gan.nda_gan import NDAGAN
from nda_tf.keras_config import KeepArguments
from nda_tf.models.spectral_norm import SNDense
from tests.contrastive import tiny as tiny_moco
from tests.gan import tiny as tiny_gan

BASE = ["name", "trainable", "dtype"]
FLOAT32 = {
    "module": "keras",
    "class_name": "DTypePolicy",
    "config": {"name": "float32"},
    "registered_name": None,
}


@keras.saving.register_keras_serializable(package="tests")
class Scaled(KeepArguments, keras.layers.Layer):
    """A layer that keeps a number, an optional Keras object and a loss."""

    argument_attributes = {"loss": "loss_name"}

    def __init__(self, factor=2.0, inner=None, loss="l1", **kwargs):
        super().__init__(**kwargs)
        self.received_dtype = kwargs.get("dtype")
        self.keep_arguments(factor=factor, inner=inner, loss=loss)


@keras.saving.register_keras_serializable(package="tests")
class Shifted(Scaled):
    def __init__(self, shift=1, **kwargs):
        super().__init__(**kwargs)
        self.keep_arguments(shift=shift)


def test_kept_arguments_are_attributes_and_follow_the_base_config():
    layer = Shifted(shift=3, factor=0.5, name="s")
    assert (layer.shift, layer.factor, layer.inner) == (3, 0.5, None)
    config = layer.get_config()
    assert list(config) == BASE + ["factor", "inner", "loss", "shift"]
    assert config == {
        "name": "s",
        "trainable": True,
        "dtype": FLOAT32,
        "factor": 0.5,
        "inner": None,
        "loss": "l1",
        "shift": 3,
    }
    assert Shifted.from_config(config).get_config() == config


def test_a_renamed_argument_keeps_its_name_in_the_config():
    layer = Scaled(loss="l2")
    assert layer.loss_name == "l2" and "loss" not in vars(layer)
    config = layer.get_config()
    assert config["loss"] == "l2"
    assert Scaled.from_config(config).loss_name == "l2"


def test_keras_objects_are_serialized_and_rebuilt():
    constant = Scaled(inner=keras.initializers.Constant(0.5))
    assert constant.get_config()["inner"] == {
        "module": "keras.initializers",
        "class_name": "Constant",
        "config": {"value": 0.5},
        "registered_name": None,
    }
    rebuilt = Scaled.from_config(constant.get_config())
    assert isinstance(rebuilt.inner, keras.initializers.Constant)
    assert rebuilt.inner.value == 0.5

    dense = keras.layers.Dense(2, name="d")
    single = Scaled(inner=dense).get_config()
    assert single["inner"] == keras.saving.serialize_keras_object(dense)
    assert Scaled.from_config(single).inner.units == 2

    layers = [dense, keras.layers.Dropout(0.25, name="drop")]
    listed = Scaled(inner=layers).get_config()
    assert listed["inner"] == [
        keras.saving.serialize_keras_object(x) for x in layers
    ]
    rebuilt = Scaled.from_config(listed).inner
    assert [type(x).__name__ for x in rebuilt] == ["Dense", "Dropout"]
    assert (rebuilt[0].units, rebuilt[1].rate) == (2, 0.25)


def test_only_constructor_arguments_are_deserialized():
    config = Scaled(inner=[{"class_name": "not serialized"}]).get_config()
    rebuilt = Scaled.from_config(config)
    assert rebuilt.inner == [{"class_name": "not serialized"}]
    # The dtype entry is left for Keras, which passes the policy's name.
    assert rebuilt.received_dtype == "float32"


def test_registered_round_trip_rebuilds_the_kept_objects():
    layer = Shifted(shift=2, inner=keras.layers.Dense(3), name="s")
    serialized = keras.saving.serialize_keras_object(layer)
    again = keras.saving.deserialize_keras_object(serialized)
    assert type(again) is Shifted and again.inner.units == 3
    assert again.get_config() == layer.get_config()


def _serialized_transform(cls, module, config, **built):
    return {
        "module": f"nda_tf.transforms.{module}",
        "class_name": cls,
        "config": {"trainable": True, "dtype": FLOAT32, **config},
        "registered_name": f"nda_tf>{cls}",
        **built,
    }


def _gan():
    generator, discriminator = tiny_gan.generator(), tiny_gan.discriminator()
    gan = NDAGAN(
        generator,
        discriminator,
        nda=T.Jigsaw(name="neg"),
        lam=0.5,
        d_steps=2,
        z_dim=4,
        loss="wasserstein",
        gp_weight=5,
        ema_decay=0.99,
        ema_start=3,
        seed=7,
        cr_weight=2,
        cr_fake_weight=1,
        cr_translation=0.25,
        diffaugment="color,cutout",
        d_calls=2,
        sample_stats_batch=64,
    )
    return gan, {
        "generator": keras.saving.serialize_keras_object(generator),
        "discriminator": keras.saving.serialize_keras_object(discriminator),
        "nda": _serialized_transform(
            "Jigsaw",
            "jigsaw",
            {
                "name": "neg",
                "seed": None,
                "grid": 2,
                "exclude_identity": True,
                "reassembly": "row_major",
            },
            # The GAN builds its transform, so Keras records the build.
            build_config={"input_shape": None},
        ),
        "lam": 0.5,
        "d_steps": 2,
        "z_dim": 4,
        "num_classes": 1,
        "loss": "wasserstein",
        "gp_weight": 5.0,
        "ema_decay": 0.99,
        "ema_start": 3,
        "seed": 7,
        "cr_weight": 2.0,
        "cr_fake_weight": 1.0,
        "cr_translation": 0.25,
        "diffaugment": "color,cutout",
        "d_calls": 2,
        "sample_stats_batch": 64,
    }


def _moco():
    encoder = tiny_moco.encoder()
    moco = MoCo(encoder, queue_size=20, bn_splits=2, shuffle_bn=False)
    return moco, {
        "encoder": keras.saving.serialize_keras_object(encoder),
        "nda": None,
        "queue_size": 20,
        "temperature": 0.07,
        "momentum": 0.999,
        "projection_dim": 128,
        "hidden_dim": 6,
        "bn_splits": 2,
        "shuffle_bn": False,
        "seed": None,
    }


def _random_choice():
    choice = T.RandomChoice(
        [T.Jigsaw(name="j"), "mixup(alpha=5, name='m')"],
        probabilities=[1, 3],
        seed=5,
    )
    return choice, {
        "seed": 5,
        "transforms": [
            _serialized_transform(
                "Jigsaw",
                "jigsaw",
                {
                    "name": "j",
                    "seed": None,
                    "grid": 2,
                    "exclude_identity": True,
                    "reassembly": "row_major",
                },
            ),
            _serialized_transform(
                "Mixup", "mixup", {"name": "m", "seed": None, "alpha": 5.0}
            ),
        ],
        "probabilities": [1.0, 3.0],
    }


# The kept part of each config (after name, trainable, dtype), in order.
CONFIGS = {
    "jigsaw": lambda: (
        T.Jigsaw(
            grid=3, exclude_identity=False, reassembly="column_major", seed=4
        ),
        {
            "seed": 4,
            "grid": 3,
            "exclude_identity": False,
            "reassembly": "column_major",
        },
    ),
    "mixup": lambda: (T.Mixup(alpha=3), {"seed": None, "alpha": 3.0}),
    "random_crop": lambda: (
        T.RandomCrop(padding=2, fill_mode="constant", seed=1),
        {"seed": 1, "padding": 2, "fill_mode": "constant"},
    ),
    "horizontal_flip": lambda: (
        T.HorizontalFlip(probability=1),
        {"seed": None, "probability": 1.0},
    ),
    "vertical_flip": lambda: (
        T.VerticalFlip(probability=0.25, seed=9),
        {"seed": 9, "probability": 0.25},
    ),
    "gaussian_noise": lambda: (
        T.GaussianNoise(stddev=0.5, value_range=(-1, 1)),
        {"seed": None, "stddev": 0.5, "value_range": (-1.0, 1.0)},
    ),
    "random_choice": _random_choice,
    "other_samples": lambda: (
        T.OtherSamples(np.array([[[[0.0]]], [[[1.0]]]], "float32"), 5, 1),
        {
            "seed": 1,
            "bank_size": 5,
            "source": {
                "class_name": "__numpy__",
                "config": {"value": [[[[0.0]]], [[[1.0]]]], "dtype": "float32"},
            },
        },
    ),
    "other_dots": lambda: (
        T.OtherDots(counts=(1, 3), size=32, radius=2, bank_size=8, seed=3),
        {
            "seed": 3,
            "bank_size": 8,
            "counts": [1, 3],
            "size": 32,
            "radius": 2,
            "bank_seed": 1,
        },
    ),
    "moco_v2_augment": lambda: (
        MoCoV2Augment(16, scale=(0.3, 0.9), seed=2),
        {
            "seed": 2,
            "resolution": 16,
            "scale": (0.3, 0.9),
            "ratio": (0.75, 4 / 3),
            "jitter": (0.4, 0.4, 0.4, 0.1),
            "jitter_p": 0.8,
            "gray_p": 0.2,
            "blur": False,
        },
    ),
    "sn_dense": lambda: (
        SNDense(3),
        {
            "power_iterations": 1,
            "epsilon": 1e-12,
            "kernel_initializer": {
                "module": "keras.initializers",
                "class_name": "RandomNormal",
                "config": {"seed": None, "mean": 0.0, "stddev": 0.02},
                "registered_name": None,
            },
            "bias_initializer": {
                "module": "keras.initializers",
                "class_name": "Zeros",
                "config": {},
                "registered_name": None,
            },
            "units": 3,
            "use_bias": True,
        },
    ),
    "nda_gan": _gan,
    "moco": _moco,
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_configs_are_the_recorded_ones(name):
    obj, expected = CONFIGS[name]()
    config = obj.get_config()
    assert list(config) == BASE + list(expected)
    assert {key: config[key] for key in expected} == expected
    # A config of its own: Functional.from_config empties the one it gets.
    assert type(obj).from_config(obj.get_config()).get_config() == config
