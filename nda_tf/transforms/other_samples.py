"""Negatives drawn from a separate source: other classes, other counts."""

import keras
import numpy as np
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.data import dots
from nda_tf.transforms import registry
from nda_tf.transforms.base import NDATransform, fold_time_into_channels


@keras.saving.register_keras_serializable(package="nda_tf")
class OtherSamples(NDATransform):
    """Returns images drawn from another source instead of transforming.

    Used for the "other classes" NDA and the numerosity experiment (Appendix
    A), where the negatives are real-looking images that the model must not
    generate (e.g. images with the wrong number of dots).

    Args:
        source: one of
            - an array `[N, H, W, C]` (or clips `[N, T, H, W, C]`): each output
              image is drawn uniformly, with replacement, from it;
            - a `tf.data.Dataset` of such images (batched or not): up to
              `bank_size` of them are read once, at construction, into an
              array as above, so the layer then works in any context (XLA,
              `tf.data`, replicas);
            - a callable `source(batch_size, seed)` returning a batch of
              images, with `seed` a `[2]` int64 tensor. Serializable when it
              is a registered Keras object.
            The source must give images in the same value range as the
            batches the layer is called on; the dtype is cast to theirs.
        bank_size: int, most images read from a dataset source.
        seed: optional int for reproducible draws.

    Example: a hand-made transformation picks bank images by index.

    >>> bank = np.arange(3, dtype="float32")[:, None, None, None]
    >>> layer = OtherSamples(bank, seed=0)
    >>> negatives = layer(tf.ones([8, 1, 1, 1]))  # random bank images
    >>> picks = {"indices": [2, 0]}
    >>> layer.transform_images(tf.ones([2, 1, 1, 1]), picks)[:, 0, 0, 0].numpy()
    array([2., 0.], dtype=float32)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    def __init__(self, source, bank_size=10_000, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.keep_arguments(
            bank_size=checks.check_int("bank_size", bank_size, 1)
        )
        if isinstance(source, tf.data.Dataset):
            source = _read_bank(source, bank_size)
        if callable(source) and not isinstance(source, (np.ndarray, tf.Tensor)):
            self.source = source
            self._bank = None
        else:
            self._bank = _as_bank(source)
            self.source = None

    def sample(self, batch_size, height, width, seed):
        if self._bank is None:
            return {"samples": self.source(batch_size, seed)}
        indices = nda_random.uniform(
            [batch_size], seed, maxval=tf.shape(self._bank)[0], dtype=tf.int32
        )
        return {"indices": indices}

    def apply(self, images, transformation):
        if "indices" in transformation:
            samples = tf.gather(self._bank, transformation["indices"])
        else:
            samples = tf.convert_to_tensor(transformation["samples"])
        if samples.shape.rank == 5:
            # Clips from the source, folded like the clips being replaced.
            samples = fold_time_into_channels(samples)
        if samples.shape.rank != 4 or not (
            samples.shape[1:].is_compatible_with(images.shape[1:])
        ):
            raise ValueError(
                f"{self.name}: the source gives samples of shape "
                f"{samples.shape[1:]} but the images have shape "
                f"{images.shape[1:]}"
            )
        return tf.cast(samples, images.dtype)

    def get_config(self):
        config = super().get_config()
        source = self._bank.numpy() if self._bank is not None else self.source
        config["source"] = keras.saving.serialize_keras_object(source)
        return config


def _read_bank(dataset, bank_size):
    """Reads up to `bank_size` images from a dataset of batches (or of single
    images, when its elements have rank 3)."""
    spec = dataset.element_spec
    if not isinstance(spec, tf.TensorSpec) or spec.shape.rank not in (3, 4, 5):
        raise ValueError(
            "OtherSamples needs a dataset of image batches [b, H, W, C], clip "
            "batches [b, T, H, W, C] or single images [H, W, C]; received "
            f"elements {spec}"
        )
    if spec.shape.rank > 3:
        dataset = dataset.unbatch()
    for bank in dataset.take(bank_size).batch(bank_size):
        return bank.numpy()
    raise ValueError("OtherSamples received an empty dataset")


def _as_bank(source):
    try:
        bank = tf.convert_to_tensor(source)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "OtherSamples source must be an array of images, a tf.data."
            f"Dataset or a callable; received {type(source).__name__}"
        ) from error
    if bank.shape.rank not in (4, 5) or bank.shape[0] == 0:
        raise ValueError(
            "OtherSamples needs a non-empty bank of images [N, H, W, C] or "
            f"clips [N, T, H, W, C]; received shape {bank.shape}"
        )
    return bank


@registry.register("dots")
@keras.saving.register_keras_serializable(package="nda_tf")
class OtherDots(OtherSamples):
    """Negatives for the numerosity experiment: dots images of other counts.

    Each negative is a dots image (`nda_tf.data.dots`) showing one of
    `counts` dots, drawn from a bank rendered once at construction; the
    counts are spread evenly over the bank. Paper Appendix A trains on
    images with k dots and uses images with nearby counts as NDA, so the
    discriminator learns that those counts are not real.

    Args:
        counts: ints, the dot counts of the negatives (e.g. (4, 5, 7)).
        size: image height and width (the training resolution).
        radius: disc radius, as in the training images.
        bank_size: int, images in the bank.
        bank_seed: int, seed of the bank's images.
        seed: optional int for the draws from the bank.

    Example: each negative shows 4, 5 or 7 dots
    (`nda_tf.eval.counting.count_dots`, with the "studies" extra,
    counts them).

    >>> nda = OtherDots(counts=(4, 5, 7), size=32, bank_size=30)
    >>> negatives = nda(tf.zeros([8, 32, 32, 3]))
    >>> negatives.shape, nda.counts
    (TensorShape([8, 32, 32, 3]), [4, 5, 7])

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021,
    Appendix A.
    """

    def __init__(
        self,
        counts=(4, 5, 7),
        size=32,
        radius=3,
        bank_size=2048,
        bank_seed=1,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("source", None)  # rebuilt from the counts, never stored
        counts = dots.check_options(counts, size, radius)
        checks.check_int("bank_size", bank_size, 1)
        if bank_size < len(counts):
            raise ValueError(
                f"bank_size {bank_size} is smaller than the {len(counts)}"
                " counts"
            )
        per_image = [counts[i % len(counts)] for i in range(bank_size)]
        # A distinct stream (2**31 + seed) so the bank never repeats the
        # images of a training stream with the same seed.
        bank = dots.render(per_image, size, radius, seed=2**31 + bank_seed)
        bank = bank.astype(np.float32) / 127.5 - 1.0
        super().__init__(bank, bank_size=bank_size, seed=seed, **kwargs)
        self.keep_arguments(
            counts=list(counts), size=size, radius=radius, bank_seed=bank_seed
        )

    def get_config(self):
        # The bank is rendered again from the counts, never stored.
        return NDATransform.get_config(self)


def select_classes(labels, classes):
    """Checks class ids against the labels' range; returns a boolean mask
    of the examples whose label is in `classes`.

    Args:
        labels: int array of the dataset's labels.
        classes: non-empty sequence of distinct int class ids.
    """
    ids = [checks.check_int("class id", c, 0) for c in classes]
    if not ids or len(set(ids)) != len(ids):
        raise ValueError(
            f"classes must be distinct class ids, at least one; received "
            f"{list(classes)}"
        )
    return np.isin(np.asarray(labels), ids)


def _unbound(batch_size, seed):
    raise ValueError(
        "other_classes needs its dataset: give it as other_classes("
        "dataset='cifar10', classes=(3,)), or use it from the GAN command, "
        "which fills in --dataset and --classes"
    )


@registry.register("other_classes")
@keras.saving.register_keras_serializable(package="nda_tf")
class OtherClasses(OtherSamples):
    """Negatives from the classes a run does not train on (Appendix B).

    The run trains on the images of `classes`; each negative is an image of
    any other class of the same dataset, drawn from a bank of up to
    `bank_size` of them read once at construction (spread over the whole
    split by a seeded choice). Without a dataset the layer is a placeholder
    that the GAN recipe completes from the run's `--dataset`, `--split`,
    `--resolution`, `--data_dir` and `--classes`.

    Args:
        dataset: a source name `nda_tf.data.load` accepts, or None.
        classes: ids of the classes trained on (their images never become
            negatives).
        split: as for `nda_tf.data.read_arrays`.
        resolution: as for `nda_tf.data.read_arrays`.
        data_dir: as for `nda_tf.data.read_arrays`.
        bank_size: int, most images in the bank.
        bank_seed: int, seed of the choice of bank images.
        seed: optional int for the draws from the bank.

    Example (a placeholder until the recipe gives it a dataset):

    >>> OtherClasses().dataset is None
    True

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021,
    Appendix B ("other classes").
    """

    def __init__(
        self,
        dataset=None,
        classes=(),
        split="train",
        resolution=None,
        data_dir=None,
        bank_size=10_000,
        bank_seed=0,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("source", None)  # read again from the dataset
        checks.check_int("bank_size", bank_size, 1)
        checks.check_int("bank_seed", bank_seed, 0)
        classes = [int(c) for c in classes]
        source = _unbound
        if dataset is not None:
            source = _other_class_bank(
                dataset, classes, split, resolution, data_dir, bank_size,
                bank_seed,
            )  # fmt: skip
        super().__init__(source, bank_size=bank_size, seed=seed, **kwargs)
        self.keep_arguments(
            dataset=dataset,
            classes=classes,
            split=split,
            resolution=resolution,
            data_dir=data_dir,
            bank_seed=bank_seed,
        )

    def get_config(self):
        # The bank is read again from the dataset, never stored.
        return NDATransform.get_config(self)


def _other_class_bank(
    dataset, classes, split, resolution, data_dir, bank_size, bank_seed
):
    from nda_tf.data import images, sources

    image_array, labels, _ = sources.read_arrays(
        dataset, split, resolution, data_dir
    )
    others = np.flatnonzero(~select_classes(labels, classes))
    if not len(others):
        raise ValueError(
            f"{dataset!r} split {split!r} has no image outside classes "
            f"{classes}: other_classes has no negatives"
        )
    if len(others) > bank_size:
        rng = np.random.default_rng(bank_seed)
        others = np.sort(rng.choice(others, bank_size, replace=False))
    return images.to_float(image_array[others]).numpy()


def _not_loaded(batch_size, seed):
    raise AssertionError("the CLEVR bank is loaded before sampling")


@registry.register("clevr")
@keras.saving.register_keras_serializable(package="nda_tf")
class OtherClevr(OtherSamples):
    """Negatives for the CLEVR numerosity run: scenes with other counts.

    Each negative is a CLEVR scene (tfds `clevr`, or a CLEVR folder, see
    `nda_tf.data.clevr`) whose metadata lists one of `counts` objects,
    drawn from a bank of up to `bank_size` scenes. The bank is read on
    first use, not at construction, so that naming the transform (a flag
    being checked) reads no data. Paper Appendix A: training on scenes
    with k objects, negatives with k - 1 and k + 1.

    Args:
        counts: the object counts of the negatives: ints in 3..10 for
            tfds (CLEVR v1.0 has no other counts), any ints >= 1 with
            `folder`.
        resolution: image size (the training resolution).
        split: as for `nda_tf.data.read_arrays`.
        data_dir: as for `nda_tf.data.read_arrays`.
        folder: optional CLEVR folder (the CLEVR_v1.0 zip's layout, as the
            official generator writes it) read instead of tfds, e.g.
            scenes rendered with one and three objects.
        bank_size: int, most scenes in the bank (the first ones found).
        seed: optional int for the draws from the bank.

    Example (no data is read until the layer is used):

    >>> OtherClevr(counts=(3, 5)).counts
    [3, 5]
    >>> OtherClevr(counts=(1, 3), folder="/data/clevr_1to3").counts
    [1, 3]

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021,
    Appendix A; Zhao et al., "Bias and Generalization in Deep Generative
    Models", NeurIPS 2018.
    """

    def __init__(
        self,
        counts=(3, 5),
        resolution=64,
        split="train",
        data_dir=None,
        bank_size=2048,
        seed=None,
        folder=None,
        **kwargs,
    ):
        from nda_tf.data import clevr

        kwargs.pop("source", None)  # read again from the data, never stored
        counts = list(clevr.parse(clevr.source_name(counts, folder)))
        checks.check_int("resolution", resolution, 1)
        super().__init__(_not_loaded, bank_size=bank_size, seed=seed, **kwargs)
        self.keep_arguments(
            counts=counts,
            resolution=resolution,
            split=split,
            data_dir=data_dir,
            folder=folder,
        )

    def sample(self, batch_size, height, width, seed):
        if self._bank is None:
            # The first use is usually inside the traced training step:
            # the bank is read eagerly all the same (a graph tensor has no
            # numpy value), once, and kept as a constant.
            with tf.init_scope():
                self._bank = _as_bank(self._read_bank())
            self.source = None
        return super().sample(batch_size, height, width, seed)

    def _read_bank(self):
        from nda_tf.data import clevr, sources

        name = clevr.source_name(self.counts, self.folder)
        dataset, _ = sources.load(
            name, self.split, self.resolution, self.data_dir
        )
        return _read_bank(dataset.map(lambda image, _: image), self.bank_size)

    def get_config(self):
        return NDATransform.get_config(self)
