"""Every transform keeps the contract (tests/contract.py): the same output
eagerly, in tf.function, under XLA and in tf.data; config round trip;
replicas under MirroredStrategy. Also shapes, dtypes, clips and ranges."""

import os
import tempfile

import numpy as np
import pytest
import tensorflow as tf

import nda_tf.transforms as T
from tests import contract


def _labelled_npz():
    """A small labelled image set for other_classes (images of classes 1
    and 2 become its bank); written once per test process."""
    path = os.path.join(tempfile.mkdtemp(prefix="nda_other_"), "set.npz")
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, [9, 16, 16, 3]).astype(np.uint8)
    np.savez(path, images=images, labels=np.arange(9) % 3)
    return path


# Arguments beyond the defaults (the images here are 16 x 16).
ARGUMENTS = {
    "dots": "counts=(1, 2), size=16, radius=2, bank_size=8",
    "other_classes": f"dataset='npz:{_labelled_npz()}', classes=(0,)",
    "mixup": "alpha=25.0",
}
# Transforms that are not registered by name, or other settings of one.
EXTRA = {
    "jigsaw4": lambda: T.Jigsaw(grid=4, seed=3),
    "random_choice": lambda: T.RandomChoice(
        ["jigsaw", "stitch", "mixup(alpha=4)"], probabilities=[2, 1, 1], seed=3
    ),
    "other_samples": lambda: T.OtherSamples(
        np.linspace(-1, 1, 5 * 16 * 16 * 3, dtype="float32").reshape(
            5, 16, 16, 3
        ),
        seed=3,
    ),
}
# Negatives taken from elsewhere rather than made from the images.
SOURCES = {"dots", "other_classes", "other_samples"}


def _maker(name):
    if name in EXTRA:
        return EXTRA[name]
    arguments = ", ".join(filter(None, [ARGUMENTS.get(name), "seed=3"]))
    return lambda: T.get(f"{name}({arguments})")


# Read their bank from a tfds dataset: tested under mock data in
# tests/transforms/test_clevr.py.
NEEDS_TFDS = {"clevr"}
SPECS = {
    name: _maker(name)
    for name in sorted(set(T.available()) - NEEDS_TFDS) + sorted(EXTRA)
}
MADE = sorted(set(SPECS) - SOURCES)


def _images(dtype="float32", shape=(6, 16, 16, 3)):
    rng = np.random.default_rng(0)
    if dtype == "uint8":
        return rng.integers(0, 256, shape).astype("uint8")
    return rng.uniform(-1, 1, shape).astype(dtype)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_contract(name, mirrored):
    images = _images()
    modes = contract.MODES + ("tf.data",)
    output = contract.assert_same_in_every_mode(
        SPECS[name], images, modes=modes
    )
    assert output.shape == images.shape and output.dtype == images.dtype
    if name not in SOURCES:
        assert not np.array_equal(output, images)
    contract.assert_config_round_trip(SPECS[name], images)
    contract.assert_replicas_draw_their_own(SPECS[name], images, mirrored)


@pytest.mark.parametrize("name", MADE)
def test_uint8_consistent_and_dtype_kept(name):
    # Integer images are rounded back after float arithmetic, where XLA
    # could round differently; graph modes run the float path above.
    images = _images("uint8")
    output = contract.assert_same_in_every_mode(
        SPECS[name], images, modes=("eager", "xla")
    )
    assert output.dtype == np.uint8


@pytest.mark.parametrize("name", MADE)
def test_value_range_is_preserved(name):
    images = _images()
    output = SPECS[name]()(images).numpy()
    assert output.min() >= images.min() - 1e-6
    assert output.max() <= images.max() + 1e-6


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
def test_float_dtypes_are_kept(name, dtype):
    images = tf.cast(_images(), dtype)
    output = SPECS[name]()(images)
    assert output.dtype == images.dtype
    assert output.shape == images.shape


@pytest.mark.parametrize("name", MADE)
def test_clip_frames_share_their_clip_transformation(name):
    """Rank-5 clips: frame t of the output equals the transform applied to
    frame t alone with the clip's transformation."""
    layer = SPECS[name]()
    if name == "gaussian_noise":
        # Without a value_range the noise is clipped to the batch's range,
        # which differs between a whole clip and one of its frames.
        layer = T.GaussianNoise(stddev=0.1, value_range=(-1, 1), seed=3)
    if name == "random_choice":
        # Spatial and non-spatial children alike keep frames together.
        layer = T.RandomChoice(
            ["jigsaw", "stitch", "gaussian_noise(value_range=(-1, 1))"],
            seed=3,
        )
    clips = _images(shape=(4, 3, 16, 16, 2))
    transformation = layer.get_random_transformation(clips, seed=11)
    output = layer.transform_images(clips, transformation).numpy()
    assert output.shape == clips.shape
    for frame in range(clips.shape[1]):
        expected = layer.transform_images(clips[:, frame], transformation)
        np.testing.assert_allclose(output[:, frame], expected, atol=1e-6)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_dynamic_batch_size_and_channels(name):
    layer = SPECS[name]()
    channels = 3 if name in SOURCES else 5
    function = tf.function(
        layer,
        input_signature=[tf.TensorSpec([None, 16, 16, channels], tf.float32)],
    )
    for batch in (2, 7):
        images = _images(shape=(batch, 16, 16, channels))
        assert function(images).shape == images.shape


@pytest.mark.parametrize("name", sorted(SPECS))
def test_seed_makes_output_reproducible_and_calls_differ(name):
    images = _images()
    first, second = SPECS[name](), SPECS[name]()
    a1, a2 = first(images).numpy(), first(images).numpy()
    b1 = second(images).numpy()
    np.testing.assert_array_equal(a1, b1)
    assert not np.array_equal(a1, a2)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_training_false_returns_input(name):
    images = _images()
    np.testing.assert_array_equal(SPECS[name]()(images, training=False), images)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_transform_with_seed_is_sample_then_apply(name):
    """Every accepted seed form reaches the same numbers: an int `s` is the
    pair `[s, 0]`, whether a list, a NumPy array or an int32/int64 tensor."""
    images = _images()
    layer = SPECS[name]()
    expected = layer.transform_images(
        images, layer.get_random_transformation(images, seed=[7, 0])
    ).numpy()
    for seed in (
        7,
        np.int64(7),
        [7, 0],
        (7, 0),
        np.array([7, 0]),
        tf.constant([7, 0], tf.int32),
        tf.constant([7, 0], tf.int64),
    ):
        output = layer.transform_with_seed(images, seed).numpy()
        np.testing.assert_array_equal(output, expected, err_msg=repr(seed))
    xla = tf.function(layer.transform_with_seed, jit_compile=True)
    np.testing.assert_allclose(
        xla(images, tf.constant([7, 0], tf.int64)), expected, atol=1e-5
    )
    other = layer.transform_with_seed(images, 8).numpy()
    assert name == "other_samples" or not np.array_equal(other, expected)
