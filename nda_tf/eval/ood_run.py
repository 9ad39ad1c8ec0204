"""Anomaly detection from named datasets, for any discriminator.

`evaluate_discriminator` loads the in-distribution test split and the OOD
sets by name, scores them and writes the report. For a trained GAN run
directory, `nda_tf.experiments.ood_study.evaluate_run` reads the run and
calls it; `python -m nda_tf.experiments.ood` is the command.
"""

import logging

from nda_tf.eval import ood, ood_report, ood_sets, scoring

_LOG = logging.getLogger(__name__)
# The paper's OOD-1 sets (TinyImageNet comes as a folder) and OOD-2.
PAPER_OOD_SETS = "svhn_cropped,dtd,places365_small,cifar100,cifar10_corrupted"


def evaluate_discriminator(
    discriminator,
    in_name,
    ood_names,
    out_dir,
    resolution=None,
    split="test",
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
):
    """Scores `in_name` against `ood_names` with `discriminator`; writes the
    report to `out_dir`.

    Args:
        discriminator: a Keras discriminator (see `DiscriminatorScorer`).
        in_name: in-distribution source, any `nda_tf.data.load` name.
        ood_names: OOD set names, comma-separated or a list (see
            `nda_tf.eval.ood_sets`).
        out_dir: where the tables, PNGs and TensorBoard events go.
        resolution: image size; default: the discriminator's input size.
        split: split of every named dataset ("test").
        num_images: optional int, images per set (default: all; required
            for endless sources such as `dots`).
        transform: optional T for the D(x) - D(T(x)) histogram: a transform
            name ("jigsaw") or `corrupt:<name>_<severity>`.
        skip_missing: skip (with a warning) OOD datasets that are not
            prepared here instead of failing.
        step: the step recorded in TensorBoard.

    Returns:
        `(report, paths)`: the `OODReport` and the written files.
    """
    from nda_tf import data

    resolution = resolution or _input_resolution(discriminator)
    in_data, info = data.load(
        in_name, split=split, resolution=resolution, data_dir=data_dir
    )
    if info.num_examples is None and num_images is None:
        raise ValueError(
            f"{in_name!r} is endless: pass num_images to evaluate it"
        )
    sets, skipped = [], []
    for name in ood_sets.split_names(ood_names):
        try:
            sets += ood_sets.resolve(
                name,
                in_data,
                info.resolution,
                split=split,
                data_dir=data_dir,
                num_images=num_images,
                seed=seed,
            )
        except data.DatasetUnavailable as error:
            if not skip_missing:
                raise
            _LOG.warning("skipping %s: %s", name, error)
            skipped.append(name)
    if not sets:
        raise ValueError(f"no OOD set is available; skipped {skipped}")
    report = ood.evaluate(
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
    )
    title = title or f"Anomaly detection: {in_name} against OOD sets"
    paths = ood_report.write(report, out_dir, step=step, title=title)
    if skipped:
        with open(paths["markdown"], "a") as file:
            file.write(f"\nSkipped (not prepared): {', '.join(skipped)}\n")
    return report, paths


def _input_resolution(discriminator):
    inputs = getattr(discriminator, "inputs", None)
    size = inputs[0].shape[1] if inputs else None
    if size is None:
        raise ValueError(
            "cannot read the image size from this discriminator: pass "
            "resolution"
        )
    return int(size)
