"""Anomaly detection from named datasets, for any discriminator.

`evaluate_discriminator` loads the in-distribution test split and the OOD
sets by name, scores them and writes the report. For a trained GAN run
directory, `nda_tf.studies.ood.study.evaluate_run` reads the run and
calls it; `python -m nda_tf.experiments.ood` is the command.
"""

import logging

from nda_tf.eval.ood import detection, scoring
from nda_tf.eval.ood import report as ood_report
from nda_tf.eval.ood import sets as ood_sets

_LOG = logging.getLogger(__name__)


# Sources without splits: a folder or an npz file is one set of images.
SPLITLESS = ("folder:", "npz:", "dots")
DEFAULT_SPLIT = "test"


def evaluate_discriminator(
    discriminator,
    in_name,
    ood_names,
    out_dir,
    resolution=None,
    split=None,
    data_dir=None,
    num_images=None,
    transform=None,
    label=scoring.LABEL_MAX,
    num_classes=None,
    batch_size=256,
    skip_missing=False,
    seed=0,
    step=0,
    progress=True,
    title=None,
    training_source=None,
    training_split=None,
    cache_dir=None,
    corruptions=None,
):
    """Scores `in_name` against `ood_names` with `discriminator`; writes the
    report to `out_dir`.

    The in-distribution images are never the training images by accident:
    see `in_distribution`, which also logs what was chosen.

    Args:
        discriminator: a Keras discriminator (see `DiscriminatorScorer`).
        in_name: in-distribution source, any `nda_tf.data.load` name; None
            for the test split of `training_source`.
        ood_names: OOD set names, comma-separated or a list (see
            `nda_tf.eval.ood.sets`).
        out_dir: where the tables, PNGs and TensorBoard events go.
        resolution: image size; default: the discriminator's input size.
        split: split of every named tfds dataset (None: "test"); folders
            and npz files have none, so an explicit split for such an
            in-distribution source is an error.
        num_images: optional int, images per set (default: all; required
            for endless sources such as `dots`): a seeded random subset,
            stratified by label where there are labels.
        transform: optional T for the D(x) - D(T(x)) histogram: a transform
            name ("jigsaw") or `corrupt:<name>_<severity>`.
        skip_missing: skip (with a warning) OOD datasets that are not
            prepared here instead of failing.
        step: the step recorded in TensorBoard.
        training_source: the dataset the discriminator was trained on,
            to keep its training images out of the in-distribution set.
        training_split: the split of it the discriminator was trained
            on.
        cache_dir: optional cache folder of the corrupted sets (`corrupt:`
            OOD sets and transforms), computed once per image set.
        corruptions: None (names as given), "tfds" (every corruption set
            and transform from tfds CIFAR-10-C, `cifar10_corrupted`) or
            "local" (computed here, `corrupt`); see
            `ood_sets.choose_corruptions`. The choice is logged.

    Returns:
        `(report, paths)`: the `OODReport` and the written files.
    """
    from nda_tf import data

    resolution = resolution or _input_resolution(discriminator)
    in_name, in_split = in_distribution(
        in_name, split, training_source, training_split
    )
    in_data, info = data.load(
        in_name, split=in_split, resolution=resolution, data_dir=data_dir
    )
    if info.num_examples is None and num_images is None:
        raise ValueError(
            f"{in_name!r} is endless: pass num_images to evaluate it"
        )
    endless = ood_sets.is_endless(in_data)
    if num_images is not None:  # an endless source: its first images
        in_data = ood_sets.subset(in_data, num_images, seed)
    _LOG.info(
        "in-distribution: %s (%s), %s",
        in_name,
        f"{in_split} split" if in_split else "no splits",
        _count(info, num_images, seed, endless),
    )
    split = split or DEFAULT_SPLIT
    if corruptions is not None:
        ood_names, transform = _choose_corruptions(
            ood_names, transform, corruptions
        )

    def resolve(name, **cache):
        return ood_sets.resolve(
            name, in_data, info.resolution, split=split, data_dir=data_dir,
            num_images=num_images, seed=seed, **cache,
        )  # fmt: skip

    sets, skipped = [], []
    for name in ood_sets.split_names(ood_names):
        try:
            sets += resolve(name, cache_dir=cache_dir)
        except data.DatasetUnavailable as error:
            if not skip_missing:
                raise _with_alternative(error, name) from None
            _LOG.warning("skipping %s: %s", name, error)
            skipped.append(name)
    if not sets:
        raise ValueError(f"no OOD set is available; skipped {skipped}")
    # Figure 8's T from tfds: the CIFAR-10-C copies of the test images.
    paired = {}
    names = {s.name for s in sets}
    for name in detection._transforms(transform):
        if ood_sets.is_tfds_corruption(name) and name not in names:
            try:
                (found,) = resolve(name)
            except data.DatasetUnavailable as error:
                raise _with_alternative(error, name) from None
            paired[name] = found.data
    report = detection.evaluate(
        discriminator,
        in_data,
        sets,
        label=label,
        num_classes=num_classes,
        batch_size=batch_size,
        num_images=num_images,
        transform=transform,
        seed=seed,
        progress=progress,
        cache_dir=cache_dir,
        paired=paired,
    )
    title = title or f"Anomaly detection: {in_name} against OOD sets"
    paths = ood_report.write(report, out_dir, step=step, title=title)
    if skipped:
        with open(paths["markdown"], "a") as file:
            file.write(f"\nSkipped (not prepared): {', '.join(skipped)}\n")
    return report, paths


def _choose_corruptions(ood_names, transform, source):
    """`(ood_names, transform)` with their corruption sets from `source`;
    logs the choice and every renamed set."""
    ood_names, changed = ood_sets.choose_corruptions(ood_names, source)
    transforms = detection._transforms(transform)
    if transforms and all(isinstance(t, str) for t in transforms):
        transform, more = ood_sets.choose_corruptions(transforms, source)
        changed += more
    what = {
        "tfds": "CIFAR-10-C's own images from tfds (cifar10_corrupted)",
        "local": "the 19 corruptions computed here with CIFAR-10-C's "
        "parameters (another random stream: not CIFAR-10-C's images)",
    }[source]
    renamed = ", ".join(f"{old} -> {new}" for old, new in changed)
    _LOG.info(
        "corruptions: %s: %s%s",
        source,
        what,
        f"; renamed {renamed}" if renamed else "",
    )
    return ood_names, transform


def _with_alternative(error, name):
    """A missing tfds CIFAR-10-C set's error, naming the offline way."""
    from nda_tf import data

    if not str(name).startswith("cifar10_corrupted"):
        return error
    return data.DatasetUnavailable(
        f"{error}; offline alternative: --corruptions=local (the 19 "
        "corruptions computed here with CIFAR-10-C's parameters)"
    )


def in_distribution(in_name, split, training_source, training_split=None):
    """`(source, split)` of the in-distribution images, split None for
    sources without splits.

    The default is the test split of the training dataset. Folders and npz
    files have no splits: their images are the training images, so without
    an explicit `in_name` that is an error, and an explicit `in_name` that
    is the training source itself is said in the log. An explicit split
    for such a source is an error, not silently ignored.
    """
    explicit = in_name is not None
    name = in_name if explicit else training_source
    if not name:
        raise ValueError("no in-distribution source: pass --in=SOURCE")
    if not name.startswith(SPLITLESS):
        split = split or DEFAULT_SPLIT
        if name == training_source and split == training_split:
            _LOG.warning(
                "in-distribution: %s %s split is the split the "
                "discriminator was trained on",
                name,
                split,
            )
        return name, split
    if split is not None:
        raise ValueError(
            f"--split={split} does not apply to {name}: folder:, npz: and "
            "dots sources have no splits (all their images are used); "
            "leave --split out and give held-out images with --in"
        )
    if name.startswith("dots"):
        return name, None  # endless and freshly drawn: no training images
    if not explicit:
        raise ValueError(
            f"the run was trained on {name}, which has no test split: its "
            "images are the training images; pass --in=SOURCE with held-out "
            "images (e.g. --in=folder:PATH_TO_TEST_IMAGES)"
        )
    if name == training_source:
        _LOG.warning(
            "in-distribution: %s is the discriminator's training data; "
            "AUROCs against training images overstate anomaly detection",
            name,
        )
    return name, None


def _count(info, num_images, seed, endless):
    if endless:
        return f"{num_images} images drawn"
    if num_images is None:
        return "all images"
    labels = "stratified by label" if info.num_classes > 1 else "unlabeled"
    return (
        f"at most {num_images} images: a seeded random subset (seed {seed}, "
        f"{labels})"
    )


def _input_resolution(discriminator):
    inputs = getattr(discriminator, "inputs", None)
    size = inputs[0].shape[1] if inputs else None
    if size is None:
        raise ValueError(
            "cannot read the image size from this discriminator: pass "
            "resolution"
        )
    return int(size)
