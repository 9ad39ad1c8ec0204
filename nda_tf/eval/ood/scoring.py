"""Scores images with a GAN discriminator: its raw logit, batch by batch.

The discriminator of a GAN learns to tell data from everything else, so its
logit `D(x)` is an in-distribution score (higher = more like the training
data); the paper uses it for anomaly detection (Section 5, Table 5) and
compares `D(x)` with `D(T(x))` for a negative transform `T` (Figure 4).

Images stream through in batches, so a dataset never has to fit in memory.
"""

import inspect

import keras
import numpy as np
import tensorflow as tf

from nda_tf import checks, transforms
from nda_tf.eval.batching import batches, is_unbatched, to_float
from nda_tf.eval.ood import sets as ood_sets

LABEL_MAX = "max"


class DiscriminatorScorer:
    """Scores images with a discriminator's raw logit.

    Args:
        discriminator: a Keras model called as `D(images)` or, when
            conditional, `D([images, labels])`, returning logits `[B, 1]`.
        label: for a conditional discriminator, `"max"` (the default: the
            largest logit over all labels, i.e. the best-matching class) or
            an int label used for every image. Ignored when unconditional.
        num_classes: int; read from `discriminator.num_classes` when not
            given. A discriminator with two inputs and no `num_classes`
            needs it (or an int `label`).
        batch_size: int, images per discriminator call.

    Example, with a stand-in discriminator that scores the mean pixel:

    >>> D = keras.Sequential(
    ...     [keras.Input((4, 4, 1)), keras.layers.GlobalAveragePooling2D()]
    ... )
    >>> scorer = DiscriminatorScorer(D)
    >>> images = np.stack([np.full([4, 4, 1], v, "float32") for v in (0.5, -1)])
    >>> scorer.score(images)
    array([ 0.5, -1. ])

    Jigsaw keeps the mean, so this D cannot tell an image from its jigsaw:

    >>> scorer.score_difference(images, "jigsaw")
    array([0., 0.])

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021,
    Section 5.
    """

    def __init__(
        self, discriminator, label=LABEL_MAX, num_classes=None, batch_size=256
    ):
        checks.check_int("batch_size", batch_size, 1)
        self.discriminator = discriminator
        self.batch_size = int(batch_size)
        self.num_classes = _num_classes(discriminator, num_classes)
        self.conditional = (self.num_classes or 1) > 1 or _input_count(
            discriminator
        ) > 1
        _check_label(label, self.num_classes, self.conditional)
        self.label = label
        self._logits = tf.function(self._call, reduce_retracing=True)

    def _call(self, images, labels):
        inputs = [images, labels] if self.conditional else images
        logits = self.discriminator(inputs, training=False)
        return tf.reshape(tf.cast(logits, tf.float32), [-1])

    def score_batch(self, images):
        """Scores one float32 batch in [-1, 1]; returns float64 `[B]`."""
        images = tf.convert_to_tensor(to_float(images))
        self._check_shape(images.shape)
        labels = tf.zeros(tf.shape(images)[:1], tf.int32)
        if self.conditional and self.label == LABEL_MAX:
            classes = range(self.num_classes)
        else:  # an unconditional D ignores the labels
            classes = [self.label if self.conditional else 0]
        logits = [self._logits(images, labels + c).numpy() for c in classes]
        return np.max(logits, axis=0).astype(np.float64)

    def score(self, data, num_images=None, progress=False):
        """Scores every image of `data` (see `batching.batches`).

        Returns:
            float64 array `[N]` of logits.
        """
        return self._map(
            lambda batch, index: self.score_batch(batch),
            data,
            num_images,
            progress,
        )

    def score_difference(
        self, data, transform, num_images=None, seed=0, progress=False
    ):
        """`D(x) - D(T(x))` for every image `x` of `data` (paper Fig. 4).

        Args:
            transform: anything `nda_tf.transforms.get` accepts (e.g.
                `"jigsaw"`), a local corruption `"corrupt:<name>_<severity>"`
                (see `ood_sets`), or a callable mapping a float batch in
                [-1, 1] to a batch of the same shape, called as
                `transform(batch)` or, when it takes two arguments,
                `transform(batch, seed)` (e.g.
                `ood_sets.corruption_function("snow")`).
            seed: int; batch `i` is transformed with seed `(seed, i)`.

        Returns:
            float64 array `[N]`; large values mean that D tells the image
            from its transformed version.
        """
        apply = _transform_fn(transform)

        def difference(batch, index):
            transformed = np.asarray(apply(batch, (seed, index)), np.float32)
            if transformed.shape != batch.shape:
                raise ValueError(
                    f"the transform changed the batch shape from "
                    f"{batch.shape} to {transformed.shape}"
                )
            return self.score_batch(batch) - self.score_batch(transformed)

        return self._map(difference, data, num_images, progress)

    def _map(self, function, data, num_images, progress):
        """`function(float batch, batch index)` over `data`, concatenated."""
        bar = _progress(data, num_images, progress)
        results = []
        for index, batch in enumerate(
            batches(data, self.batch_size, num_images)
        ):
            results.append(function(to_float(batch), index))
            if bar is not None:
                bar.add(len(batch))
        return np.concatenate(results) if results else np.zeros([0])

    def _check_shape(self, shape):
        inputs = getattr(self.discriminator, "inputs", None)
        if not inputs:
            return
        expected = tuple(inputs[0].shape[1:])
        received = tuple(shape[1:])
        if len(expected) == len(received) and all(
            e is None or e == r for e, r in zip(expected, received, strict=True)
        ):
            return
        raise ValueError(
            f"the discriminator takes images of shape {expected}; received "
            f"a batch of shape {tuple(shape)} (load the data at the "
            "discriminator's resolution)"
        )


def score_images(
    discriminator,
    data,
    label=LABEL_MAX,
    num_classes=None,
    batch_size=256,
    num_images=None,
    progress=False,
):
    """`D(x)` for every image of `data`; see `DiscriminatorScorer`."""
    scorer = DiscriminatorScorer(discriminator, label, num_classes, batch_size)
    return scorer.score(data, num_images, progress)


def score_difference(
    discriminator,
    data,
    transform,
    label=LABEL_MAX,
    num_classes=None,
    batch_size=256,
    num_images=None,
    seed=0,
    progress=False,
):
    """`D(x) - D(T(x))` for every image of `data`; see
    `DiscriminatorScorer.score_difference`."""
    scorer = DiscriminatorScorer(discriminator, label, num_classes, batch_size)
    return scorer.score_difference(data, transform, num_images, seed, progress)


def _transform_fn(transform):
    if isinstance(transform, str) and transform.startswith("corrupt:"):
        corruption = ood_sets.parse_corruption(transform[len("corrupt:") :])
        transform = ood_sets.corruption_function(*corruption)
    if callable(transform) and not isinstance(transform, keras.layers.Layer):
        try:
            inspect.signature(transform).bind(None, None)
        except (TypeError, ValueError):  # one argument: no seed
            return lambda batch, seed: transform(batch)
        return transform
    layer = transforms.get(transform)
    if layer is None:
        raise ValueError(
            f"score_difference needs a transform; received {transform!r}"
        )

    return lambda batch, seed: layer.transform_with_seed(batch, seed).numpy()


def _num_classes(discriminator, num_classes):
    """The number of labels, or None when unknown."""
    if num_classes is None:
        num_classes = getattr(discriminator, "num_classes", None)
    return checks.check_int("num_classes", num_classes, 1, allow_none=True)


def _check_label(label, num_classes, conditional):
    if label == LABEL_MAX:
        if conditional and num_classes is None:
            raise ValueError(
                "this discriminator takes [images, labels]: pass num_classes "
                "(to score with the best label) or an int label"
            )
        return
    high = num_classes - 1 if conditional and num_classes else None
    checks.check_int("label", label, 0, high)


def _input_count(model):
    return len(getattr(model, "inputs", None) or [])


def _progress(data, num_images, enabled):
    if not enabled:
        return None
    total = num_images
    if total is None and not isinstance(data, tf.data.Dataset):
        total = None if callable(data) else len(data)
    elif total is None and is_unbatched(data):
        cardinality = int(data.cardinality())
        total = cardinality if cardinality >= 0 else None
    return keras.utils.Progbar(total, unit_name="image")
