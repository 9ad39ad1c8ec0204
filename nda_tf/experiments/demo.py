"""Draws every transform on sample photos, like the paper's Figure 2.

    python -m nda_tf.experiments.demo --out=transforms.png

Rows: the original images, then one row per transform; columns: the same
photos (scikit-image's bundled samples, so nothing is downloaded). Runs in a
few seconds on a CPU.
"""

from nda_tf import extras
from nda_tf.experiments import cli
from nda_tf.training import Option, shared

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


OPTIONS = (
    Option("out", "transforms.png", "PNG path."),
    Option("size", 96, "Pixels a side.", low=6),
    shared("seed", "Seed of the transforms."),
    Option(
        "transforms",
        None,
        "';'-separated transforms, e.g. 'jigsaw(grid=3);stitch' (see "
        "nda_tf.transforms.get); default: all of them.",
        kind="str",
    ),
)


def sample_images(size=96):
    """scikit-image's bundled photos, centre-cropped and resized, in [0, 1]."""
    import tensorflow as tf

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
    import numpy as np

    from nda_tf.transforms import get

    with extras.needs("studies", __name__):
        from matplotlib.figure import Figure

    images = sample_images(size)
    rows = [("original", images.numpy())]
    for spec in transforms:
        rows.append((spec, get(spec).transform_with_seed(images, seed)))
    columns = images.shape[0]
    figure = Figure(figsize=(1.3 * columns + 1.6, 1.3 * len(rows)))
    axes = figure.subplots(len(rows), columns, squeeze=False)
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


def main(fv):
    """Draws the picture as the parsed flags `fv` say."""
    cli.check_output_file("out", fv.out)
    specs = DEFAULT_TRANSFORMS
    if fv.transforms is not None:
        specs = tuple(s for s in fv.transforms.split(";") if s.strip())
    draw(specs, fv.size, fv.seed).savefig(fv.out, dpi=100)
    print(f"wrote {fv.out}")


if __name__ == "__main__":
    cli.run_command(
        OPTIONS, main, "nda_tf.experiments.demo", extras=("studies",)
    )
