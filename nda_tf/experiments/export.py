"""Exports a trained run for TensorFlow Serving.

    python -m nda_tf.experiments.export --logdir=runs/cifar10_jigsaw \
        --out=serving --what=discriminator,generator

writes `serving/nda_ood/1/` (the discriminator as an OOD detector: threshold
at 95% true-positive rate and a logistic calibration, both fitted on
`--num_calibration` held-out images of `--calibration_data`, by default the
run's dataset, test split) and `serving/nda_generator/1/` (the EMA
generator). The run's configuration and its latest evaluation metrics go
into each model's `assets/metadata.json`. Serve them with the files in
`export/` (see export/README.md). Runtime: under a minute for a CIFAR-10
BigGAN on a CPU (1000 calibration images). A MoCo run exports its encoder
(`--what=encoder`, the default there) to `serving/<version>/`, a DPC run
its clip encoder (uint8 clips -> embedding, `--what=clip_encoder`).
"""

import glob
import os

from nda_tf import training
from nda_tf.experiments import cli
from nda_tf.training import DATA_ACCESS_OPTIONS, Option

OPTIONS = (
    Option("logdir", None, "the run directory", kind="str"),
    Option("out", None, "the serving base folder", kind="str"),
    Option(
        "what",
        None,
        "what to export (default: all the run has; a GAN's discriminator "
        "and generator, a MoCo run's encoder, a Pix2Pix run's translator)",
        kind="list",
    ),
    Option("checkpoint", "latest", "latest, best or a folder"),
    Option(
        "calibration_data",
        None,
        "nda_tf.data source (default: the run's)",
        kind="str",
    ),
    Option("calibration_split", "test", "its split"),
    Option("num_calibration", 1000, "held-out calibration images", low=2),
    Option(
        "tpr",
        0.95,
        "in-distribution rate kept above threshold, in (0, 1]",
        low=0.0,
        high=1.0,
        low_open=True,
    ),
    Option(
        "label",
        None,
        "conditional D: score with this class",
        kind="int",
        low=0,
    ),
    Option("detector_name", "nda_ood", "served detector name"),
    Option("generator_name", "nda_generator", "served G name"),
    Option("translator_name", "nda_pix2pix", "served Pix2Pix G name"),
    Option("version", 1, "model version"),
    Option("overwrite", False, "replace an existing version"),
    Option("data_dir", None, "tfds data directory", kind="str"),
    *DATA_ACCESS_OPTIONS,
)


def latest_scalars(folder):
    """The last value of every scalar in the TensorBoard events of `folder`."""
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    values = {}
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents*"))):
        # (tf.compat.v1.train.summary_iterator warns that it is deprecated.)
        for record in tf.data.TFRecordDataset(path):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    number = value.simple_value
                elif value.HasField("tensor"):
                    array = tf.make_ndarray(value.tensor)
                    if array.size != 1 or not array.dtype.kind == "f":
                        continue
                    number = float(array.reshape(()))
                else:
                    continue
                values[value.tag] = (event.step, float(number))
    return {tag: {"step": s, "value": v} for tag, (s, v) in values.items()}


def calibration_images(config, name, split, count, data_dir):
    """`count` float images in [-1, 1] at the run's resolution."""
    import numpy as np

    from nda_tf import data

    ds, _ = data.load(
        name, split=split, resolution=config["resolution"], data_dir=data_dir
    )
    images = [image for image, _ in ds.take(count).as_numpy_iterator()]
    if len(images) < 2:
        raise ValueError(f"{name!r} ({split}) gave {len(images)} images")
    return np.stack(images)


def export_run(logdir, out, what=None, checkpoint="latest", **options):
    """Exports a run; returns `{what: version folder}`.

    `what` lists any of the run's exportable parts (`Recipe.exports`: a
    GAN's discriminator and generator, a MoCo run's encoder); None: all.
    """
    from nda_tf import export, training
    from nda_tf.experiments import recipes

    recipe = recipes.of_run(logdir)
    what = list(recipe.exports if what is None else what)
    unknown = set(what) - set(recipe.exports)
    if unknown or not what:
        raise ValueError(
            f"what must list any of {', '.join(recipe.exports)} for this "
            f"{recipe.name} run; received {what!r}"
        )
    _check_targets(out, what, options)
    if "discriminator" in what:
        _check_calibration_data(logdir, options)
    model, config = training.load_run(recipe, logdir, checkpoint)
    # A diverged run is refused before any calibration or writing.
    export.checks.require_finite_weights(model, f"the {recipe.name} model")
    if "clip_encoder" in what:
        from nda_tf.video.export import export_clip_encoder

        path = export_clip_encoder(
            model, out, config["resolution"], options.get("version")
        )
        return {"clip_encoder": path}
    if "encoder" in what:
        from nda_tf.contrastive import export_encoder

        path = export_encoder(
            model.encoder, out, config["resolution"], options.get("version")
        )
        return {"encoder": path}
    if "translator" in what:
        path = export.export_translator(
            model.generator,
            out,
            options.get("translator_name", "nda_pix2pix"),
            options.get("version", 1),
            dropout=config.get("inference_dropout", True),
            resolution=config["resolution"],
            metadata={
                "logdir": os.path.abspath(logdir),
                "step": config["step"],
            },
            overwrite=options.get("overwrite", False),
        )
        return {"translator": path}
    gan = model
    metadata = {
        "logdir": os.path.abspath(logdir),
        "checkpoint": checkpoint,
        "step": config["step"],
        "config": training.read_config(logdir),
        "transform": config.get("nda"),
        "lam": config.get("lam"),
        "evaluation": latest_scalars(os.path.join(logdir, "eval")),
    }
    paths = {}
    if "discriminator" in what:
        images = calibration_images(
            config,
            options.get("calibration_data") or config["dataset"],
            options.get("calibration_split", "test"),
            options.get("num_calibration", 1000),
            options.get("data_dir", config.get("data_dir")),
        )
        paths["discriminator"] = export.export_ood_detector(
            gan.discriminator,
            config["resolution"],
            images,
            out,
            options.get("detector_name", "nda_ood"),
            options.get("version", 1),
            num_classes=config["num_classes"],
            label=options.get("label"),
            tpr=options.get("tpr", 0.95),
            nda=config.get("nda") or "jigsaw",
            metadata=metadata,
            overwrite=options.get("overwrite", False),
        )
    if "generator" in what:
        paths["generator"] = export.export_generator(
            gan.ema_generator,
            config["z_dim"],
            out,
            options.get("generator_name", "nda_generator"),
            options.get("version", 1),
            num_classes=config["num_classes"],
            resolution=config["resolution"],
            metadata=metadata,
            overwrite=options.get("overwrite", False),
        )
    return paths


def _check_targets(out, what, options):
    """What can be checked before the (slow) load and calibration: the
    output folder, the threshold's rate, and that no version is replaced
    unless asked."""
    from nda_tf import checks
    from nda_tf.experiments import cli
    from nda_tf.export import servable

    cli.check_output_dir("out", out)
    checks.check_number("tpr", options.get("tpr", 0.95), 0, 1, low_open=True)
    version = options.get("version", 1)
    names = {
        "discriminator": options.get("detector_name", "nda_ood"),
        "generator": options.get("generator_name", "nda_generator"),
        "translator": options.get("translator_name", "nda_pix2pix"),
    }
    for part in what:
        if part in ("encoder", "clip_encoder"):
            if version is None:
                continue  # written into `out` itself
            folder = os.path.join(out, str(version))
        else:
            folder = servable.version_dir(out, names[part], version)
        if os.path.exists(folder) and not options.get("overwrite", False):
            raise ValueError(
                f"{folder} already exists: give another --version, or "
                "--overwrite to replace it"
            )


def _check_calibration_data(logdir, options):
    """Opens the calibration source before the model is loaded."""
    from nda_tf import data, training

    config = training.read_config(logdir)
    data.load(
        options.get("calibration_data") or config["dataset"],
        split=options.get("calibration_split", "test"),
        resolution=config.get("resolution"),
        data_dir=options.get("data_dir", config.get("data_dir")),
    )


def main(fv):
    """Exports as the parsed flags `fv` say; prints the folders."""
    training.apply_data_access(cli.values(DATA_ACCESS_OPTIONS, fv))
    for kind, path in export_run(**cli.values(OPTIONS, fv)).items():
        print(f"{kind}: {path}")


if __name__ == "__main__":
    cli.run_command(
        OPTIONS,
        main,
        "nda_tf.experiments.export",
        required=["logdir", "out"],
        extras=("serving",),
    )
