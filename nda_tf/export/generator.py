"""Generator SavedModel: latents (and labels) in, uint8 images out."""

import numpy as np
import tensorflow as tf

from nda_tf import checks as arguments
from nda_tf.export import checks, servable

SAMPLE_SIGNATURE = "sample"


class GeneratorSampler(tf.Module):
    """A trained generator as a servable module.

    `serve` maps `z` (and int `labels` when conditional) to uint8 images;
    `sample` draws `num_images` images (with uniform labels when
    conditional) from an int seed: the same seed gives the same images.

    Args:
        generator: Keras model `G(z)` or `G([z, labels])` returning images
            in [-1, 1], `[N, R, R, 3]`.
        z_dim: int, latent size.
        num_classes: int, 1 for an unconditional generator.
        max_images: int, the largest `num_images` `sample` accepts (guards
            the server against a request that exhausts its memory).

    Example:

    >>> G = keras.Sequential([
    ...     keras.Input((8,)),
    ...     keras.layers.Dense(4 * 4 * 3, activation="tanh"),
    ...     keras.layers.Reshape((4, 4, 3)),
    ... ])
    >>> sample = GeneratorSampler(G, z_dim=8).signatures()["sample"]
    >>> seed = tf.constant(0, tf.int64)
    >>> drawn = sample(num_images=tf.constant(2), seed=seed)
    >>> drawn["images"].shape, drawn["images"].dtype
    (TensorShape([2, 4, 4, 3]), tf.uint8)

    The same seed gives the same images:

    >>> again = sample(num_images=tf.constant(2), seed=seed)
    >>> bool(tf.reduce_all(again["images"] == drawn["images"]))
    True

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    def __init__(self, generator, z_dim, num_classes=1, max_images=1024):
        super().__init__(name="generator_sampler")
        arguments.check_int("z_dim", z_dim, 1)
        arguments.check_int("num_classes", num_classes, 1)
        arguments.check_int("max_images", max_images, 1)
        self.generator = generator
        self.z_dim = z_dim
        self.num_classes = num_classes
        self.max_images = max_images

    def _images(self, z, labels):
        z = checks.checked(z, "z", rank=2, last=self.z_dim)
        z = checks.finite_in_range(z, "z")
        inputs = z
        if self.num_classes > 1:
            inputs = [
                z,
                _checked_labels(labels, tf.shape(z)[0], self.num_classes),
            ]
        images = tf.cast(self.generator(inputs, training=False), tf.float32)
        # [-1, 1] -> 0..255, rounded, as a training image was scaled.
        pixels = tf.round((tf.clip_by_value(images, -1.0, 1.0) + 1.0) * 127.5)
        return tf.cast(pixels, tf.uint8)

    def signatures(self):
        inputs = [tf.TensorSpec(None, tf.float32, "z")]
        if self.num_classes > 1:
            inputs.append(tf.TensorSpec(None, tf.int32, "labels"))
        serve = tf.function(
            lambda z, labels=None: {"images": self._images(z, labels)}
        ).get_concrete_function(*inputs)
        count = tf.TensorSpec([], tf.int32, "num_images")
        seed = tf.TensorSpec([], tf.int64, "seed")
        sample = tf.function(self._sample).get_concrete_function(count, seed)
        return {"serving_default": serve, SAMPLE_SIGNATURE: sample}

    def _sample(self, num_images, seed):
        with tf.control_dependencies(
            [
                tf.debugging.assert_positive(
                    num_images, message="num_images must be >= 1; it is"
                ),
                tf.debugging.assert_less_equal(
                    num_images,
                    self.max_images,
                    message=f"num_images must be <= {self.max_images}; it is",
                ),
            ]
        ):
            num_images = tf.identity(num_images)
        seeds = tf.random.experimental.stateless_split(
            tf.stack([seed, tf.constant(0, tf.int64)]), 2
        )
        z = tf.random.stateless_normal([num_images, self.z_dim], seeds[0])
        labels = tf.random.stateless_uniform(
            [num_images], seeds[1], 0, self.num_classes, tf.int32
        )
        return {"images": self._images(z, labels), "labels": labels}


def _checked_labels(labels, count, num_classes):
    labels = checks.checked(labels, "labels", rank=1, min_dims=0)
    with tf.control_dependencies(
        [
            tf.debugging.assert_equal(
                tf.shape(labels)[0],
                count,
                message="labels must have one entry per row of z; count is",
            ),
            tf.debugging.assert_non_negative(
                labels, message="labels must be >= 0; received"
            ),
            tf.debugging.assert_less(
                labels,
                num_classes,
                message=f"labels must be < num_classes={num_classes}; received",
            ),
        ]
    ):
        return tf.identity(labels)


def export_generator(
    generator,
    z_dim,
    out_dir,
    model_name="nda_generator",
    version=1,
    num_classes=1,
    resolution=None,
    metadata=None,
    max_images=1024,
    overwrite=False,
):
    """Exports `generator` as `out_dir/model_name/version/` for TF Serving.

    Signatures: `serving_default` (`z` float32 `[N, z_dim]`, plus `labels`
    int32 `[N]` when conditional -> `images` uint8 `[N, R, R, 3]`) and
    `sample` (`num_images` int32, `seed` int64 -> `images`, `labels`).

    Args:
        generator: Keras model (use the EMA generator of an `NDAGAN`).
        z_dim: int, latent size.
        out_dir: the folder of served models.
        model_name: the model's folder in it.
        version: the version's folder in that.
        num_classes: int, 1 for an unconditional generator.
        resolution: optional int, recorded in the metadata.
        metadata: dict stored in the JSON asset under "run".
        max_images: int, the largest request `sample` accepts.
        overwrite: replace an existing version.

    Returns:
        The version folder path.
    """
    checks.require_finite_weights(generator, "generator")
    sampler = GeneratorSampler(generator, z_dim, num_classes, max_images)
    z = np.zeros([4, z_dim], np.float32)
    inputs = {"z": z}
    if num_classes > 1:
        inputs["labels"] = np.zeros([4], np.int32)
    warmup = [
        servable.predict_log(model_name, "serving_default", inputs),
        servable.predict_log(
            model_name,
            SAMPLE_SIGNATURE,
            {"num_images": np.int32(4), "seed": np.int64(0)},
        ),
    ]
    about = {
        "kind": "nda_generator",
        "z_dim": z_dim,
        "num_classes": num_classes,
        "resolution": resolution,
        "max_images": max_images,
        "signatures": {
            "serving_default": "z: float32 [N, z_dim]"
            + (", labels: int32 [N]" if num_classes > 1 else "")
            + " -> images: uint8 [N, R, R, 3]",
            SAMPLE_SIGNATURE: "num_images: int32, seed: int64 -> "
            "images: uint8 [N, R, R, 3], labels: int32 [N]",
        },
    }
    where = (out_dir, model_name, version, overwrite)
    return servable.save_servable(sampler, about, metadata, warmup, *where)
