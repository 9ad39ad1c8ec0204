"""GAN architectures for NDA-GAN: BigGAN (32/64/128) and a small SNGAN.

All models share one calling convention: `G(z)` / `G([z, labels])` returns
float32 images in [-1, 1]; `D(images)` / `D([images, labels])` returns float32
logits `[B, 1]`. `num_classes=1` builds the unconditional pair.

    >>> from nda_tf import models
    >>> G, D = models.build_gan("sngan", resolution=32, ch=4)
    >>> images = G(keras.random.normal((2, 128)))
    >>> images.shape, bool(keras.ops.all(keras.ops.abs(images) <= 1))
    (TensorShape([2, 32, 32, 3]), True)
    >>> D(images).shape
    TensorShape([2, 1])

The names load on first use (`nda_tf.lazy`): the registries' names
(`nda_tf.models.names`, the commands' flag choices) are read without
TensorFlow.
"""

import importlib

from nda_tf import checks
from nda_tf.lazy import lazy_names
from nda_tf.models import names

# Constructor arguments that only one of the two networks takes.
_G_ONLY = ("z_dim", "sync_batch_norm")


def _architectures():
    """The GAN registry: name -> the module of its `Generator` and
    `Discriminator`."""
    return {
        name: importlib.import_module(f"{__name__}.{name}")
        for name in names.ARCHITECTURES
    }


def build_gan(arch, resolution, ch=64, num_classes=1, **kwargs):
    """Builds a `(generator, discriminator)` pair.

    Args:
        arch: `"biggan"` or `"sngan"`.
        resolution: int image size (32, 64 or 128).
        ch: int channel width multiplier.
        num_classes: int; 1 for unconditional models.
        **kwargs: further constructor arguments. `z_dim` and
            `sync_batch_norm` go to the generator only; the rest (e.g.
            `attention_resolution`, `power_iterations`, `dtype`) to both.

    Returns:
        `(Generator, Discriminator)` instances.
    """
    checks.check_choice("arch", arch, names.ARCHITECTURES)
    module = importlib.import_module(f"{__name__}.{arch}")
    d_kwargs = {k: v for k, v in kwargs.items() if k not in _G_ONLY}
    generator = module.Generator(
        resolution, ch=ch, num_classes=num_classes, **kwargs
    )
    discriminator = module.Discriminator(
        resolution, ch=ch, num_classes=num_classes, **d_kwargs
    )
    return generator, discriminator


__all__ = [
    "ARCHITECTURES",
    "biggan",
    "build_gan",
    "sngan",
]

_getattr, _dir = lazy_names(
    __name__,
    globals(),
    submodules=(
        "biggan biggan_import common layers names pix2pix resnet sngan "
        "spectral_norm video".split()
    ),
)


def __dir__():
    return sorted({*_dir(), "ARCHITECTURES"})


def __getattr__(name):
    if name == "ARCHITECTURES":
        globals()[name] = _architectures()
        return globals()[name]
    return _getattr(name)
