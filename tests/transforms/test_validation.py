"""Bad configuration and bad input give clear errors naming the value."""

import numpy as np
import pytest
import tensorflow as tf

import nda_tf.transforms as T


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda: T.Jigsaw(grid=1),
            "grid must be an int in \\[2, 4\\], received 1",
        ),
        (lambda: T.Jigsaw(grid=5), "received 5"),
        (lambda: T.Jigsaw(grid=2.0), "received 2.0"),
        (lambda: T.Jigsaw(exclude_identity="yes"), "received 'yes'"),
        (lambda: T.Jigsaw(reassembly="columns"), "received 'columns'"),
        (
            lambda: T.Mixup(alpha=0),
            "alpha must be > 0, received 0",
        ),
        (lambda: T.Mixup(alpha=-1.5), "received -1.5"),
        (lambda: T.Mixup(alpha="big"), "received 'big'"),
        (
            lambda: T.GaussianNoise(stddev=-0.1),
            "stddev must be >= 0, received -0.1",
        ),
        (lambda: T.GaussianNoise(value_range=(1, 0)), "received \\(1, 0\\)"),
        (
            lambda: T.RandomCrop(padding=-1),
            "padding must be an int >= 0, received -1",
        ),
        (lambda: T.RandomCrop(fill_mode="wrap"), "received 'wrap'"),
        (lambda: T.HorizontalFlip(probability=1.5), "received 1.5"),
        (lambda: T.RandomChoice([]), "non-empty list"),
        (lambda: T.RandomChoice(["jigsaw"], probabilities=[1, 2]), "one per"),
        (lambda: T.OtherSamples(np.zeros([0, 4, 4, 3])), "non-empty bank"),
        (lambda: T.OtherSamples(np.zeros([4, 4])), "shape \\(4, 4\\)"),
        (lambda: T.Cutout(seed="x"), "seed must be an int >= 0 or None"),
        (lambda: T.Cutout(seed=True), "received True"),
        (lambda: T.RandomCrop(padding=True), "received True"),
        (lambda: T.Jigsaw(grid=True), "received True"),
    ],
)
def test_bad_configuration_is_rejected(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_grid_must_divide_the_image():
    with pytest.raises(
        ValueError, match="must divide the image width; received width 10"
    ):
        T.Jigsaw(grid=4)(np.zeros([2, 8, 10, 3], "float32"))


@pytest.mark.parametrize("shape", [(8, 8, 3), (2, 2, 8, 8, 3, 1), (5,)])
def test_rank_must_be_4_or_5(shape):
    with pytest.raises(ValueError, match=f"rank {len(shape)}"):
        T.Cutout()(np.zeros(shape, "float32"))


@pytest.mark.parametrize("name", ["stitch", "cutmix", "mixup", "jigsaw|stitch"])
def test_partner_transforms_reject_a_batch_of_one(name):
    with pytest.raises(ValueError, match="received a batch of 1"):
        T.get(name)(np.zeros([1, 8, 8, 3], "float32"))


def test_batch_of_one_is_caught_at_run_time_for_dynamic_batches():
    layer = T.Stitch()
    function = tf.function(
        layer, input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.float32)]
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 2"):
        function(np.zeros([1, 8, 8, 3], "float32"))


def test_non_partner_transforms_accept_a_batch_of_one():
    for name in ["jigsaw", "cutout", "random_crop", "vertical_flip"]:
        assert T.get(name)(np.zeros([1, 8, 8, 3], "float32")).shape[0] == 1


def test_other_samples_shape_mismatch_is_named():
    layer = T.OtherSamples(np.zeros([4, 8, 8, 3], "float32"))
    with pytest.raises(ValueError, match="\\(8, 8, 3\\).*\\(16, 16, 3\\)"):
        layer(np.zeros([2, 16, 16, 3], "float32"))


def test_string_images_are_rejected():
    with pytest.raises(ValueError, match="dtype string"):
        T.Cutout()(tf.constant("x", shape=[1, 2, 2, 1]))


def test_a_transform_missing_a_hook_cannot_be_built():
    class SampleOnly(T.NDATransform):
        def sample(self, batch_size, height, width, seed):
            return {}

    with pytest.raises(TypeError, match="abstract method apply"):
        SampleOnly()
    with pytest.raises(TypeError, match="abstract methods apply, sample"):
        T.NDATransform()


@pytest.mark.parametrize("seed", [True, 2.5, [1.0, 2.0], [1, 2, 3], [[1, 2]]])
def test_bad_seeds_are_named(seed):
    with pytest.raises((ValueError, TypeError), match="seed"):
        T.Jigsaw().transform_with_seed(np.zeros([2, 4, 4, 3], "float32"), seed)
