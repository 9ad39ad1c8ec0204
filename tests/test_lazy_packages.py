"""Packages that load their names on first use, and the registries' name
lists that command lines read without TensorFlow (issue 14: `--help` in
about a second)."""

import importlib

import pytest

from nda_tf import models
from nda_tf.gan import losses as gan_losses
from nda_tf.gan import names as gan_names
from nda_tf.models import names, pix2pix, resnet, video
from nda_tf.translation import losses as translation_losses
from nda_tf.translation import names as translation_names

LAZY = (
    "nda_tf.contrastive",
    "nda_tf.detection",
    "nda_tf.gan",
    "nda_tf.models",
    "nda_tf.translation",
    "nda_tf.video",
)


@pytest.mark.parametrize("package", LAZY)
def test_every_public_name_still_imports(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        assert value is not None
        assert name in dir(module)
        # `from package import name` gives the same object.
        assert getattr(__import__(package, fromlist=[name]), name) is value


def test_lazy_names_are_the_defining_modules_objects():
    from nda_tf.contrastive import MoCo, contrastive_loss
    from nda_tf.contrastive.losses import contrastive_loss as defined_loss
    from nda_tf.contrastive.moco import MoCo as defined_moco
    from nda_tf.gan import NDAGAN
    from nda_tf.gan.nda_gan import NDAGAN as defined_gan
    from nda_tf.video import DPC
    from nda_tf.video.dpc import DPC as defined_dpc

    assert (MoCo, contrastive_loss) == (defined_moco, defined_loss)
    assert NDAGAN is defined_gan and DPC is defined_dpc
    import nda_tf.gan

    assert nda_tf.gan.losses is gan_losses


@pytest.mark.parametrize("package", LAZY)
def test_an_unknown_name_is_an_attribute_error_naming_it(package):
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match=f"{package}.*'no_such_name'"):
        module.no_such_name  # noqa: B018
    assert not hasattr(module, "no_such_name")


def test_the_registries_are_keyed_by_the_name_lists():
    assert tuple(models.ARCHITECTURES) == names.ARCHITECTURES
    assert models.ARCHITECTURES["sngan"] is importlib.import_module(
        "nda_tf.models.sngan"
    )
    assert tuple(resnet.BACKBONES) == names.RESNETS
    assert tuple(video.ENCODERS) == names.VIDEO_ENCODERS
    assert pix2pix.NORMS is names.NORMS
    assert gan_losses.LOSSES is gan_names.LOSSES
    assert translation_losses.LOSSES is translation_names.LOSSES


def test_build_gan_still_checks_the_architecture():
    with pytest.raises(ValueError, match="arch.*'stylegan'"):
        models.build_gan("stylegan", 32)
