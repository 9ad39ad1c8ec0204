"""A mixture of transforms: each image gets one of them."""

import keras
import numpy as np
import tensorflow as tf

from nda_tf import random as nda_random
from nda_tf.transforms import registry
from nda_tf.transforms.base import (
    NDATransform,
    fold_time_into_channels,
    select,
    unfold_time_from_channels,
)


@registry.register_mixture
@keras.saving.register_keras_serializable(package="nda_tf")
class RandomChoice(NDATransform):
    """Applies one transform per image, chosen at random from a list.

    Every listed transform is sampled and applied to the whole batch and each
    image keeps the output of its own choice; with a few cheap transforms this
    costs less than splitting and re-joining the batch.

    Args:
        transforms: non-empty list of transforms, or anything
            `nda_tf.transforms.get` accepts for each entry.
        probabilities: optional list of non-negative floats, one per
            transform (normalized to sum to 1; default uniform).
        seed: optional int for reproducible draws.

    Example: `choice` holds each image's pick; here always the second.

    >>> images = tf.zeros([4, 8, 8, 3])
    >>> layer = RandomChoice(["jigsaw", "stitch"], probabilities=[0, 1])
    >>> negatives = layer(images)  # all stitched
    >>> layer.get_random_transformation(images, seed=0)["choice"].numpy()
    array([1, 1, 1, 1], dtype=int32)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    def __init__(self, transforms, probabilities=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(transforms, (str, dict)) or not transforms:
            raise ValueError(
                "transforms must be a non-empty list of transforms, received "
                f"{transforms!r}"
            )
        layers = [registry.get(t) for t in transforms]
        if any(t is None for t in layers):
            raise ValueError(f"transforms may not contain 'none': {transforms}")
        if probabilities is not None:
            probabilities = [float(p) for p in probabilities]
            if len(probabilities) != len(layers) or (
                min(probabilities) < 0 or sum(probabilities) <= 0
            ):
                raise ValueError(
                    f"probabilities must be {len(layers)} "
                    "non-negative numbers, one per transform, not all 0; "
                    f"received {probabilities}"
                )
        self.keep_arguments(transforms=layers, probabilities=probabilities)
        self.needs_partner = any(t.needs_partner for t in self.transforms)
        # Clips reach apply() unfolded; _apply_child folds per child.
        self.folds_time = False
        self.computes_values = any(t.computes_values for t in self.transforms)

    def build(self, input_shape):
        for transform in self.transforms:
            transform.build(input_shape)
        self.built = True

    def sample(self, batch_size, height, width, seed):
        seeds = nda_random.split_seed(seed, len(self.transforms) + 1)
        probabilities = self.probabilities or [1.0] * len(self.transforms)
        # Inverse CDF rather than tf.random.stateless_categorical, which
        # does not compile with XLA on CPU.
        edges = np.cumsum(probabilities[:-1]) / sum(probabilities)
        draw = nda_random.uniform([batch_size], seeds[0])
        choice = tf.reduce_sum(
            tf.cast(draw[:, None] >= tf.constant(edges, tf.float32), tf.int32),
            axis=1,
        )
        children = tuple(
            t.sample(batch_size, height, width, s)
            for t, s in zip(self.transforms, seeds[1:], strict=True)
        )
        return {"choice": choice, "children": children}

    def apply(self, images, transformation):
        """Images arrive as they are, clips unfolded: each child folds a
        clip's frames into channels only if it is a spatial transform."""
        output = images
        chosen_shape = [-1] + [1] * (images.shape.rank - 1)
        for index, transform in enumerate(self.transforms):
            child = _apply_child(
                transform, images, transformation["children"][index]
            )
            chosen = tf.equal(transformation["choice"], index)
            output = select(tf.reshape(chosen, chosen_shape), child, output)
        return output


def _apply_child(transform, images, transformation):
    if images.shape.rank == 5 and transform.folds_time:
        folded = transform.apply(
            fold_time_into_channels(images), transformation
        )
        return unfold_time_from_channels(folded, tf.shape(images))
    return transform.apply(images, transformation)
