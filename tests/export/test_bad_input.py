"""Each bad input to an exported signature gives an error that names it."""

import numpy as np
import pytest
import tensorflow as tf

from tests.export import trained

OK = np.full([2, 32, 32, 3], 128, np.uint8)


@pytest.fixture(scope="module")
def signatures():
    return tf.saved_model.load(trained.exported_detector()).signatures


@pytest.mark.parametrize(
    "signature, images, message",
    [
        ("serving_default", OK.astype(np.float32), "expected to be a uint8"),
        ("serving_default", OK[0], "images must have rank 4; received rank"),
        ("serving_default", OK[None], "must have rank 4; received rank.*5"),
        (
            "serving_default",
            OK[..., :1],
            "3 entries in the last axis.*2 32 32 1",
        ),
        ("serving_default", np.zeros([2, 32, 32, 4], np.uint8), "last axis"),
        ("serving_default", OK[:0], "must not be empty.*0 32 32 3"),
        ("serving_default", OK[:, :0], "must not be empty.*2 0 32 3"),
        ("serving_float", OK, "expected to be a float"),
        ("serving_float", np.full([1, 8, 8, 3], np.nan, np.float32), "NaN"),
        ("serving_float", np.full([1, 8, 8, 3], np.inf, np.float32), "inf"),
        (
            "serving_float",
            np.full([1, 8, 8, 3], 1.5, np.float32),
            "in \\[0.0, 1.0\\]",
        ),
        ("serving_float", np.full([1, 8, 8, 3], -0.1, np.float32), "minimum"),
        (
            "serving_float",
            np.zeros([0, 8, 8, 3], np.float32),
            "must not be empty",
        ),
    ],
)
def test_bad_images(signatures, signature, images, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        signatures[signature](images=tf.constant(images))


def test_good_images_after_bad_ones_still_score(signatures):
    # A rejected request leaves the loaded model usable.
    with pytest.raises(tf.errors.InvalidArgumentError):
        signatures["serving_default"](images=tf.constant(OK[..., :1]))
    out = signatures["serving_default"](images=tf.constant(OK))
    assert np.isfinite(out["score"].numpy()).all()
