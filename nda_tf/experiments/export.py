"""Exports a trained run for TensorFlow Serving.

    python -m nda_tf.experiments.export --logdir=runs/cifar10_jigsaw \
        --out=serving --what=discriminator,generator

writes what the run's recipe exports (its `export` hook; `--what` picks
parts): a GAN run `serving/nda_ood/1/` (the discriminator as an OOD
detector: threshold at 95% true-positive rate and a logistic calibration,
both fitted on `--num_calibration` held-out images of
`--calibration_data`, by default the run's dataset, test split) and
`serving/nda_generator/1/` (the EMA generator); a Pix2Pix run
`serving/nda_pix2pix/1/`; a MoCo run its encoder and a DPC run its clip
encoder (uint8 clips -> embedding) to `serving/1/`. The run's
configuration and its latest evaluation metrics go into each model's
`assets/metadata.json`, warm-up requests into `assets.extra/`. Serve them
with the files in `export/` (see export/README.md). Runtime: under a minute
for a CIFAR-10 BigGAN on a CPU (1000 calibration images).
"""

from nda_tf.experiments import cli
from nda_tf.gan import options as gan_options
from nda_tf.training import DATA_ACCESS_OPTIONS, EXPORT_OPTIONS, Option, shared
from nda_tf.translation import options as translation_options

# The recipes' own export settings; a run reads those of its recipe.
_RECIPE_OPTIONS = (
    *gan_options.EXPORT_OPTIONS,
    *translation_options.EXPORT_OPTIONS,
)
OPTIONS = (
    shared("logdir"),
    Option("out", None, "The serving base folder.", kind="str"),
    Option(
        "what",
        None,
        "What to export (default: all the run has; a GAN's discriminator "
        "and generator, a MoCo run's encoder, a Pix2Pix run's translator, "
        "a DPC run's clip_encoder).",
        kind="list",
    ),
    shared("checkpoint"),
    *EXPORT_OPTIONS,
    *_RECIPE_OPTIONS,
    *DATA_ACCESS_OPTIONS,
)


def export_run(logdir, out, what=None, checkpoint="latest", **options):
    """Exports the run in `logdir` (`nda_tf.training.export_run` with the
    run's recipe); returns `{part: version folder}`."""
    from nda_tf import training
    from nda_tf.experiments import recipes

    recipe = recipes.of_run(logdir)
    return training.export_run(recipe, logdir, out, what, checkpoint, **options)


def main(fv):
    """Exports as the parsed flags `fv` say; prints the folders."""
    from nda_tf import training
    from nda_tf.experiments import recipes

    training.apply_data_access(cli.values(DATA_ACCESS_OPTIONS, fv))
    recipe = recipes.of_run(fv.logdir)
    settings = cli.values((*EXPORT_OPTIONS, *recipe.export_options), fv)
    paths = training.export_run(
        recipe, fv.logdir, fv.out, fv.what, fv.checkpoint, **settings
    )
    for kind, path in paths.items():
        print(f"{kind}: {path}")


def check(fv):
    cli.check_output_dir("out", fv.out)


if __name__ == "__main__":
    cli.run_command(
        OPTIONS,
        main,
        "nda_tf.experiments.export",
        required=["logdir", "out"],
        check=check,
        extras=("serving",),
    )
