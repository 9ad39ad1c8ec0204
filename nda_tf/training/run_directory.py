"""A run directory: its configuration, layout version and checkpoints.

    LOGDIR/config.json      the resolved configuration, with "recipe" and
                            "layout" (the version of this layout)
    LOGDIR/checkpoints/     the newest checkpoints (`CheckpointKeeper`)
    LOGDIR/best/            the best one by the run's metric, if any
    LOGDIR/train/, eval/    TensorBoard events

`load_run` restores a run's model; `export_run` writes it for TF Serving
through its recipe's `export` hook.

Layout 0 (no "layout" key) was written before the shared run loop: its
checkpoints named the model's root `gan` (GAN runs) or `model` (MoCo); a
recipe maps each layout to the names it used, so old runs resume and load.
Layout 2 marks runs whose BigGAN discriminator has the authors' projection
term in unconditional models and their class-embedding spectral norm
(issue 13); the GAN recipe refuses a BigGAN run of an older layout with one
line, as its checkpoints do not fit that network.
"""

import glob
import json
import os

import keras
import tensorflow as tf

from nda_tf import extras
from nda_tf.io import files
from nda_tf.training import divergence
from nda_tf.training.checkpoints import CheckpointKeeper, write_json_atomic
from nda_tf.training.options import EXPORT_OPTIONS, fill

LAYOUT = 2


def read_config(logdir):
    """`LOGDIR/config.json` as a dict (ValueError when there is none)."""
    path = os.path.join(logdir, "config.json")
    if not os.path.isfile(path):
        raise ValueError(f"{logdir!r} is not a run directory: no config.json")
    with open(path) as file:
        return json.load(file)


def saved_config(recipe, logdir):
    """`LOGDIR/config.json` as `recipe` reads it: settings that older
    versions did not record take their `legacy_defaults`, and a transform
    saved as "" (older versions wrote that for none; a command line's
    empty value is refused now) reads as "none"."""
    saved = {**recipe.legacy_defaults, **read_config(logdir)}
    for option in recipe.all_options():
        if option.kind == "transform" and saved.get(option.name) == "":
            saved[option.name] = "none"
    return saved


def layout_of(saved, recipe, logdir):
    """The layout of a saved config; a one-line error when this version of
    nda_tf cannot read it or it belongs to another algorithm."""
    layout = saved.get("layout", 0)
    if not isinstance(layout, int) or not 0 <= layout <= LAYOUT:
        raise ValueError(
            f"{logdir!r} has run-directory layout {layout!r}; this nda_tf "
            f"reads layouts 0 to {LAYOUT}: use a newer nda_tf or a new logdir"
        )
    owner = saved.get("recipe", recipe.name)
    if owner != recipe.name:
        raise ValueError(
            f"{logdir!r} holds a {owner} run (layout {layout}), not a "
            f"{recipe.name} run"
        )
    return layout


def write_config(logdir, config, recipe, recorded, private=False, write=True):
    """Writes `config.json` (only the recorded keys) for a new run; for a
    run being resumed checks that the settings are the saved ones and
    leaves the file as it is (it describes the run that was started).
    `private`: the file is its owner's only (`files.modes`);
    `write=False` (a worker that is not the chief) only checks. Returns
    the layout of the run's checkpoints."""
    path = os.path.join(logdir, "config.json")
    if os.path.isfile(path):
        saved = saved_config(recipe, logdir)
        layout = layout_of(saved, recipe, logdir)
        _check_same_run(saved, config, recipe.resume_keys, logdir)
        return layout
    if write:
        kept = {k: v for k, v in config.items() if k in recorded}
        kept.update(recipe=recipe.name, layout=LAYOUT)
        write_json_atomic(path, kept, private)
    return LAYOUT


def _check_same_run(saved, config, keys, logdir):
    """A one-line ValueError listing every key in `keys` whose value
    differs from the saved run's. Keys the saved run did not record (older
    versions had fewer settings) are not compared."""
    # Through JSON, as saved: a tuple is then a list, as in the file.
    now = json.loads(json.dumps({k: config.get(k) for k in keys}))
    different = [
        f"{k} saved {saved[k]!r}, now {now[k]!r}"
        for k in keys
        if k in saved and saved[k] != now[k]
    ]
    if different:
        raise ValueError(
            f"{logdir!r} holds a different run ({'; '.join(different)}): "
            "resume with the saved settings (its config.json), or start a "
            "new run with a new --logdir"
        )


def load_run(recipe, logdir, checkpoint="latest"):
    """The trained model of a run directory and its configuration.

    Args:
        recipe: the run's `Recipe`.
        logdir: the run directory.
        checkpoint: "latest", "best", a step (int), or a checkpoint folder
            (`.../ckpt-<step>`).

    Returns:
        `(model, config)`: the model restored (not its optimizers), built
        in the float32 policy; `config["step"]` is the restored step and
        `config["layout"]` the directory's layout.
    """
    saved = saved_config(recipe, logdir)
    layout = layout_of(saved, recipe, logdir)
    config = recipe.resolve(saved)
    # A bad checkpoint name is told before the model is built.
    folder, name = _checkpoint_folder(logdir, checkpoint)
    keras.mixed_precision.set_global_policy("float32")
    model = recipe.build(config, compile=False)
    state = tf.train.Checkpoint(**recipe.checkpoint_items(model, layout))
    step = CheckpointKeeper(folder, state).restore(name)
    if step is None:
        raise ValueError(f"no {checkpoint} checkpoint in {folder!r}")
    return model, {**config, "step": step, "layout": layout}


def restore_parts(logdir, items, checkpoint="latest"):
    """Restores `items` (`tf.train.Checkpoint` keywords: objects shaped as
    parts of the run's model) from a checkpoint of the run in `logdir`,
    without its recipe: e.g. `{"model": holder}` where `holder.encoder` is
    a network built as the run's `model.encoder` was. Every variable of
    `items` must be in the checkpoint; the rest of it is left unread.

    Returns:
        The restored step.
    """
    folder, name = _checkpoint_folder(logdir, checkpoint)
    step = CheckpointKeeper(folder, tf.train.Checkpoint(**items)).restore(name)
    if step is None:
        raise ValueError(f"no {checkpoint} checkpoint in {folder!r}")
    return step


def _checkpoint_folder(logdir, checkpoint):
    if checkpoint in ("latest", "best"):
        kind = "checkpoints" if checkpoint == "latest" else "best"
        return os.path.join(logdir, kind), None
    if isinstance(checkpoint, int) and not isinstance(checkpoint, bool):
        return os.path.join(logdir, "checkpoints"), f"ckpt-{checkpoint}"
    path = str(checkpoint).rstrip("/")
    if not tf.io.gfile.exists(os.path.join(path, "state.index")):
        raise ValueError(
            f"checkpoint must be 'latest', 'best', a step or a checkpoint "
            f"folder, received {checkpoint!r}"
        )
    return os.path.dirname(path), os.path.basename(path)


def export_run(recipe, logdir, out, what=None, checkpoint="latest", **options):
    """Writes the parts `what` (default: all of `recipe.exports`) of the
    run in `logdir` under the serving folder `out` with `recipe.export`;
    `options`: `EXPORT_OPTIONS` and the recipe's `export_options` (their
    defaults where not given). The "serving" extra, the parts, the
    options, an existing version and the recipe's own needs
    (`check_export`) are checked before the model is loaded; a diverged
    model is refused before any writing. What it writes is no wider than
    the umask allows and never group-writable (`options["private"]`: the
    owner's only). Returns `{part: version folder}`."""
    if not recipe.exports:
        raise ValueError(f"a {recipe.name} run has nothing to export")
    extras.require(("serving",), "nda_tf.training.export_run")
    what = list(recipe.exports if what is None else what)
    if set(what) - set(recipe.exports) or not what:
        raise ValueError(
            f"what must list any of {', '.join(recipe.exports)} for this "
            f"{recipe.name} run; received {what!r}"
        )
    options = fill((*EXPORT_OPTIONS, *recipe.export_options), options)
    for part in what:
        name = recipe.exports[part] and options[recipe.exports[part]]
        parts = [p for p in (name, options["version"]) if p is not None]
        folder = os.path.join(out, *map(str, parts))
        if os.path.exists(folder) and not options["overwrite"]:
            raise ValueError(
                f"{os.path.normpath(folder)} already exists: give another "
                "--version, or --overwrite to replace it"
            )
    recipe.check_export(read_config(logdir), what, options)
    model, config = load_run(recipe, logdir, checkpoint)
    bad = divergence.nonfinite_names(model.weights)
    if bad:
        raise ValueError(
            f"the {recipe.name} model has NaN or infinite weights in "
            f"{len(bad)} of {len(divergence.floating(model.weights))} "
            f"variables (first: {bad[0]}): the run diverged; export an "
            "earlier, finite checkpoint or train again"
        )
    metadata = {
        "logdir": os.path.abspath(logdir),
        "checkpoint": checkpoint,
        "step": config["step"],
        "config": read_config(logdir),
        "evaluation": latest_scalars(os.path.join(logdir, "eval")),
    }
    # TensorFlow writes the SavedModel's files with the umask.
    with files.narrowed_umask(options["private"]):
        return recipe.export(model, config, what, out, options, metadata)


def latest_scalars(folder):
    """The last value of every scalar in the TensorBoard events of `folder`."""
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
