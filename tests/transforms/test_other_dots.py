"""OtherDots: the numerosity negatives, and their config."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import ndimage

import nda_tf.transforms as T


def _count(image):
    mask = image.max(axis=-1) > -0.5
    return ndimage.label(mask, structure=np.ones((3, 3)))[1]


def test_negatives_show_only_the_given_counts_in_even_shares():
    layer = T.get("dots(counts=(4, 5, 7), bank_size=30)")
    assert isinstance(layer, T.OtherDots)
    bank = layer._bank.numpy()
    assert sorted(_count(x) for x in bank) == [4] * 10 + [5] * 10 + [7] * 10
    negatives = layer(tf.zeros([16, 32, 32, 3]), training=True).numpy()
    assert {_count(x) for x in negatives} <= {4, 5, 7}


def test_config_round_trips_without_the_bank():
    layer = T.OtherDots(counts=(1, 3), size=32, radius=2, bank_size=8, seed=3)
    config = layer.get_config()
    assert "source" not in config and config["counts"] == [1, 3]
    again = T.OtherDots.from_config(config)
    np.testing.assert_array_equal(again._bank, layer._bank)


def test_bad_counts_and_sizes():
    with pytest.raises(ValueError, match="do not fit"):
        T.OtherDots(counts=(40,))
    with pytest.raises(ValueError, match="shape"):
        T.OtherDots(counts=(2,), size=32, bank_size=4)(tf.zeros([2, 16, 16, 3]))
