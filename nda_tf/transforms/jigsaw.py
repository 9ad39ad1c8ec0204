"""Jigsaw-K: shuffle a K x K grid of tiles (paper Appendix B)."""

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.transforms import registry
from nda_tf.transforms.base import NDATransform

# How tiles are put back (`Jigsaw(reassembly=...)`).
REASSEMBLIES = ("row_major", "column_major")


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
        reassembly: "row_major" (the paper's jigsaw) or "column_major",
            the authors' code: tiles are cut row-major but put back
            column-major, so the drawn permutation `p` shows tile
            `p[col * grid + row]` at (row, col); excluding the identity
            `p` then excludes the transposed layout instead, and the
            original image comes back once in `(grid**2)! - 1` draws (1
            in 23 at grid 2). Only for feeding both codes the same
            negatives in a comparison (`tools/biggan_training_parity.py`).
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

    def __init__(
        self,
        grid=2,
        exclude_identity=True,
        reassembly="row_major",
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        max_grid = int(nda_random.MAX_PERMUTATION_SIZE**0.5)
        grid = checks.check_int("grid", grid, 2, max_grid)
        if not isinstance(exclude_identity, bool):
            raise ValueError(
                "exclude_identity must be a bool, received "
                f"{exclude_identity!r}"
            )
        self.keep_arguments(
            grid=grid,
            exclude_identity=exclude_identity,
            reassembly=checks.check_choice(
                "reassembly", reassembly, REASSEMBLIES
            ),
        )

    def sample(self, batch_size, height, width, seed):
        self._check_divisible(height, width)
        permutation = nda_random.permutations(
            batch_size, self.grid**2, seed, self.exclude_identity
        )
        return {"permutation": permutation}

    def apply(self, images, transformation):
        """`permutation[b, j]` is the source tile shown at position `j`
        (row-major; column-major positions with `reassembly`)."""
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
        tiles = tf.gather(tiles, self._shown(transformation), batch_dims=1)
        tiles = tf.reshape(
            tiles, tf.stack([batch, grid, grid, tile_h, tile_w, channels])
        )
        tiles = tf.transpose(tiles, [0, 1, 3, 2, 4, 5])
        return tf.reshape(tiles, tf.shape(images))

    def _shown(self, transformation):
        """The source tile shown at each row-major position."""
        permutation = transformation["permutation"]
        if self.reassembly == "row_major":
            return permutation
        grid = self.grid
        # Row-major position row * grid + col reads column-major entry
        # col * grid + row of the drawn permutation.
        column_major = [c * grid + r for r in range(grid) for c in range(grid)]
        return tf.gather(permutation, column_major, axis=1)

    def _check_divisible(self, height, width):
        for axis, size in (("height", height), ("width", width)):
            if isinstance(size, int) and size % self.grid:
                raise ValueError(
                    f"Jigsaw grid={self.grid} must divide the image {axis}; "
                    f"received {axis} {size}"
                )
