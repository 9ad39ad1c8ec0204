"""NDA and PDA transforms as Keras 3 layers (paper Appendix B).

Every transform maps a batch `[B, H, W, C]` (or clips `[B, T, H, W, C]`) to
the same shape and dtype, draws its randomness per image, and separates
sampling (`get_random_transformation`) from applying (`transform_images`);
`transform_with_seed` does both from one seed.

    >>> import nda_tf.transforms as T
    >>> negatives = T.get("jigsaw(grid=2)")(tf.random.uniform([4, 32, 32, 3]))
    >>> negatives.shape, negatives.dtype.name
    (TensorShape([4, 32, 32, 3]), 'float32')
"""

# Importing the transform modules also registers their names with `get`.
from nda_tf.transforms.base import NDATransform
from nda_tf.transforms.controls import (
    GaussianNoise,
    HorizontalFlip,
    RandomCrop,
    VerticalFlip,
)
from nda_tf.transforms.cutout import CutMix, Cutout
from nda_tf.transforms.jigsaw import Jigsaw
from nda_tf.transforms.mixup import Mixup
from nda_tf.transforms.other_samples import (
    OtherClasses,
    OtherClevr,
    OtherDots,
    OtherSamples,
)
from nda_tf.transforms.random_choice import RandomChoice
from nda_tf.transforms.registry import available, get, register
from nda_tf.transforms.stitch import Stitch

__all__ = [
    "CutMix",
    "Cutout",
    "GaussianNoise",
    "HorizontalFlip",
    "Jigsaw",
    "Mixup",
    "NDATransform",
    "OtherClasses",
    "OtherClevr",
    "OtherDots",
    "OtherSamples",
    "RandomChoice",
    "RandomCrop",
    "Stitch",
    "VerticalFlip",
    "available",
    "get",
    "register",
]
