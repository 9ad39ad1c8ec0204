"""RoIAlign on a hand-made feature map: a linear ramp, whose bilinear
samples (and their means) are exactly its values at the bins' centres."""

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.detection.roi_align import roi_align

# value(i, j) = 10 i + j at the cell of index (i, j), whose centre is at
# (i + 0.5, j + 0.5) in feature coordinates.
RAMP = tf.constant(
    [[[[10.0 * i + j, -(10.0 * i + j)] for j in range(6)] for i in range(5)]]
)


def _ramp_at(y, x):
    """The ramp's (first channel) value at a point of feature coordinates."""
    return 10.0 * (y - 0.5) + (x - 0.5)


@pytest.mark.parametrize("sampling_ratio", [1, 2, 3])
def test_each_bin_is_the_ramp_at_its_centre(sampling_ratio):
    # Box (in input pixels, stride 2): rows 2..8, columns 3..9, i.e. the
    # feature rectangle (1, 1.5) - (4, 4.5); 3 x 3 bins of 1 x 1.
    box = tf.constant([[[2.0, 3.0, 8.0, 9.0]]])
    pooled = roi_align(RAMP, box, 2, 3, sampling_ratio).numpy()
    assert pooled.shape == (1, 3, 3, 2)
    centres_y = 1.0 + np.arange(3) + 0.5
    centres_x = 1.5 + np.arange(3) + 0.5
    expected = _ramp_at(centres_y[:, None], centres_x[None, :])
    np.testing.assert_allclose(pooled[0, :, :, 0], expected, atol=1e-4)
    np.testing.assert_allclose(pooled[0, :, :, 1], -expected, atol=1e-4)


def test_samples_in_the_outer_half_pixel_read_the_border():
    # A 1 x 1 feature-cell box at the corner, 2 x 2 bins of one sample:
    # samples at 0.25 and 0.75, i.e. indices -0.25 (the border) and 0.25.
    pooled = roi_align(RAMP, [[[0.0, 0.0, 1.0, 1.0]]], 1, 2, 1).numpy()
    np.testing.assert_allclose(
        pooled[0, :, :, 0], [[0.0, 0.25], [2.5, 2.75]], atol=1e-5
    )


def test_boxes_of_every_image_in_order_and_the_gradient_reaches_features():
    features = tf.stack([RAMP[0], RAMP[0] + 100.0])
    boxes = tf.constant(
        [[[0.0, 0.0, 5.0, 6.0]] * 2, [[0.0, 0.0, 5.0, 6.0]] * 2]
    )
    with tf.GradientTape() as tape:
        tape.watch(features)
        pooled = roi_align(features, boxes, 1, 1, 2)
        total = tf.reduce_sum(pooled[..., 0])
    # One bin over the whole map: its mean, 10 * 2 + 2.5.
    np.testing.assert_allclose(
        pooled[:, 0, 0, 0], [22.5, 22.5, 122.5, 122.5], atol=1e-4
    )
    # Each of the 4 means of bilinear samples spreads a total weight of 1.
    gradient = tape.gradient(total, features)
    assert float(tf.reduce_sum(gradient[..., 0])) == pytest.approx(4.0)
    assert float(tf.reduce_sum(tf.abs(gradient[..., 1]))) == 0.0


def test_a_float16_map_is_sampled_with_float32_boxes():
    # Mixed precision: the trunk's map is float16, the RoIs float32.
    features = tf.cast(tf.reshape(tf.range(16.0), [1, 4, 4, 1]), tf.float16)
    boxes = tf.constant([[[0.0, 0.0, 4.0, 4.0]]], tf.float32)
    pooled = roi_align(features, boxes, 1, 2, 1)
    assert pooled.dtype == tf.float16
    # The value at each bin's centre, as for a float32 map.
    assert pooled[0, :, :, 0].numpy().tolist() == [[2.5, 4.5], [10.5, 12.5]]
