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

import keras

from nda_tf.data.video import ClipStream
from nda_tf.models import video as video_models
from nda_tf.training import (
    Evaluator,
    Recipe,
    learning_rate,
    load_run,
    read_config,
)
from nda_tf.video import evaluation
from nda_tf.video.augment import ClipAugment, augmented_clips
from nda_tf.video.classifier import VideoClassifier, clip_averaged_top1
from nda_tf.video.dpc import DPC
from nda_tf.video.options import DPC_OPTIONS, FINETUNE_OPTIONS


def _resolve_flip(c):
    if c["flip"] is None:
        c["flip"] = not c["dataset"].startswith("moving_shapes")


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


class DPCRecipe(Recipe):
    """DPC with NDA clips (`nda_tf.video.DPC`) on the loop."""

    name = "dpc"
    exports = ("clip_encoder",)
    options = DPC_OPTIONS
    resume_keys = (
        "dataset", "split", "resolution", "num_blocks", "block_frames",
        "stride", "pred_steps", "arch", "width", "nda", "batch_size", "seed",
        "mixed_precision", "lr", "weight_decay", "crop", "flip", "jitter_p",
        "gray_p", "num_classes", "num_examples",
    )  # fmt: skip

    def validate(self, c, replicas):
        if c["pred_steps"] >= c["num_blocks"]:
            raise ValueError(
                f"pred_steps {c['pred_steps']} must be below num_blocks "
                f"{c['num_blocks']}"
            )
        if c["batch_size"] % replicas:
            raise ValueError(
                f"batch_size {c['batch_size']} must split evenly over "
                f"{replicas} replicas"
            )
        _resolve_flip(c)

    def stream(self, c):
        return _stream(c)

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

    def batches(self, model, c, stream, start):
        return augmented_clips(
            stream.batches(start), _augment(c), c["seed"], start
        )

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

    def checkpoint_items(self, model, layout):
        items = {"model": model}
        if getattr(model, "optimizer", None) is not None:
            items["optimizer"] = model.optimizer
        return items

    def scalars(self, dpc):
        return {"lr": learning_rate(dpc.optimizer)}

    def best_metric(self, c):
        if c["num_classes"] < 2 or not c["probe_videos"]:
            return None
        return ("probe_accuracy", "max")

    def default_logdir(self, c):
        return f"runs/dpc-{c['dataset']}-{c['nda']}"


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


class VideoFinetuneRecipe(Recipe):
    """Action classification (`VideoClassifier`) from a DPC run."""

    name = "video_finetune"
    options = FINETUNE_OPTIONS
    resume_keys = (
        "pretrained", "dataset", "split", "resolution", "linear_probe",
        "batch_size", "seed", *_SHARED, "mixed_precision", "lr",
        "backbone_lr_factor", "weight_decay", "dropout", "crop", "flip",
        "jitter_p", "gray_p", "num_classes", "num_examples",
    )  # fmt: skip
    # The test split is only read by the final evaluation.
    resume_may_change = (*Recipe.resume_may_change, "test_split")

    def validate(self, c, replicas):
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
        _resolve_flip(c)

    def derive(self, c, info):
        if c["num_classes"] < 2:
            raise ValueError(
                f"{c['dataset']!r} has {c['num_classes']} class: fine-tuning "
                "needs labelled videos"
            )

    def stream(self, c):
        return _stream(c)

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
            backbone = None
            if not c["linear_probe"]:
                backbone_lr = c["lr"] * c["backbone_lr_factor"]
                backbone = keras.optimizers.Adam(backbone_lr)
            model.compile(
                optimizer=keras.optimizers.Adam(c["lr"]),
                backbone_optimizer=backbone,
            )
        return model

    def batches(self, model, c, stream, start):
        return augmented_clips(
            stream.batches(start), _augment(c), c["seed"], start
        )

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

    def checkpoint_items(self, model, layout):
        items = {"model": model}
        if getattr(model, "optimizer", None) is not None:
            items["optimizer"] = model.optimizer
        if getattr(model, "backbone_optimizer", None) is not None:
            items["backbone_optimizer"] = model.backbone_optimizer
        return items

    def scalars(self, model):
        return {"lr": learning_rate(model.optimizer)}

    def best_metric(self, c):
        return ("top1", "max")

    def default_logdir(self, c):
        mode = "linear" if c["linear_probe"] else "finetune"
        return f"runs/video_{mode}-{c['dataset']}"


VIDEO_FINETUNE = VideoFinetuneRecipe()
