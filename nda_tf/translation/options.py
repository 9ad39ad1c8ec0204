"""NDA-Pix2Pix's settings (`nda_tf.translation.recipe.PIX2PIX`), without
TensorFlow.

The command line is generated from `OPTIONS`
(`nda_tf.experiments.pix2pix`), and `--help` reads it without loading
TensorFlow (choices from `nda_tf.models.names`, `nda_tf.translation.names`).
"""

from nda_tf.models import names
from nda_tf.training.options import Option, shared
from nda_tf.training.recipe import data_options, length_options, watch_option
from nda_tf.translation import names as translation_names

_POSITIVE = {"low": 0.0, "low_open": True}
OPTIONS = (
    *data_options(
        "cityscapes",
        "cityscapes (tfds, manual download), paired:PATH (A|B side by "
        "side), paired:A_DIR,B_DIR, shapes or shapes(count=1000, size=32).",
    ),
    Option(
        "direction",
        "AtoB",
        "AtoB: condition A (left / first folder), target B.",
        choices=("AtoB", "BtoA"),
    ),
    Option(
        "load_size",
        None,
        "Jitter: resize to this, random crop back (default: resolution "
        "x 286/256; = resolution: no crop).",
        kind="int",
    ),
    Option("mirror", True, "Jitter: random horizontal mirror."),
    Option(
        "depth",
        None,
        "U-Net levels (default: the most, up to 8, the size allows).",
        kind="int",
    ),
    Option("filters", 64, "U-Net first-level channels."),
    Option("d_filters", 64, "PatchGAN first-layer channels."),
    Option("d_layers", 3, "PatchGAN stride-2 layers (3: 70x70 patches)."),
    Option("norm", "batch", "Normalisation.", choices=names.NORMS),
    Option("dropout", 0.5, "Decoder dropout rate.", low=0.0, high=1.0),
    Option(
        "inference_dropout",
        True,
        "Keep dropout on when translating (as the original).",
    ),
    shared(
        "nda",
        "NDA transform of the target (jigsaw, stitch, ...) or none.",
        default="jigsaw",
    ),
    Option(
        "joint_nda", False, "Transform condition and target together."
    ),  # fmt: skip
    shared("lam"),
    Option(
        "loss", "cgan", "cgan or l1_cgan.", choices=translation_names.LOSSES
    ),
    Option("l1_weight", 100.0, "L1 weight of l1_cgan.", low=0.0),
    Option("batch_size", 1, "Pairs per step (global)."),
    *length_options(200),
    Option(
        "decay_epochs",
        100,
        "Last epochs with a linear LR decay to 0.",
        low=0,
    ),  # fmt: skip
    Option("lr", 2e-4, "Adam learning rate of both nets.", **_POSITIVE),
    shared("beta_1", default=0.5),
    shared("beta_2"),
    # How the run is watched: not in config.json.
    watch_option("eval_every", 5000, "Steps between label-map scores."),
    watch_option(
        "eval_split",
        "val",
        "Split scored (paired:PATH reads PATH/val, else PATH itself).",
    ),
    watch_option("eval_images", 500, "Pairs scored per evaluation."),
    watch_option("num_grid_images", 8, "Pairs in each sample grid."),
)

# What `export` (the recipe's hook) reads besides the common options.
EXPORT_OPTIONS = (
    Option("translator_name", "nda_pix2pix", "Served Pix2Pix G name."),
)
