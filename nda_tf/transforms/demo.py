"""Draws every transform on sample photos, like the paper's Figure 2.

    python -m nda_tf.transforms.demo --out=transforms.png

Rows: the original images, then one row per transform; columns: the same
photos (scikit-image's bundled samples, so nothing is downloaded). Runs in a
few seconds on a CPU.
"""

import argparse

import numpy as np
import tensorflow as tf

from nda_tf import extras
from nda_tf.transforms.registry import get

SAMPLE_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "colorwheel",
)
DEFAULT_TRANSFORMS = (
    "jigsaw(grid=2)",
    "stitch",
    "cutout",
    "cutmix",
    "mixup(alpha=25)",
    "random_crop(padding=12)",
    "horizontal_flip(probability=1.0)",
    "vertical_flip(probability=1.0)",
    "gaussian_noise(stddev=0.15, value_range=(0, 1))",
)


def sample_images(size=96):
    """scikit-image's bundled photos, centre-cropped and resized, in [0, 1]."""
    with extras.needs("studies", __name__):
        from skimage import data

    images = []
    for name in SAMPLE_PHOTOS:
        photo = getattr(data, name)()[..., :3]
        side = min(photo.shape[:2])
        top = (photo.shape[0] - side) // 2
        left = (photo.shape[1] - side) // 2
        square = photo[top : top + side, left : left + side]
        images.append(
            tf.image.resize(square, [size, size], antialias=True) / 255.0
        )
    return tf.clip_by_value(tf.stack(images), 0.0, 1.0)


def draw(transforms=DEFAULT_TRANSFORMS, size=96, seed=0):
    """Returns a matplotlib figure: originals, then a row per transform."""
    with extras.needs("studies", __name__):
        import matplotlib.pyplot as plt

    images = sample_images(size)
    rows = [("original", images.numpy())]
    for spec in transforms:
        rows.append((spec, get(spec).transform_with_seed(images, seed)))
    columns = images.shape[0]
    figure, axes = plt.subplots(
        len(rows), columns, figsize=(1.3 * columns + 1.6, 1.3 * len(rows))
    )
    for row, (label, batch) in enumerate(rows):
        for column in range(columns):
            axis = axes[row, column]
            axis.imshow(np.asarray(batch[column]))
            axis.set_xticks([])
            axis.set_yticks([])
        axes[row, 0].set_ylabel(
            label.split("(")[0], rotation=0, ha="right", va="center"
        )
    figure.suptitle("NDA and control transforms (nda_tf.transforms)")
    figure.tight_layout()
    return figure


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="transforms.png", help="PNG path")
    parser.add_argument("--size", type=int, default=96, help="pixels a side")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--transforms",
        default=None,
        help="';'-separated transforms, e.g. 'jigsaw(grid=3);stitch' "
        "(see nda_tf.transforms.get); default: all of them",
    )
    args = parser.parse_args(argv)
    if args.size < 6:
        parser.error(f"--size must be at least 6, received {args.size}")
    try:
        extras.require(("studies",), "nda_tf.transforms.demo")
    except extras.MissingExtraError as error:
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    specs = DEFAULT_TRANSFORMS
    if args.transforms is not None:
        specs = tuple(s for s in args.transforms.split(";") if s.strip())
    import matplotlib

    matplotlib.use("Agg")  # files only; no display is needed
    figure = draw(specs, args.size, args.seed)
    figure.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
