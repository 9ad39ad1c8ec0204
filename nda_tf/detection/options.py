"""The detection fine-tune's settings (`nda_tf.detection.recipe`), without
TensorFlow.

Defaults are the paper's Pascal VOC setting (Section 6, as MoCo's
detectron2 configuration runs it): Faster R-CNN C4, 16 images a step,
SGD lr 0.02 (momentum 0.9, weight decay 1e-4), 24,000 steps with the lr
divided by 10 at 18,000 and 22,000 and a linear warm-up over 100.
The command line is generated from `OPTIONS`
(`nda_tf.experiments.detect`).
"""

from nda_tf.models import names
from nda_tf.training.options import DATA_ACCESS_OPTIONS, Option, shared
from nda_tf.training.recipe import watch_option

# The encoders that are not a MoCo run directory.
NAMED_ENCODERS = ("none", "imagenet")
_POSITIVE = {"low": 0.0, "low_open": True}
_FRACTION = {"low": 0.0, "high": 1.0}

OPTIONS = (
    Option(
        "dataset",
        "voc",
        "voc (tfds voc/2007 + voc/2012 trainval; tested on voc/2007 test) "
        "or shapes_detection(images=..., size=..., objects=(1, 4), seed=...).",
    ),
    Option("split", "train", "Split to train on."),
    Option("test_split", "test", "Split AP is measured on."),
    shared(
        "data_dir", "tfds data directory; missing data is downloaded into it."
    ),
    Option(
        "resolution",
        None,
        "Image side: images are fitted into a square (VOC default 512).",
        kind="int",
        low=16,
    ),
    Option(
        "max_boxes",
        None,
        "Boxes per image, padding included (default: shapes_detection's "
        "most objects; VOC 64, and at least 56, its most).",
        kind="int",
    ),
    *DATA_ACCESS_OPTIONS,
    Option(
        "encoder",
        None,
        "Backbone: a MoCo run directory (its encoder's weights), imagenet "
        "(Keras' supervised ResNet-50) or none (random init). Required.",
        kind="str",
    ),
    Option(
        "encoder_checkpoint",
        "latest",
        "The MoCo run's checkpoint: latest, best or a step.",
    ),
    Option(
        "arch",
        None,
        "Encoder of --encoder=none (default resnet50); a MoCo run's is its "
        "own, imagenet's resnet50.",
        kind="str",
        choices=names.RESNETS,
    ),
    Option(
        "width",
        None,
        "First-stage channels of --encoder=none (default: arch's).",
        kind="int",
    ),
    Option(
        "stem",
        None,
        "Stem of --encoder=none (default: cifar below 64 pixels, else "
        "imagenet).",
        kind="str",
        choices=("cifar", "imagenet"),
    ),
    Option(
        "anchor_sizes",
        None,
        "Anchor sides in pixels (default: 32,64,128,256,512 for VOC, "
        "R/6,R/3 for shapes_detection at resolution R).",
        kind="list",
    ),
    Option(
        "anchor_ratios", ["0.5", "1", "2"], "Anchor aspect ratios.", kind="list"
    ),
    Option("rpn_batch_size", 256, "Anchors sampled per image for the RPN."),
    Option("roi_batch_size", 512, "RoIs sampled per image for the box head."),
    Option(
        "train_proposals",
        2000,
        "Proposals kept per image after NMS in training; 6 times as many "
        "are kept before it (12,000 at the default).",
    ),
    Option(
        "test_proposals",
        1000,
        "The same at test (6,000 before NMS at the default).",
    ),
    Option("pooled_size", 14, "RoIAlign's bins per side."),
    Option("sampling_ratio", 2, "RoIAlign's samples per bin and side."),
    Option(
        "frozen_batchnorm",
        False,
        "Use the encoder's moving batch-norm statistics while training.",
    ),
    Option("mirror", True, "Random horizontal flips of the training images."),
    Option("batch_size", 16, "Images per step (global)."),
    Option("steps", 24000, "Training steps."),
    Option("lr", 0.02, "SGD learning rate.", **_POSITIVE),
    Option(
        "lr_steps",
        None,
        "Steps after which the lr is divided by 10 (default: 3/4 and 11/12 "
        "of --steps: 18,000 and 22,000 of 24,000).",
        kind="list",
    ),
    Option("warmup_steps", 100, "Linear lr warm-up from lr/1000.", low=0),
    Option("sgd_momentum", 0.9, "SGD momentum.", **_FRACTION),
    Option("weight_decay", 1e-4, "Decoupled weight decay.", low=0.0),
    # How the run is watched: not in config.json.
    watch_option("eval_every", 2000, "Steps between AP evaluations."),
    watch_option(
        "eval_images",
        None,
        "Test images AP is measured on (default: all).",
        kind="int",
    ),
)
