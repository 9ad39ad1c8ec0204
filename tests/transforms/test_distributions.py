"""The random draws over many samples: layouts, boxes, weights, partners."""

import itertools
import math

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

import nda_tf.transforms as T
from nda_tf import random as nda_random

DRAWS = 4800
IMAGES = np.zeros([DRAWS, 32, 32, 3], "float32")


def _layouts(layer, images=IMAGES, seed=0):
    transformation = layer.get_random_transformation(images, seed=seed)
    return [tuple(p) for p in transformation["permutation"].numpy()]


def test_jigsaw_grid2_draws_all_23_layouts_uniformly_never_identity():
    counts = {}
    for layout in _layouts(T.Jigsaw(grid=2)):
        counts[layout] = counts.get(layout, 0) + 1
    assert (0, 1, 2, 3) not in counts
    assert set(counts) == set(itertools.permutations(range(4))) - {(0, 1, 2, 3)}
    # Chi-square test of uniformity over the 23 layouts.
    assert stats.chisquare(list(counts.values())).pvalue > 1e-4


def test_jigsaw_output_never_equals_its_input():
    rng = np.random.default_rng(1)
    images = rng.uniform(size=[2000, 8, 8, 3]).astype("float32")
    output = T.Jigsaw(grid=2, seed=4)(images).numpy()
    same = np.all(output == images, axis=(1, 2, 3))
    assert not same.any()


def test_jigsaw_with_identity_allowed_draws_all_24_layouts():
    layouts = set(_layouts(T.Jigsaw(grid=2, exclude_identity=False)))
    assert len(layouts) == 24


@pytest.mark.parametrize("grid", [3, 4])
def test_larger_grids_draw_valid_non_identity_permutations(grid):
    images = np.zeros([500, 4 * grid, 4 * grid, 1], "float32")
    layouts = np.array(_layouts(T.Jigsaw(grid=grid), images))
    size = grid * grid
    np.testing.assert_array_equal(
        np.sort(layouts, axis=1), np.tile(np.arange(size), (500, 1))
    )
    assert not np.all(layouts == np.arange(size), axis=1).any()
    # Each tile lands at position 0 about equally often.
    counts = np.bincount(layouts[:, 0], minlength=size)
    assert stats.chisquare(counts).pvalue > 1e-4


def test_permutation_ranks_decode_to_every_permutation():
    """Drawing every rank of 0..3! - 1 gives all six permutations."""
    perms = nda_random.permutations(
        3000, 3, tf.constant([1, 2], tf.int64), exclude_identity=False
    )
    assert {tuple(p) for p in perms.numpy()} == set(
        itertools.permutations(range(3))
    )


@pytest.mark.parametrize("name", ["cutout", "cutmix"])
def test_boxes_have_sides_in_a_third_to_a_half_and_stay_inside(name):
    layer = T.get(name)
    box = layer.get_random_transformation(IMAGES, seed=2)["box"].numpy()
    top, left, height, width = box.T
    assert set(height) == set(range(11, 17))  # ceil(32/3) .. 32/2
    assert set(width) == set(range(11, 17))
    assert (top >= 0).all() and (left >= 0).all()
    assert (top + height <= 32).all() and (left + width <= 32).all()
    # Every placement is reachable: corners occur.
    assert top.min() == 0 and (top + height).max() == 32
    assert left.min() == 0 and (left + width).max() == 32


def test_boxes_on_non_square_images():
    images = np.zeros([2000, 9, 20, 1], "float32")
    box = T.Cutout().get_random_transformation(images, seed=3)["box"].numpy()
    assert set(box[:, 2]) == {3, 4}
    assert set(box[:, 3]) == set(range(7, 11))


def test_mixup_weights_follow_beta_alpha_alpha():
    alpha = 25.0
    gamma = T.Mixup(alpha=alpha).get_random_transformation(IMAGES, seed=5)
    gamma = gamma["gamma"].numpy()
    assert abs(gamma.mean() - 0.5) < 0.005
    expected_std = math.sqrt(1.0 / (4.0 * (2.0 * alpha + 1.0)))
    assert abs(gamma.std() - expected_std) < 0.005
    assert stats.kstest(gamma, stats.beta(alpha, alpha).cdf).pvalue > 1e-3


def test_mixup_small_alpha_spreads_to_the_edges():
    gamma = T.Mixup(alpha=0.2).get_random_transformation(IMAGES, seed=6)
    gamma = gamma["gamma"].numpy()
    assert stats.kstest(gamma, stats.beta(0.2, 0.2).cdf).pvalue > 1e-3


def test_stitch_uses_both_directions_equally():
    direction = T.Stitch().get_random_transformation(IMAGES, seed=7)
    direction = direction["direction"].numpy()
    assert set(direction) == {0, 1}
    assert abs(direction.mean() - 0.5) < 0.03


@pytest.mark.parametrize("batch", [2, 3, 5, 64])
def test_partners_are_never_the_image_itself(batch):
    images = np.zeros([batch, 4, 4, 1], "float32")
    layer = T.CutMix()
    draw = tf.function(
        lambda seed: layer.get_random_transformation(images, seed=seed)
    )
    partner_counts = np.zeros([batch, batch])
    for seed in range(300):
        partner = draw(tf.constant([seed, 0], tf.int64))["partner"].numpy()
        assert sorted(partner) == list(range(batch))  # a permutation
        assert (partner != np.arange(batch)).all()
        partner_counts[np.arange(batch), partner] += 1
    if batch <= 5:
        # Every other image is a partner of every image.
        off_diagonal = partner_counts[~np.eye(batch, dtype=bool)]
        assert (off_diagonal > 0).all()


def test_random_choice_follows_its_probabilities():
    layer = T.RandomChoice(["jigsaw", "stitch"], probabilities=[3, 1])
    choice = layer.get_random_transformation(IMAGES, seed=8)["choice"]
    assert abs(choice.numpy().mean() - 0.25) < 0.03


def test_flip_probability_is_respected():
    flags = T.VerticalFlip(probability=0.3).get_random_transformation(
        IMAGES, seed=9
    )["flip"]
    assert abs(flags.numpy().mean() - 0.3) < 0.03


def test_random_crop_offsets_cover_the_padding_range():
    offset = T.RandomCrop(padding=4).get_random_transformation(IMAGES, seed=1)
    offset = offset["offset"].numpy()
    assert set(offset.ravel()) == set(range(9))


def test_jigsaw_column_major_returns_the_image_once_in_23():
    """The authors' reassembly: the drawn permutations are the same 23,
    and the one that is the transpose gives back the original image."""
    rng = np.random.default_rng(2)
    images = rng.uniform(size=[DRAWS, 4, 4, 1]).astype("float32")
    layer = T.Jigsaw(grid=2, reassembly="column_major")
    transformation = layer.get_random_transformation(images, seed=0)
    output = layer.transform_images(images, transformation).numpy()
    same = np.all(output == images, axis=(1, 2, 3))
    drawn = [tuple(p) for p in transformation["permutation"].numpy()]
    assert same.tolist() == [p == (0, 2, 1, 3) for p in drawn]
    assert stats.binomtest(int(same.sum()), DRAWS, 1 / 23).pvalue > 1e-4


def test_unit_floats_are_strictly_inside_0_1_at_both_ends_of_the_bits():
    """The top 24 bits k give (k + 1/2) / 2**24 in float32: exact below
    1/2, rounded to an even neighbour above. At k = 2**24 - 1 that is 1.0,
    which the draw holds at the largest float32 below 1 (a caller's
    floor(u * n) must stay below n)."""
    k = np.array([0, 1, 2**23, 2**24 - 2, 2**24 - 1], np.uint64)
    bits = tf.constant(k * 2**8 + 255, tf.uint32)  # low bits are dropped
    unit = nda_random._unit_floats_of_bits(bits).numpy()
    assert unit.tolist() == [
        2.0**-25,
        3 * 2.0**-25,
        0.5,  # 2**23 + 1/2 rounds to the even 2**23
        1 - 2.0**-23,  # 2**24 - 3/2 rounds to the even 2**24 - 2
        1 - 2.0**-24,  # 2**24 - 1/2 rounds to 2**24: held below 1
    ]
    assert np.all((unit > 0) & (unit < 1))
