"""Jigsaw-K: shuffle a K x K grid of tiles (paper Appendix B)."""

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.transforms import registry
from nda_tf.transforms.base import NDATransform


@registry.register("jigsaw")
@keras.saving.register_keras_serializable(package="nda_tf")
class Jigsaw(NDATransform):
    """Cuts each image into a `grid x grid` array of tiles and shuffles them.

    Tiles are numbered row-major (`tile = row * grid + col`). Each image gets
    its own permutation, drawn uniformly from all `(grid**2)!` permutations
    except the identity when `exclude_identity=True`, so the output never
    equals the input layout. Paper Appendix B; K = 2 worked best there.

    Args:
        grid: int in [2, 4], tiles per side. Height and width must be
            divisible by it.
        exclude_identity: bool, never return the original layout.
        seed: optional int for reproducible draws.

    Call arguments:
        images: `[B, H, W, C]` or clips `[B, T, H, W, C]`, float or int.
        training: bool; when False the images are returned unchanged.

    Example: on a 2 x 2 image whose pixels are the tiles 0, 1, 2, 3, a
    hand-made permutation (`permutation[b, j]` is the tile shown at position
    `j`) turns the tiles a quarter clockwise.

    >>> tiles = tf.reshape(tf.range(4), [1, 2, 2, 1])
    >>> layer = Jigsaw(grid=2, seed=0)
    >>> negative = layer(tiles)  # a random permutation
    >>> turn = {"permutation": [[2, 0, 3, 1]]}
    >>> layer.transform_images(tiles, turn)[0, :, :, 0].numpy()
    array([[2, 0],
           [3, 1]], dtype=int32)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    def __init__(self, grid=2, exclude_identity=True, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        max_grid = int(nda_random.MAX_PERMUTATION_SIZE**0.5)
        grid = checks.check_int("grid", grid, 2, max_grid)
        if not isinstance(exclude_identity, bool):
            raise ValueError(
                "exclude_identity must be a bool, received "
                f"{exclude_identity!r}"
            )
        self.keep_arguments(grid=grid, exclude_identity=exclude_identity)

    def sample(self, batch_size, height, width, seed):
        self._check_divisible(height, width)
        permutation = nda_random.permutations(
            batch_size, self.grid**2, seed, self.exclude_identity
        )
        return {"permutation": permutation}

    def apply(self, images, transformation):
        """`permutation[b, j]` is the source tile shown at position `j`."""
        height, width = self._spatial_size(images)
        self._check_divisible(height, width)
        grid = self.grid
        shape = tf.shape(images)
        batch, channels = shape[0], shape[3]
        tile_h, tile_w = height // grid, width // grid
        tiles = tf.reshape(
            images, tf.stack([batch, grid, tile_h, grid, tile_w, channels])
        )
        tiles = tf.transpose(tiles, [0, 1, 3, 2, 4, 5])
        tiles = tf.reshape(
            tiles, tf.stack([batch, grid * grid, tile_h, tile_w, channels])
        )
        tiles = tf.gather(tiles, transformation["permutation"], batch_dims=1)
        tiles = tf.reshape(
            tiles, tf.stack([batch, grid, grid, tile_h, tile_w, channels])
        )
        tiles = tf.transpose(tiles, [0, 1, 3, 2, 4, 5])
        return tf.reshape(tiles, tf.shape(images))

    def _check_divisible(self, height, width):
        for axis, size in (("height", height), ("width", width)):
            if isinstance(size, int) and size % self.grid:
                raise ValueError(
                    f"Jigsaw grid={self.grid} must divide the image {axis}; "
                    f"received {axis} {size}"
                )
