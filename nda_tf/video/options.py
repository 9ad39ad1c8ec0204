"""The settings of DPC and of video fine-tuning
(`nda_tf.video.recipe.DPC_RECIPE`, `VIDEO_FINETUNE`), without TensorFlow.

The command lines are generated from `DPC_OPTIONS` and `FINETUNE_OPTIONS`
(`nda_tf.experiments.dpc`, `video_finetune`), and `--help` reads them
without loading TensorFlow (the encoders' names from `nda_tf.models.names`).
"""

from nda_tf.models import names
from nda_tf.training.options import Option, shared
from nda_tf.training.recipe import data_options, length_options, watch_option

_POSITIVE = {"low": 0.0, "low_open": True}
_UNIT = {"low": 0.0, "high": 1.0}
_DATA_HELP = (
    "ucf101 (tfds, prepared as array_record), video_folder:PATH (class "
    "folders of videos or frame folders; split-1 files honoured) or "
    "moving_shapes(videos=1000, frames=48, size=32)."
)


def _clip_options(num_blocks):
    return (
        Option("num_blocks", num_blocks, "Blocks per clip (DPC: 8)."),
        Option("block_frames", 5, "Frames per block (DPC: 5)."),
        Option("stride", 3, "Take every stride-th frame (DPC: 3).", low=1),
        Option(
            "arch",
            "r2d3d18",
            "Encoder (r2d3d18 as DPC; small for CPUs).",
            choices=names.VIDEO_ENCODERS,
        ),
        Option(
            "width", None, "First-stage channels (default: arch's).", kind="int"
        ),
    )


def _augment_options(jitter_p, gray_p):
    # The defaults depend on the data (nda_tf.video.recipe resolves None).
    shapes = "0 for moving_shapes, whose clips it would tell apart"
    return (
        Option("crop", 0.875, "Crop side / frame (DPC: 224/256).", **_POSITIVE),
        Option(
            "flip",
            None,
            "Random flips (default: on, off for moving_shapes' left/right).",
            kind="bool",
        ),
        Option(
            "jitter_p",
            None,
            f"Colour jitter probability (default: {jitter_p}; {shapes}).",
            kind="float",
            **_UNIT,
        ),
        Option(
            "gray_p",
            None,
            f"Grayscale probability (default: {gray_p}; {shapes}).",
            kind="float",
            **_UNIT,
        ),
    )


DPC_OPTIONS = (
    *data_options("ucf101", _DATA_HELP),
    *_clip_options(8),
    Option("pred_steps", 3, "Blocks predicted (DPC: 3).", low=1),
    shared(
        "nda",
        "NDA transform of clips (jigsaw, stitch, cutout, cutmix, mixup) or "
        "none (DPC).",
    ),
    Option("batch_size", 128, "Clips per step (global)."),
    *length_options(200),
    Option("lr", 1e-3, "Adam learning rate.", **_POSITIVE),
    Option("weight_decay", 1e-5, "L2 weight decay (as PyTorch Adam).", low=0.0),
    *_augment_options(1.0, 0.5),
    watch_option("eval_every", 1000, "Steps between linear probes."),
    watch_option(
        "probe_videos", 400, "Videos per probe split (0: no probe).", low=0
    ),
    watch_option("probe_clips", 2, "Clips averaged per probe video."),
)


FINETUNE_OPTIONS = (
    Option(
        "pretrained",
        None,
        "DPC run directory whose encoder and GRU start the classifier "
        "(default: random weights).",
        kind="str",
    ),  # fmt: skip
    *data_options("ucf101", _DATA_HELP),
    Option("test_split", "test", "Split of the clip-averaged test."),
    *_clip_options(8),
    Option("linear_probe", False, "Train only the linear head."),
    Option("dropout", 0.5, "Dropout before the head.", low=0.0, high=0.99),
    Option("batch_size", 128, "Clips per step (global)."),
    *length_options(200),
    Option("lr", 1e-3, "Adam learning rate of the head.", **_POSITIVE),
    Option("backbone_lr_factor", 0.1, "Backbone lr / lr.", **_POSITIVE),
    Option(
        "lr_steps",
        ["60", "80"],
        "Epochs after which both lrs are multiplied by lr_decay (DPC: 60,80 "
        "on UCF-101 at 128 px, 150,250 on HMDB-51; none: constant).",
        kind="list",
    ),
    Option(
        "lr_decay",
        0.1,
        "Factor of each lr step (DPC: 0.1).",
        low=0.0,
        low_open=True,
        high=1.0,
    ),
    Option("weight_decay", 1e-3, "L2 weight decay (DPC: 1e-3).", low=0.0),
    *_augment_options(0.3, 0.0),
    watch_option("eval_every", 1000, "Steps between test evaluations."),
    watch_option("test_videos", None, "Test videos (default all).", kind="int"),
    watch_option("test_clips", 10, "Clips averaged per test video."),
)  # fmt: skip
