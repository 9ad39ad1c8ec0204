"""Every model's constructor defaults equal the Option defaults of the
recipe that builds it, so that `NDAGAN(G, D)` and `--lam` mean the same
run unless a difference is deliberate (`DELIBERATE`)."""

import inspect

import pytest

from nda_tf import models
from nda_tf.contrastive.moco import MoCo
from nda_tf.contrastive.recipe import MOCO
from nda_tf.detection.faster_rcnn import FasterRCNN
from nda_tf.detection.recipe import DETECTION
from nda_tf.gan.nda_gan import NDAGAN
from nda_tf.gan.recipe import GAN
from nda_tf.models import biggan, pix2pix, sngan, video
from nda_tf.translation.pix2pix import NDAPix2Pix
from nda_tf.translation.recipe import PIX2PIX
from nda_tf.video.classifier import VideoClassifier
from nda_tf.video.dpc import DPC
from nda_tf.video.recipe import DPC_RECIPE, VIDEO_FINETUNE

# (recipe, what it builds, {constructor argument: option} where they differ)
BUILT = [
    (GAN, NDAGAN, {}),
    (GAN, models.build_gan, {}),
    (GAN, biggan.Generator, {}),
    (GAN, biggan.Discriminator, {}),
    (GAN, sngan.Generator, {}),
    (GAN, sngan.Discriminator, {}),
    (MOCO, MoCo, {}),
    (PIX2PIX, NDAPix2Pix, {}),
    (PIX2PIX, pix2pix.unet_generator, {}),
    (PIX2PIX, pix2pix.patch_discriminator, {"layers": "d_layers",
                                            "filters": "d_filters"}),
    (DPC_RECIPE, DPC, {}),
    (DPC_RECIPE, video.build_encoder, {}),
    (VIDEO_FINETUNE, VideoClassifier, {}),
    (DETECTION, FasterRCNN, {}),
]  # fmt: skip
# Differences on purpose: a model is seeded only when asked (a run always
# is); a bare NDAGAN or NDAPix2Pix makes no negatives unless given a
# transform, while the recipes' default is the paper's jigsaw run; MoCo's
# head is as wide as its encoder unless told (the recipe: the paper's 2048);
# the detector takes proposals as (before NMS, after NMS), the recipe's
# options the count after NMS (it keeps six times as many before: the
# detector's defaults again).
DELIBERATE = {
    ("gan", "seed"), ("moco", "seed"), ("pix2pix", "seed"), ("dpc", "seed"),
    ("gan", "nda"), ("pix2pix", "nda"), ("moco", "hidden_dim"),
    ("detection", "seed"), ("detection", "train_proposals"),
    ("detection", "test_proposals"),
}  # fmt: skip


def _same(option_default, argument_default):
    # "none" and None both mean no transform (transforms.get, parse_policy).
    none = (None, "none")
    if option_default in none and argument_default in none:
        return True
    # A list option holds its numbers as the flags' strings.
    if isinstance(option_default, list) and isinstance(argument_default, tuple):
        return [float(v) for v in option_default] == list(argument_default)
    return option_default == argument_default


def shared_defaults(recipe, built, renamed):
    """`(argument, its default, the option's default)` of each argument of
    `built` with a default that an option of `recipe` sets; options that
    are derived when a run starts (default None, e.g. `d_calls`, `depth`)
    are left out."""
    options = {o.name: o for o in recipe.all_options()}
    found = []
    for name, parameter in inspect.signature(built).parameters.items():
        option = options.get(renamed.get(name, name))
        if option is None or parameter.default is inspect.Parameter.empty:
            continue
        if option.default is None and parameter.default is not None:
            continue  # derived from the data or another option
        found.append((name, parameter.default, option.default))
    return found


@pytest.mark.parametrize(
    "recipe, built, renamed",
    BUILT,
    ids=[f"{r.name}-{getattr(b, '__name__', b)}" for r, b, _ in BUILT],
)
def test_constructor_defaults_are_the_recipe_defaults(recipe, built, renamed):
    compared = shared_defaults(recipe, built, renamed)
    assert compared, "nothing compared: a renamed argument or option?"
    different = [
        (name, argument, option)
        for name, argument, option in compared
        if (recipe.name, name) not in DELIBERATE and not _same(option, argument)
    ]
    assert different == []


def test_the_deliberate_differences_are_still_differences():
    # A difference that went away should leave the list.
    for recipe, built, renamed in BUILT:
        for name, argument, option in shared_defaults(recipe, built, renamed):
            if (recipe.name, name) in DELIBERATE:
                assert not _same(option, argument), (recipe.name, name)


def test_a_changed_default_is_found():
    class Drifted(GAN.__class__):
        options = tuple(
            o if o.name != "lam" else o.__class__("lam", 0.5, o.help)
            for o in GAN.options
        )

    compared = shared_defaults(Drifted(), NDAGAN, {})
    assert ("lam", 0.25, 0.5) in compared
