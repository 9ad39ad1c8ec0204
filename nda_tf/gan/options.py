"""The NDA-GAN's settings (`nda_tf.gan.recipe.GAN`), without TensorFlow.

The command line is generated from `OPTIONS` (`nda_tf.experiments.gan`),
and `--help` reads it without loading TensorFlow: its choices come from
the registries' name lists (`nda_tf.models.names`, `nda_tf.gan.names`,
`nda_tf.eval.names`).
"""

from nda_tf.eval import names
from nda_tf.gan import names as gan_names
from nda_tf.models import names as model_names
from nda_tf.training.options import Option, shared
from nda_tf.training.recipe import data_options, length_options, watch_option


def _metric_names():
    return (*names.METRICS, "none")


OPTIONS = (
    *data_options(
        "cifar10",
        "tfds name (cifar10, cifar100, celeb_a, stl10, svhn_cropped), "
        "folder:PATH, npz:PATH, dots or dots(counts=(6,), radius=3).",
    ),
    Option("conditional", False, "Class-conditional GAN."),
    Option(
        "classes",
        [],
        "Train on these class ids only (default: all); with "
        "--nda=other_classes the other classes are the negatives.",
        kind="list",
    ),
    Option(
        "arch", "biggan", "Architecture.", choices=model_names.ARCHITECTURES
    ),
    Option("ch", 64, "Channel multiplier (64: the paper's nets)."),
    Option("z_dim", 128, "Latent size."),
    shared(
        "nda",
        "NDA transform (e.g. jigsaw, 'jigsaw|stitch') or none.",
        default="jigsaw",
    ),
    Option(
        "pda",
        "none",
        "Transform applied to real images as augmentation.",
        kind="transform",
    ),
    Option(
        "pda_probability",
        0.5,
        "Chance that --pda changes a real image.",
        low=0.0,
        high=1.0,
    ),  # fmt: skip
    shared("lam"),
    Option("d_steps", 4, "D steps per G step."),
    Option(
        "d_calls",
        None,
        "D calls per D step. 2: the authors' BigGAN step, with which the "
        "paper's models were trained (negatives scored in a second call; "
        "every spectral-norm estimate of D takes two power-iteration steps "
        "per D step, also with --lam=1). 1: one call on reals, fakes and "
        "negatives (one step, as spectral normalisation is defined). "
        "Default: 2 for --arch=biggan, 1 otherwise.",
        kind="int",
        choices=(1, 2),
    ),
    Option(
        "init",
        None,
        "How biases start (kernels are N(0, 0.02) either way). authors: "
        "as the authors' BigGAN code starts (each SN conv and linear bias "
        "U(+-1/sqrt(fan_in)), PyTorch's default; a one-class G's block BN "
        "gains 1 + N(0, 0.02) and biases N(0, 0.02)). zero_bias: zero "
        "biases, BN gain 1 and bias 0. Default: authors for --arch=biggan, "
        "zero_bias otherwise (the authors' code has no SNGAN).",
        kind="str",
        choices=("authors", "zero_bias"),
    ),
    Option("batch_size", 64, "Images per D step (global)."),
    *length_options(500, "G steps"),
    Option("lr_g", 2e-4, "Generator learning rate.", low=0.0, low_open=True),
    Option(
        "lr_d", 2e-4, "Discriminator learning rate.", low=0.0, low_open=True
    ),
    shared("beta_1", "Adam beta_1 of both nets, [0, 1).", default=0.0),
    shared("beta_2", "Adam beta_2 of both nets, [0, 1)."),
    Option("epsilon", 1e-8, "Adam epsilon.", low=0.0, low_open=True),
    Option(
        "ema_decay",
        0.9999,
        "EMA decay of the generator.",
        low=0.0,
        high=1.0,
        high_open=True,
    ),  # fmt: skip
    Option("ema_start", 1000, "G steps before EMA averaging.", low=0),
    Option("loss", "hinge", "GAN loss.", choices=gan_names.LOSSES),
    Option(
        "cr_weight",
        0.0,
        "Consistency regularisation on reals (CR-BigGAN: 10), 0 = off.",
        low=0.0,
    ),
    Option(
        "cr_fake_weight",
        0.0,
        "CR on generated images too (balanced CR: 10), 0 = off.",
        low=0.0,
    ),
    Option(
        "diffaugment",
        "none",
        "DiffAugment policy, e.g. color,translation,cutout, or none.",
        kind="str",
    ),
    # How the run is watched, not what it learns: not in config.json.
    watch_option("eval_every", 5000, "Steps between evaluations."),
    watch_option("num_grid_samples", 64, "Images in each sample grid."),
    watch_option(
        "eval_metrics",
        ["fid", "kid"],
        "Any of fid, kid, is, or none; the first (fid if given) picks best/.",
        kind="list",
        choices=_metric_names,
    ),
    watch_option(
        "eval_backbone",
        "inception",
        "inception (the TF graph; the only one comparable with published "
        "FIDs), inception_v3_keras or efficientnet_lite0 (works offline).",
        choices=names.BACKBONES,
    ),
    watch_option(
        "eval_weights", None, "Backbone weights file.", kind="str"
    ),  # fmt: skip
    watch_option(
        "eval_download",
        True,
        "Download missing backbone weights once (--no_download: never).",
    ),
    watch_option(
        "eval_cache_dir", None, "Cache of weights and stats.", kind="str"
    ),  # fmt: skip
    watch_option("eval_split", "test", "Split of the reference images."),
    watch_option(
        "sample_stats_batch",
        None,
        "How G's batch norms run when sampling (FID, sample sheets, "
        "scores): 0 with their moving statistics; N as in training, with "
        "the statistics of each batch of N samples, which is how the "
        "authors' BigGAN code evaluates (batch 64). Default: 64 for "
        "--arch=biggan, 0 otherwise.",
        kind="int",
        low=0,
    ),
    watch_option(
        "eval_num_samples",
        None,
        "Generated and reference images per FID/KID evaluation (default: "
        "Appendix J's: 19962 for celeb_a, 8000 for stl10, else 10000).",
        kind="int",
    ),
)

# What `export` (the GAN recipe's hook) reads: the detector's calibration
# and the served names.
EXPORT_OPTIONS = (
    Option(
        "calibration_data",
        None,
        "nda_tf.data source of the detector's calibration images "
        "(default: the run's).",
        kind="str",
    ),
    Option("calibration_split", "test", "Its split."),
    Option("num_calibration", 1000, "Held-out calibration images.", low=2),
    Option(
        "tpr",
        0.95,
        "In-distribution rate kept above the detector's threshold, (0, 1].",
        low=0.0,
        high=1.0,
        low_open=True,
    ),
    Option(
        "label",
        None,
        "Conditional D: score with this class (default: the best).",
        kind="int",
        low=0,
    ),
    Option("detector_name", "nda_ood", "Served detector name."),
    Option("generator_name", "nda_generator", "Served generator name."),
    shared("data_dir", "tfds data directory (default: the run's)."),
)
