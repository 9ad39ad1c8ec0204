"""Translator SavedModel: a Pix2Pix generator, uint8 image in and out."""

import numpy as np
import tensorflow as tf

from nda_tf import checks as arguments
from nda_tf.export import checks, servable
from nda_tf.models import pix2pix


class Translator(tf.Module):
    """A trained image-to-image generator as a servable module.

    `serving_default` maps uint8 images `[N, H, W, 3]` to uint8 images of
    the same size, through [-1, 1] as in training. H and W must be
    multiples of `2**depth` (the U-Net's levels); other sizes get a clear
    error.

    Args:
        generator: a `nda_tf.models.pix2pix.unet_generator` model.
        dropout: keep the decoder's dropout on (Pix2Pix's test-time
            behaviour; outputs then vary between calls) or turn it off.
        max_images: int, the largest batch accepted.

    Example:

    >>> from nda_tf.models.pix2pix import unet_generator
    >>> serve = Translator(unet_generator(depth=2, filters=2),
    ...                    dropout=False).signatures()["serving_default"]
    >>> out = serve(images=tf.zeros([1, 8, 12, 3], tf.uint8))["images"]
    >>> out.shape, out.dtype
    (TensorShape([1, 8, 12, 3]), tf.uint8)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    def __init__(self, generator, dropout=True, max_images=64):
        super().__init__(name="translator")
        arguments.check_int("max_images", max_images, 1)
        self.generator = generator
        self.depth = pix2pix.unet_depth(generator)
        self.dropout, self.max_images = bool(dropout), max_images
        pix2pix.set_inference_dropout(generator, self.dropout)

    def _translate(self, images):
        images = checks.checked(images, "images", rank=4, last=3)
        shape = tf.shape(images)
        multiple = 2**self.depth
        with tf.control_dependencies(
            [
                tf.debugging.Assert(
                    tf.logical_and(
                        tf.equal(shape[1] % multiple, 0),
                        tf.equal(shape[2] % multiple, 0),
                    ),
                    [
                        f"images must have height and width divisible by "
                        f"{multiple} (a U-Net of depth {self.depth}); "
                        "received shape",
                        shape,
                    ],
                ),
                tf.debugging.assert_less_equal(
                    shape[0],
                    self.max_images,
                    message=f"at most {self.max_images} images; received",
                ),
            ]
        ):
            x = tf.cast(images, tf.float32) / 127.5 - 1.0
        out = tf.cast(self.generator(x, training=False), tf.float32)
        pixels = tf.round((tf.clip_by_value(out, -1.0, 1.0) + 1.0) * 127.5)
        return tf.cast(pixels, tf.uint8)

    def signatures(self):
        serve = tf.function(
            lambda images: {"images": self._translate(images)}
        ).get_concrete_function(tf.TensorSpec(None, tf.uint8, "images"))
        return {"serving_default": serve}


def export_translator(
    generator,
    out_dir,
    model_name="nda_pix2pix",
    version=1,
    dropout=True,
    resolution=None,
    metadata=None,
    max_images=64,
    overwrite=False,
):
    """Exports a Pix2Pix generator as `out_dir/model_name/version/`.

    Signature `serving_default`: `images` uint8 `[N, H, W, 3]` -> `images`
    uint8 `[N, H, W, 3]` (H, W multiples of 2**depth).

    Args:
        generator: the trained U-Net.
        out_dir: the folder of served models.
        model_name: the model's folder in it.
        version: the version's folder in that.
        dropout: keep dropout on at serving time (as Pix2Pix tests).
        resolution: the training size, used for the warm-up request and
            recorded.
        metadata: dict stored in the JSON asset under "run".
        max_images: int, the largest batch accepted.
        overwrite: replace an existing version.

    Returns:
        The version folder path.
    """
    module = Translator(generator, dropout, max_images)
    size = resolution or 2**module.depth
    warmup = [
        servable.predict_log(
            model_name,
            "serving_default",
            {"images": np.zeros([1, size, size, 3], np.uint8)},
        )
    ]
    about = {
        "kind": "nda_pix2pix",
        "depth": module.depth,
        "size_multiple": 2**module.depth,
        "resolution": resolution,
        "dropout": module.dropout,
        "max_images": max_images,
        "signatures": {
            "serving_default": "images: uint8 [N, H, W, 3] -> "
            "images: uint8 [N, H, W, 3]"
        },
    }
    where = (out_dir, model_name, version, overwrite)
    return servable.save_servable(module, about, metadata, warmup, *where)
