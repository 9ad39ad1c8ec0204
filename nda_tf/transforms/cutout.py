"""Cutout and CutMix with the paper's rectangle distribution (Appendix B)."""

import keras
import tensorflow as tf

from nda_tf import random as nda_random
from nda_tf.transforms import registry
from nda_tf.transforms.base import NDATransform, select


@registry.register("cutout")
@keras.saving.register_keras_serializable(package="nda_tf")
class Cutout(NDATransform):
    """Fills a large random rectangle with its own mean colour.

    Each image gets a rectangle with height uniform in `[ceil(H/3), H//2]` and
    width uniform in `[ceil(W/3), W//2]`, placed uniformly inside the image.
    The rectangle is replaced by the image's per-channel mean over that
    rectangle (original cutout fills zeros; the NDA version keeps the
    rectangle's average colour, so the value range is preserved).

    Args:
        seed: optional int for reproducible draws.

    Call arguments:
        images: `[B, H, W, C]` or clips `[B, T, H, W, C]` with H, W >= 2.
        training: bool; when False the images are returned unchanged.

    Example: a hand-made box `(top, left, height, width)` over the pixels 0,
    1, 4, 5 fills them with their mean.

    >>> image = tf.reshape(tf.range(8.0), [1, 2, 4, 1])
    >>> layer = Cutout(seed=0)
    >>> negative = layer(image)  # a random box
    >>> box = {"box": [[0, 0, 2, 2]]}
    >>> layer.transform_images(image, box)[0, :, :, 0].numpy()
    array([[2.5, 2.5, 2. , 3. ],
           [2.5, 2.5, 6. , 7. ]], dtype=float32)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    computes_values = True

    def sample(self, batch_size, height, width, seed):
        _check_min_size(self.name, height, width)
        return {"box": nda_random.boxes(batch_size, height, width, seed)}

    def apply(self, images, transformation):
        height, width = self._spatial_size(images)
        inside = nda_random.box_mask(transformation["box"], height, width)
        weights = tf.cast(inside, images.dtype)
        area = tf.reduce_sum(weights, axis=[1, 2], keepdims=True)
        mean = tf.reduce_sum(images * weights, axis=[1, 2], keepdims=True)
        mean = mean / tf.maximum(area, 1.0)
        return select(inside, mean, images)


@registry.register("cutmix")
@keras.saving.register_keras_serializable(package="nda_tf")
class CutMix(NDATransform):
    """Pastes a large random rectangle of a partner image into each image.

    Rectangles follow the `Cutout` distribution (sides in [1/3, 1/2] of the
    image, placed inside it); the pixels inside come from the partner image at
    the same location. Partners are paired through a derangement, so no image
    is pasted into itself; a batch of one image is rejected.

    Args:
        seed: optional int for reproducible draws.

    Call arguments:
        images: `[B, H, W, C]` or clips `[B, T, H, W, C]` with B >= 2.
        training: bool; when False the images are returned unchanged.

    Example: with a hand-made transformation, the black image of a black and
    white pair gets a white 2 x 2 box.

    >>> pair = tf.reshape([0] * 8 + [1] * 8, [2, 2, 4, 1])
    >>> layer = CutMix(seed=0)
    >>> negatives = layer(pair)  # random boxes
    >>> paste = {"box": [[0, 1, 2, 2], [0, 1, 2, 2]], "partner": [1, 0]}
    >>> layer.transform_images(pair, paste)[0, :, :, 0].numpy()
    array([[0, 1, 1, 0],
           [0, 1, 1, 0]], dtype=int32)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    needs_partner = True

    def sample(self, batch_size, height, width, seed):
        _check_min_size(self.name, height, width)
        box_seed, partner_seed = nda_random.split_seed(seed, 2)
        return {
            "box": nda_random.boxes(batch_size, height, width, box_seed),
            "partner": nda_random.derangement(batch_size, partner_seed),
        }

    def apply(self, images, transformation):
        height, width = self._spatial_size(images)
        inside = nda_random.box_mask(transformation["box"], height, width)
        partner = tf.gather(images, transformation["partner"])
        return select(inside, partner, images)


def _check_min_size(name, height, width):
    for axis, size in (("height", height), ("width", width)):
        if isinstance(size, int) and size < 2:
            raise ValueError(
                f"{name} needs images at least 2 pixels in {axis} to place a "
                f"rectangle of 1/3 to 1/2 of it; received {axis} {size}"
            )
