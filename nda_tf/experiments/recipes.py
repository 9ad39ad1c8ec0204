"""The recipes by name, and the recipe of an existing run directory."""

from nda_tf.contrastive.recipe import MOCO
from nda_tf.detection.recipe import DETECTION
from nda_tf.gan.recipe import GAN
from nda_tf.training import read_config, recipe_of
from nda_tf.translation.recipe import PIX2PIX
from nda_tf.video.recipe import DPC_RECIPE, VIDEO_FINETUNE

RECIPES = {
    recipe.name: recipe
    for recipe in (GAN, MOCO, PIX2PIX, DPC_RECIPE, VIDEO_FINETUNE, DETECTION)
}


def of_run(logdir):
    """The recipe that wrote `logdir` (`nda_tf.training.recipe_of`)."""
    name = recipe_of(read_config(logdir))
    if name not in RECIPES:
        raise ValueError(
            f"{logdir!r} holds a {name!r} run; known: {', '.join(RECIPES)}"
        )
    return RECIPES[name]
