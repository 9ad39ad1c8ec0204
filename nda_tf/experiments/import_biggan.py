"""The authors' BigGAN checkpoints as a run directory of the shared loop.

    W=NDA/weights/jigsaw_seed2_C10_alpha_0.25_beta_0.75
    python -m nda_tf.experiments.import_biggan --generator=$W/G_copy1.pth \
        --ema_generator=$W/G_ema_copy1.pth --out=runs/authors_c10_jigsaw

reads the `.pth` state dicts of the NDA authors' code (ermongroup/NDA,
BigGAN-PyTorch) without torch, converts them
(`nda_tf.models.biggan_import`), and writes `--out` as a GAN run
(`config.json` with recipe "gan", a checkpoint at `--step`, a sample grid of
the EMA generator in `samples/`, and `import.json` naming the source files
and their SHA-256). Every command that takes a GAN run then accepts it:

    python -m nda_tf.experiments.evaluate --logdir=runs/authors_c10_jigsaw
    python -m nda_tf.experiments.export --logdir=... --out=serving
    python -m nda_tf.experiments.ood --logdir=...   # needs --discriminator

Without `--ema_generator` the EMA generator is a copy of `--generator`;
without `--discriminator` the discriminator keeps a random initialisation
(said in the log and in import.json): evaluating G works, OOD scores and the
detector export do not mean anything then. The architecture (resolution,
width, classes, z size) is read from the files. Runtime: seconds.
"""

import json
import logging
import os
import shutil

from nda_tf.experiments import cli
from nda_tf.gan import options as gan
from nda_tf.training import Option, pick, run_lock, shared

log = logging.getLogger("nda_tf.import_biggan")

OPTIONS = (
    Option("generator", None, "The authors' G.pth.", kind="str"),
    Option(
        "ema_generator",
        None,
        "Their G_ema.pth (default: a copy of --generator).",
        kind="str",
    ),
    Option(
        "discriminator",
        None,
        "Their D.pth (default: a random D, not for OOD or detector export).",
        kind="str",
    ),
    Option("out", None, "The run directory to write (new).", kind="str"),
    *pick(
        gan.OPTIONS,
        ("dataset", "nda", "lam"),
        dataset={
            "help": "The training data of these nets: the run's dataset "
            "(FID reference, OOD positives, detector calibration)."
        },
        nda={"help": "NDA transform they were trained with (recorded)."},
        lam={"help": "Their G weight in the fake mixture (their --alpha)."},
    ),
    Option("step", 0, "Training step to record (their itr).", low=0),
    Option("num_grid_samples", 64, "Images in the sample grid.", low=1),
    shared("seed", "Sampling seed of the grid."),
)


def read_state_dict(path, what):
    """The state dict in a `.pth` file, or one line saying why not."""
    from nda_tf.io import pth

    if not os.path.isfile(path):
        raise ValueError(f"--{what}: no file {path!r}")
    try:
        state = pth.load_state_dict(path)
    except pth.UnsafePthError as error:
        # It pickles more than tensors: code, or e.g. their
        # state_dict_*.pth (training counters and numpy scalars).
        raise ValueError(
            f"--{what}: {path!r} is not a state dict of tensors "
            f"({error.reason}); pass their G_*.pth, G_ema_*.pth or D_*.pth"
        ) from None
    except pth.PthError as error:
        raise ValueError(
            f"--{what}: {path!r} is not a readable PyTorch state dict: "
            f"{error.reason}"
        ) from None
    except OSError as error:
        raise ValueError(
            f"--{what}: cannot read {path!r}: {error.strerror}"
        ) from None
    return state


def _convert(function, state, path, what):
    try:
        return function(state)
    except ValueError as error:
        raise ValueError(f"--{what} {path!r}: {error}") from None


def import_run(
    generator,
    out,
    ema_generator=None,
    discriminator=None,
    dataset="cifar10",
    step=0,
    nda="jigsaw",
    lam=0.25,
    num_grid_samples=64,
    seed=0,
):
    """Writes the run directory `out` from the authors' state dict files.

    Args:
        generator: path of their `G.pth`.
        out: the new run directory.
        ema_generator: path of their `G_ema.pth`, or None (copy of G).
        discriminator: path of their `D.pth`, or None (random D).
        dataset: the dataset the nets were trained on (recorded).
        step: the training step to record.
        nda: the NDA transform they were trained with (recorded).
        lam: the lam they were trained with (recorded).
        num_grid_samples: images in `out/samples/step_<step>.png`.
        seed: sampling seed of that grid.

    Returns:
        The checkpoint folder written.
    """
    import keras

    from nda_tf.data import downloads
    from nda_tf.gan.recipe import GAN
    from nda_tf.models import biggan_import

    if os.path.exists(os.path.join(out, "config.json")):
        raise ValueError(f"--out {out!r} holds a run already; use a new one")
    paths = {
        "generator": generator,
        "ema_generator": ema_generator,
        "discriminator": discriminator,
    }
    states = {
        what: read_state_dict(path, what)
        for what, path in paths.items()
        if path is not None
    }
    architecture = {
        what: _convert(
            biggan_import.discriminator_architecture
            if what == "discriminator"
            else biggan_import.generator_architecture,
            state,
            paths[what],
            what,
        )
        for what, state in states.items()
    }
    g = architecture["generator"]
    for what, found in architecture.items():
        shared = {k: found[k] for k in found if k in g and k != "z_dim"}
        expected = {k: g[k] for k in shared}
        if shared != expected:
            raise ValueError(
                f"--{what} {paths[what]!r} is a {found} net, --generator a "
                f"{g} one: one run holds nets of one architecture"
            )
    if g["attention_resolution"]:
        raise ValueError(
            f"--generator {generator!r} has self-attention at "
            f"{g['attention_resolution']}; the gan recipe builds BigGAN "
            "without attention (use nda_tf.models.biggan_import directly)"
        )
    config = GAN.resolve(
        {
            "dataset": dataset,
            "arch": "biggan",
            "conditional": g["num_classes"] > 1,
            "num_classes": g["num_classes"],
            "resolution": g["resolution"],
            "ch": g["ch"],
            "z_dim": g["z_dim"],
            "nda": nda,
            "lam": lam,
        }
    )
    keras.mixed_precision.set_global_policy("float32")
    gan = GAN.build(config, compile=False)
    biggan_import.load_generator(states["generator"], gan.generator)
    ema_state = states.get("ema_generator", states["generator"])
    biggan_import.load_generator(ema_state, gan.ema_generator)
    if "discriminator" in states:
        biggan_import.load_discriminator(
            states["discriminator"], gan.discriminator
        )
    else:
        log.warning(
            "no --discriminator: the run's D is a random initialisation; "
            "do not use it for OOD scores or the detector export"
        )
    if ema_generator is None:
        log.info("no --ema_generator: the EMA generator is a copy of G")
    gan.step.assign(step)
    record = {
        "sources": {
            what: {
                "path": os.path.abspath(path),
                "sha256": downloads.sha256_of(path),
                "bytes": os.path.getsize(path),
            }
            for what, path in paths.items()
            if path is not None
        },
        "architecture": architecture,
        "ema_generator": "from file" if ema_generator else "copy of G",
        "discriminator": (
            "from file" if discriminator else "random initialisation"
        ),
    }
    # One writer at a time, into a folder that was empty: what a failure
    # leaves is removed, so the same command can be run again.
    with run_lock.holding(out):
        _check_empty(out)
        try:
            folder = _write_run(
                out, gan, config, record, num_grid_samples, seed
            )
        except BaseException:
            _remove_contents(out)
            raise
    log.info(
        "wrote %s: BigGAN %dpx ch=%d, %d class(es), checkpoint %s",
        out,
        g["resolution"],
        g["ch"],
        g["num_classes"],
        folder,
    )
    return folder


def _check_empty(out):
    found = sorted(set(os.listdir(out)) - {run_lock.LOCK_FILE})
    if found:
        raise ValueError(
            f"--out {out!r} is not empty (it holds {found[0]!r}): give a "
            "new folder"
        )


def _remove_contents(out):
    for name in os.listdir(out):
        path = os.path.join(out, name)
        if name == run_lock.LOCK_FILE:
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def _write_run(out, gan, config, record, num_grid_samples, seed):
    """Writes the run: config.json, the checkpoint of `gan` at its step,
    a sample grid and `record` as import.json."""
    import tensorflow as tf

    from nda_tf import training
    from nda_tf.gan import monitoring
    from nda_tf.gan.recipe import GAN
    from nda_tf.training import run_directory
    from nda_tf.training.recipe import DERIVED

    recorded = {o.name for o in GAN.all_options() if o.recorded}
    recorded |= set(DERIVED)
    run_directory.write_config(out, config, GAN, recorded)
    step = int(gan.step.numpy())
    state = tf.train.Checkpoint(
        **GAN.checkpoint_items(gan, run_directory.LAYOUT)
    )
    folder = training.CheckpointKeeper(
        os.path.join(out, "checkpoints"), state
    ).save(step)
    grid = monitoring.image_grid(gan.generate(num_grid_samples, seed=seed))
    monitoring.save_png(
        os.path.join(out, "samples", f"step_{step:07d}.png"), grid
    )
    with open(os.path.join(out, "import.json"), "w") as file:
        json.dump(record, file, indent=2)
    return folder


def main(fv):
    """Imports as the parsed flags `fv` say."""
    cli.check_output_dir("out", fv.out)  # a URL or a file in the way
    import_run(
        fv.generator,
        fv.out,
        ema_generator=fv.ema_generator,
        discriminator=fv.discriminator,
        dataset=fv.dataset,
        step=fv.step,
        nda=fv.nda,
        lam=fv.lam,
        num_grid_samples=fv.num_grid_samples,
        seed=fv.seed,
    )


if __name__ == "__main__":
    cli.run_command(
        OPTIONS,
        main,
        "nda_tf.experiments.import_biggan",
        required=["generator", "out"],
    )
