"""Stitching: half of one image joined to half of another (Appendix B)."""

import keras
import tensorflow as tf

from nda_tf import random as nda_random
from nda_tf.transforms import registry
from nda_tf.transforms.base import NDATransform, select

# Values of transformation["direction"].
TOP_BOTTOM = 0
LEFT_RIGHT = 1


@registry.register("stitch")
@keras.saving.register_keras_serializable(package="nda_tf")
class Stitch(NDATransform):
    """Joins half of each image to the other half of a partner image.

    For each image a direction is drawn uniformly: the top half (`H // 2`
    rows) of the image over the bottom half of its partner, or its left half
    (`W // 2` columns) beside the partner's right half. Partners come from the
    same batch through a derangement, so an image is never stitched to
    itself; a batch of one image is rejected.

    Args:
        seed: optional int for reproducible draws.

    Call arguments:
        images: `[B, H, W, C]` or clips `[B, T, H, W, C]` with B >= 2.
        training: bool; when False the images are returned unchanged.

    Example: a hand-made transformation stitches a black and a white image,
    each the other's partner, top over bottom and left beside right.

    >>> pair = tf.reshape([0] * 4 + [1] * 4, [2, 2, 2, 1])
    >>> layer = Stitch(seed=0)
    >>> negatives = layer(pair)  # random directions
    >>> halves = {"partner": [1, 0], "direction": [TOP_BOTTOM, LEFT_RIGHT]}
    >>> layer.transform_images(pair, halves)[..., 0].numpy().tolist()
    [[[0, 0], [1, 1]], [[1, 0], [1, 0]]]

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    needs_partner = True

    def sample(self, batch_size, height, width, seed):
        partner_seed, direction_seed = nda_random.split_seed(seed, 2)
        direction = nda_random.uniform_int(
            [batch_size], direction_seed, TOP_BOTTOM, LEFT_RIGHT
        )
        return {
            "partner": nda_random.derangement(batch_size, partner_seed),
            "direction": direction,
        }

    def apply(self, images, transformation):
        height, width = self._spatial_size(images)
        top = tf.range(height) < height // 2
        left = tf.range(width) < width // 2
        top_bottom = tf.equal(transformation["direction"], TOP_BOTTOM)
        # [B, H, W, 1]: where the image keeps its own pixels.
        direction = top_bottom[:, None, None, None]
        own = (direction & top[None, :, None, None]) | (
            ~direction & left[None, None, :, None]
        )
        partner = tf.gather(images, transformation["partner"])
        return select(own, images, partner)
