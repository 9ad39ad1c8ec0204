"""Dots images: exact counts, separation, seeding and the stream."""

import numpy as np
import pytest
from scipy import ndimage

from nda_tf.data import dots


def _components(image):
    mask = image.max(axis=-1) > 0
    return ndimage.label(mask, structure=np.ones((3, 3)))[1]


def test_every_image_has_exactly_its_count_of_separate_discs():
    counts = list(range(dots.max_dots(32, 3) + 1)) * 3
    images = dots.render(counts, size=32, radius=3, seed=4)
    assert [_components(image) for image in images] == counts


def test_each_disc_is_a_full_disc_of_one_bright_colour():
    image = dots.render([5], size=32, radius=3, seed=1)[0]
    labels, found = ndimage.label(image.max(-1) > 0, np.ones((3, 3)))
    assert found == 5
    for index in range(1, 6):
        pixels = image[labels == index]
        assert len(pixels) == 29  # lattice points with x^2 + y^2 <= 9
        assert (pixels == pixels[0]).all()
        assert pixels.min() >= dots.COLOUR_RANGE[0]


def test_images_depend_only_on_seed_and_index():
    whole = dots.render([3, 4, 5, 6], seed=9)
    tail = dots.render([5, 6], seed=9, start=2)
    np.testing.assert_array_equal(whole[2:], tail)
    assert not np.array_equal(whole, dots.render([3, 4, 5, 6], seed=10))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"counts": [13]}, "do not fit"),
        ({"counts": [-1]}, "dots count must be an int >= 0, received -1"),
        ({"counts": [True]}, "dots count .*, received True"),
        ({"counts": []}, "dots counts must not be empty"),
        (
            {"counts": [2], "radius": 0},
            "dots radius must be an int >= 1, received 0",
        ),
        ({"counts": [2], "background": 60}, "background"),
    ],
)
def test_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dots.render(**kwargs)


def test_stream_labels_index_the_counts():
    stream = dots.dataset(counts=(2, 7), seed=3)
    for image, label in stream.take(6):
        image = image.numpy()
        assert image.min() == -1.0 and image.max() <= 1.0
        uint8 = np.round((image + 1) * 127.5).astype(np.uint8)
        assert _components(uint8) == (2, 7)[int(label)]


def test_counts_that_are_all_zero_are_refused_but_a_blank_batch_is_drawn():
    # A set of blank images only teaches nothing (issue 28); a count of 0
    # among others is a class, and a batch of such a set may be all blank.
    for counts in ((0,), (0, 0), 0):
        with pytest.raises(ValueError, match="give blank images only"):
            dots.dataset(counts=counts)
    labels = [int(y) for _, y in dots.dataset(counts=(0, 3)).take(40)]
    assert set(labels) == {0, 1}
    assert dots.render([0, 0]).max() == 0
