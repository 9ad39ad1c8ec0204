"""RoIAlign through `tf.image.crop_and_resize`, then average pooling.

A box is divided into `size x size` bins; each bin's value is the mean
of `sampling_ratio**2` bilinear samples at the centres of its sub-bins
(Mask R-CNN's RoIAlign, with Detectron2's `aligned=True`: a pixel's
centre is at +0.5, so a box is not shifted by half a pixel). A sample
less than a pixel outside the map reads the border value, as in
Detectron2; one farther out reads 0. Detectron2's C4 setting picks the
samples per bin from the box size (`sampling_ratio=0`); here it is fixed,
so that shapes are static.

    >>> features = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    >>> pooled = roi_align(features, [[[0.0, 0.0, 4.0, 4.0]]], 1, 2, 1)
    >>> # The value at each bin's centre: (0.5, 0.5) is index (0, 0).
    >>> pooled[0, :, :, 0].numpy().tolist()
    [[2.5, 4.5], [10.5, 12.5]]
"""

import tensorflow as tf


def roi_align(features, boxes, stride, size, sampling_ratio=2):
    """Pooled features `[B * R, size, size, C]` of boxes on a feature map.

    Args:
        features: `[B, H, W, C]`, the map of stride `stride` (any float
            dtype: sampled in float32, returned in this one).
        boxes: `[B, R, 4]` `[ymin, xmin, ymax, xmax]` in input pixels.
        stride: input pixels per feature cell.
        size: bins per side.
        sampling_ratio: samples per bin and side (>= 1).

    Returns:
        The bins of image 0's boxes first, then image 1's, and so on.
    """
    features = tf.convert_to_tensor(features)
    # Boxes and samples in float32 whatever the map's dtype (float16 under
    # mixed precision): float16 pixel boxes step by 0.25-0.5 pixel at
    # 256-1024 pixels, and crop_and_resize takes float32 boxes only.
    boxes = tf.cast(boxes, tf.float32)
    shape = tf.shape(features)
    # One replicated pixel around the map: samples in the outer half
    # pixel read the border (SYMMETRIC repeats the edge row).
    padded = tf.pad(
        tf.cast(features, tf.float32),
        [[0, 0], [1, 1], [1, 1], [0, 0]],
        "SYMMETRIC",
    )
    samples = size * sampling_ratio
    scaled = boxes / tf.cast(stride, boxes.dtype)
    low, high = scaled[..., :2], scaled[..., 2:]
    step = (high - low) / samples
    # First and last sample centres, as indices of the padded map (a
    # pixel's centre is at index + 0.5 in box coordinates; +1 for the pad).
    first = low + 0.5 * step + 0.5
    last = high - 0.5 * step + 0.5
    extent = tf.cast(shape[1:3] + 1, boxes.dtype)  # padded size - 1
    normalized = tf.concat([first / extent, last / extent], -1)
    count = tf.shape(boxes)[1]
    crops = tf.image.crop_and_resize(
        padded,
        tf.reshape(normalized, [-1, 4]),
        tf.repeat(tf.range(shape[0]), count),
        [samples, samples],
        extrapolation_value=0.0,
    )
    if sampling_ratio > 1:
        crops = tf.nn.avg_pool2d(
            crops, sampling_ratio, sampling_ratio, padding="VALID"
        )
    return tf.cast(crops, features.dtype)
