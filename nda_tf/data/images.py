"""Image conversions shared by every dataset source."""

import tensorflow as tf


def to_uint8_square(image, resolution):
    """Centre-crops `image` to a square and resizes it to `resolution`.

    `image` is a uint8 (or float 0..255) `[H, W, C]` tensor with 1, 3 or 4
    channels, or a batch `[N, H, W, C]` of them; the result is uint8
    `[resolution, resolution, 3]` (per image). Resizing is
    bilinear with antialiasing, so downscaling does not alias. An image that
    already has the target size is returned unchanged (bit for bit).
    """
    image = _three_channels(image)
    if resolution is None:
        return tf.cast(image, tf.uint8)
    height, width = tf.shape(image)[-3], tf.shape(image)[-2]
    side = tf.minimum(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = image[..., top : top + side, left : left + side, :]

    def resize():
        resized = tf.image.resize(
            tf.cast(square, tf.float32),
            [resolution, resolution],
            antialias=True,
        )
        return tf.cast(tf.round(tf.clip_by_value(resized, 0, 255)), tf.uint8)

    return tf.cond(
        tf.equal(side, resolution),
        lambda: tf.cast(square, tf.uint8),
        resize,
    )


def _three_channels(image):
    channels = image.shape[-1]
    if channels == 1:
        return tf.image.grayscale_to_rgb(image)
    if channels == 4:
        return image[..., :3]
    if channels is None:
        # Unknown statically (decoded files): fix it at run time.
        image = tf.cond(
            tf.equal(tf.shape(image)[-1], 1),
            lambda: tf.tile(image, [1, 1, 3]),
            lambda: image[..., :3],
        )
        return tf.ensure_shape(image, [None, None, 3])
    return image


def to_float(images):
    """uint8 images -> float32 in [-1, 1] (x / 127.5 - 1)."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def to_uint8(images):
    """Float images in [-1, 1] -> uint8 (clipped, rounded)."""
    images = tf.clip_by_value(
        (tf.cast(images, tf.float32) + 1.0) * 127.5, 0, 255
    )
    return tf.cast(tf.round(images), tf.uint8)
