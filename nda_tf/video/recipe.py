"""The DPC (with NDA clips) and video fine-tuning recipes for the run loop.

Defaults are DPC's UCF-101 setting (Han et al. 2019, the code the NDA
paper ran, Appendix K): R2D3D-18, 8 blocks of 5 frames taken every 3rd
frame, 128 x 128, 3 predicted blocks, Adam lr 1e-3 with weight decay 1e-5,
200 epochs (the NDA paper's pretraining length), NDA off.

    >>> from nda_tf.video.recipe import DPC_RECIPE
    >>> c = DPC_RECIPE.resolve({"nda": "stitch"})
    >>> c["num_blocks"], c["block_frames"], c["pred_steps"], c["arch"]
    (8, 5, 3, 'r2d3d18')
"""

import math

import keras

from nda_tf.data.video import ClipStream
from nda_tf.export.encoder import export_encoder
from nda_tf.models import video as video_models
from nda_tf.training import (
    Evaluator,
    Recipe,
    load_run,
    read_config,
)
from nda_tf.video import evaluation
from nda_tf.video.augment import ClipAugment, augmented_clips
from nda_tf.video.classifier import VideoClassifier, clip_averaged_top1
from nda_tf.video.dpc import DPC
from nda_tf.video.options import DPC_OPTIONS, FINETUNE_OPTIONS


def _resolve_augment(c, jitter_p, gray_p):
    """Defaults that depend on the data. moving_shapes' labels include
    left and right (no flips), and its videos are white bars on black, so
    a clip's colour jitter would be a colour of its own that tells it from
    the batch's other clips without any motion (experiments/RESULTS.md)."""
    shapes = c["dataset"].startswith("moving_shapes")
    if c["flip"] is None:
        c["flip"] = not shapes
    if c["jitter_p"] is None:
        c["jitter_p"] = 0.0 if shapes else jitter_p
    if c["gray_p"] is None:
        c["gray_p"] = 0.0 if shapes else gray_p


def _stream(c):
    return ClipStream(
        c["dataset"],
        c["batch_size"],
        c["num_blocks"] * c["block_frames"],
        c["stride"],
        c["split"],
        c["resolution"],
        c["seed"],
        c["data_dir"],
    )


def _augment(c):
    return ClipAugment(
        c["crop"], c["flip"], jitter_p=c["jitter_p"], gray_p=c["gray_p"]
    )


def _encoder(c):
    shape = (c["block_frames"], c["resolution"], c["resolution"], 3)
    return video_models.build_encoder(c["arch"], shape, c["width"])


class _ClipRecipe(Recipe):
    """A recipe trained on augmented clips of a video source."""

    def stream(self, c):
        return _stream(c)

    def batches(self, model, c, stream, start):
        return augmented_clips(
            stream.batches(start), _augment(c), c["seed"], start
        )


class DPCRecipe(_ClipRecipe):
    """DPC with NDA clips (`nda_tf.video.DPC`) on the loop."""

    name = "dpc"
    exports = {"clip_encoder": None}
    options = DPC_OPTIONS

    def validate(self, c, replicas):
        if c["pred_steps"] >= c["num_blocks"]:
            raise ValueError(
                f"pred_steps {c['pred_steps']} must be below num_blocks "
                f"{c['num_blocks']}"
            )
        _resolve_augment(c, 1.0, 0.5)

    def build(self, c, compile=True):
        dpc = DPC(
            _encoder(c),
            c["num_blocks"],
            c["block_frames"],
            c["pred_steps"],
            nda=c["nda"],
            weight_decay=c["weight_decay"],
            seed=c["seed"],
        )
        if compile:
            dpc.compile(optimizer=keras.optimizers.Adam(c["lr"]))
        return dpc

    def evaluators(self, model, c, run):
        if c["num_classes"] < 2 or not c["probe_videos"]:
            return []  # unlabelled videos (or no probe asked for)
        sets = {}

        def probe(dpc, step):
            if not sets:
                sets.update(probe_sets(c))
            return {
                "probe_accuracy": evaluation.linear_probe(
                    dpc, sets["train"], sets["test"], c["seed"]
                )
            }

        return [Evaluator(probe, c["eval_every"])]

    def best_metric(self, c):
        if c["num_classes"] < 2 or not c["probe_videos"]:
            return None
        return ("probe_accuracy", "max")

    def default_logdir(self, c):
        return f"runs/dpc-{c['dataset']}-{c['nda']}"

    def export(self, model, config, what, out, options, metadata):
        path = export_encoder(
            model,
            out,
            config["resolution"],
            options["version"],
            frames=model.num_blocks * model.block_frames,
            metadata=metadata,
            overwrite=options["overwrite"],
        )
        return {"clip_encoder": path}


def probe_sets(c, count=None, clips=None):
    """Unaugmented probe clips of the train and test splits."""
    sets = {}
    for split, name in ((c["split"], "train"), ("test", "test")):
        stream = _stream(dict(c, split=split))
        sets[name] = stream.test_clips(
            count or c["probe_videos"], clips or c["probe_clips"]
        )
    return sets


DPC_RECIPE = DPCRecipe()


# Settings a fine-tuned encoder must share with its pretraining run.
_SHARED = ("num_blocks", "block_frames", "stride", "arch", "width")


class VideoFinetuneRecipe(_ClipRecipe):
    """Action classification (`VideoClassifier`) from a DPC run."""

    name = "video_finetune"
    options = FINETUNE_OPTIONS
    # The test split is only read by the final evaluation.
    resume_may_change = (*Recipe.resume_may_change, "test_split")

    def validate(self, c, replicas):
        lr_step_epochs(c["lr_steps"])  # names a bad entry before any work
        if c["pretrained"]:
            saved = read_config(c["pretrained"])
            if saved.get("recipe") != DPC_RECIPE.name:
                raise ValueError(
                    f"pretrained {c['pretrained']!r} is not a dpc run"
                )
            defaults = DPC_RECIPE.resolve({})
            for key in _SHARED:
                c[key] = saved.get(key, defaults[key])
            if c["resolution"] is None:
                c["resolution"] = saved.get("resolution")
        _resolve_augment(c, 0.3, 0.0)

    def derive(self, c, info):
        if c["num_classes"] < 2:
            raise ValueError(
                f"{c['dataset']!r} has {c['num_classes']} class: fine-tuning "
                "needs labelled videos"
            )

    def build(self, c, compile=True):
        model = VideoClassifier(
            _encoder(c),
            c["block_frames"],
            c["num_classes"],
            c["dropout"],
            c["linear_probe"],
            c["weight_decay"],
        )
        if c["pretrained"]:
            policy = keras.mixed_precision.global_policy()
            dpc, _ = load_run(DPC_RECIPE, c["pretrained"])
            keras.mixed_precision.set_global_policy(policy)
            model.encoder.set_weights(dpc.encoder.get_weights())
            model.aggregator.set_weights(dpc.aggregator.get_weights())
        if compile:
            steps = lr_boundaries(c)
            backbone = None
            if not c["linear_probe"]:
                backbone_lr = c["lr"] * c["backbone_lr_factor"]
                backbone = keras.optimizers.Adam(
                    step_schedule(backbone_lr, steps, c["lr_decay"])
                )
            model.compile(
                optimizer=keras.optimizers.Adam(
                    step_schedule(c["lr"], steps, c["lr_decay"])
                ),
                backbone_optimizer=backbone,
            )
        return model

    def evaluators(self, model, c, run):
        test = {}

        def top1(classifier, step):
            if not test:
                stream = _stream(dict(c, split=c["test_split"]))
                test["clips"] = stream.test_clips(
                    c["test_videos"], c["test_clips"]
                )
            clips, labels = test["clips"]
            return {
                "top1": clip_averaged_top1(
                    lambda x: classifier(x, training=False), clips, labels
                )
            }

        return [Evaluator(top1, c["eval_every"])]

    def best_metric(self, c):
        return ("top1", "max")

    def default_logdir(self, c):
        mode = "linear" if c["linear_probe"] else "finetune"
        return f"runs/video_{mode}-{c['dataset']}"


VIDEO_FINETUNE = VideoFinetuneRecipe()


def lr_step_epochs(values):
    """The epochs of `--lr_steps` as floats, checked: positive, rising;
    "none" (or nothing) is no step."""
    if list(values) in ([], ["none"]):
        return []
    try:
        epochs = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(
            f"lr_steps must be rising positive epochs; received {values!r}"
        ) from None
    rising = all(a < b for a, b in zip(epochs, epochs[1:], strict=False))
    if min(epochs) <= 0 or not rising:
        raise ValueError(
            f"lr_steps must be rising positive epochs; received {values!r}"
        )
    return epochs


def lr_boundaries(c):
    """The training steps after which the lr steps down: `--lr_steps`
    epochs of `num_examples` clips in batches of `batch_size`, rounded up
    as the run's length is."""
    per_epoch = c["num_examples"] / c["batch_size"]
    return [math.ceil(e * per_epoch) for e in lr_step_epochs(c["lr_steps"])]


def step_schedule(lr, boundaries, decay):
    """`lr` multiplied by `decay` once per boundary passed: the update
    after `boundaries[i]` updates (0-based step `boundaries[i]`) is the
    first at `lr * decay ** (i + 1)`, as DPC's fine-tuning steps its lr
    down by epochs. A constant `lr` without boundaries."""
    if not boundaries:
        return lr
    # PiecewiseConstantDecay keeps a value up to and including its
    # boundary; the optimizer's step count at update k is k.
    return keras.optimizers.schedules.PiecewiseConstantDecay(
        [b - 1 for b in boundaries],
        [lr * decay**i for i in range(len(boundaries) + 1)],
    )
