"""A GAN run for TF Serving (the GAN recipe's `export` hook): the
discriminator as a calibrated OOD detector, the EMA generator as a
sampler (`nda_tf.export`)."""

import numpy as np

from nda_tf import data, export


def calibration_images(config, options, count=None):
    """Opens the detector's calibration source (`calibration_data`, by
    default the run's dataset); with `count`, returns that many float
    images in [-1, 1] at the run's resolution."""
    name = options["calibration_data"] or config["dataset"]
    split, data_dir = options["calibration_split"], options["data_dir"]
    ds, _ = data.load(
        name,
        split,
        config.get("resolution"),
        data_dir or config.get("data_dir"),
    )
    if count is not None:
        images = [image for image, _ in ds.take(count).as_numpy_iterator()]
        if len(images) < 2:
            raise ValueError(f"{name!r} ({split}) gave {len(images)} images")
        return np.stack(images)


def export_gan(gan, config, what, out, options, metadata):
    """Writes the parts `what` of `gan`; returns `{part: folder}`."""
    metadata = {**metadata, "transform": config["nda"], "lam": config["lam"]}
    common = {
        "version": options["version"],
        "num_classes": config["num_classes"],
        "metadata": metadata,
        "overwrite": options["overwrite"],
    }
    paths = {}
    if "discriminator" in what:
        images = calibration_images(config, options, options["num_calibration"])
        paths["discriminator"] = export.export_ood_detector(
            gan.discriminator,
            config["resolution"],
            images,
            out,
            options["detector_name"],
            label=options["label"],
            tpr=options["tpr"],
            nda=config["nda"] or "jigsaw",
            **common,
        )
    if "generator" in what:
        paths["generator"] = export.export_generator(
            gan.ema_generator,
            config["z_dim"],
            out,
            options["generator_name"],
            resolution=config["resolution"],
            **common,
        )
    return paths
