"""nda_tf.transforms.get and available."""

import keras
import numpy as np
import pytest

import nda_tf.transforms as T
from nda_tf.transforms import registry


def test_available_lists_every_named_transform():
    assert T.available() == [
        "clevr",
        "cutmix",
        "cutout",
        "dots",
        "gaussian_noise",
        "horizontal_flip",
        "jigsaw",
        "mixup",
        "other_classes",
        "random_crop",
        "stitch",
        "vertical_flip",
    ]
    for name in T.available():
        assert isinstance(T.get(name), T.NDATransform)


def test_arguments_in_call_syntax():
    assert T.get("jigsaw(grid=3)").grid == 3
    assert T.get("Jigsaw(3, exclude_identity=False)").exclude_identity is False
    assert T.get("mixup(alpha=25)").alpha == 25.0
    noise = T.get("gaussian_noise(stddev=0.2, value_range=(-1, 1))")
    assert noise.stddev == 0.2 and noise.value_range == (-1.0, 1.0)


def test_bar_and_lists_make_a_random_choice():
    layer = T.get("jigsaw(grid=2) | stitch|mixup(alpha=4)")
    assert isinstance(layer, T.RandomChoice)
    assert [type(t) for t in layer.transforms] == [T.Jigsaw, T.Stitch, T.Mixup]
    assert layer.transforms[2].alpha == 4.0
    assert isinstance(T.get(["cutout", T.CutMix()]), T.RandomChoice)


def test_layers_dicts_and_none():
    layer = T.Cutout(seed=1)
    assert T.get(layer) is layer
    assert T.get({"name": "jigsaw", "grid": 4}).grid == 4
    serialized = keras.saving.serialize_keras_object(T.Mixup(alpha=3.0))
    assert T.get(serialized).alpha == 3.0
    assert T.get(None) is None
    assert T.get("none") is None


def test_random_choice_serializes_its_children():
    layer = T.RandomChoice(["jigsaw(grid=4)", "mixup(alpha=2)"], seed=5)
    clone = T.get(keras.saving.serialize_keras_object(layer))
    assert clone.transforms[0].grid == 4
    assert clone.transforms[1].alpha == 2.0
    assert clone.seed == 5


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown transform 'jigsa'.*cutmix"):
        T.get("jigsa")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("jigsaw(grid=", "cannot parse"),
        ("jigsaw(grid=two)", "literals"),
        ("jigsaw[2]", "expected name or name\\(args\\)"),
        ("jigsaw(size=2)", "bad arguments in transform 'jigsaw\\(size=2\\)'"),
        ("mixup(alpha=0)", "alpha must be > 0, received 0"),
        (3, "received int"),
        ({"grid": 2}, "needs 'class_name'"),
        # Issue 28: an empty --nda= trained plain; 1e400 reads as inf.
        ("", "a transform name is empty \\(''\\); write 'none'"),
        (" ", "a transform name is empty"),
        ("mixup(alpha=1e400)", "'mixup\\(alpha=1e400\\)': inf is not a finite"),
        ("mixup(1e400)", "inf is not a finite"),
        ("cutout(size=(8, -1e400))", "-inf is not a finite"),
        ("mixup|jigsaw(grid=1e999)", "inf is not a finite"),
        ({"name": "mixup", "alpha": float("nan")}, "alpha must be a finite"),
        # Review finding 8: an int no float holds was an OverflowError.
        (f"mixup(alpha={10**400})", "is not a finite number \\(beyond what"),
        (f"cutout(size=(8, {10**400}))", "is not a finite number \\(beyond"),
        ({"name": "mixup", "alpha": 10**400}, "alpha must be a finite"),
    ],
)
def test_malformed_identifiers(spec, message):
    with pytest.raises(ValueError, match=message):
        T.get(spec)


def test_register_makes_a_name_buildable_and_refuses_a_taken_name(
    monkeypatch,
):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @T.register("Negate")
    class Negate(T.NDATransform):
        def sample(self, batch_size, height, width, seed):
            return {}

        def apply(self, images, transformation):
            return -images

    assert "negate" in T.available()
    assert T.get("negate")(np.ones([1, 2, 2, 1], "float32")).numpy().min() == -1
    assert type(T.get("jigsaw|NEGATE").transforms[1]) is Negate
    with pytest.raises(ValueError, match="'jigsaw' is taken by .*Jigsaw"):
        T.register("jigsaw")(Negate)
