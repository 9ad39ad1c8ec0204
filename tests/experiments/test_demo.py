"""The transforms picture is drawn from bundled photos."""

import matplotlib.image
from absl import flags

from nda_tf.experiments import cli, demo


def test_demo_writes_a_grid_with_a_row_per_transform(tmp_path, capsys):
    out = tmp_path / "grid.png"
    fv = flags.FlagValues()
    cli.define_flags(demo.OPTIONS, fv)
    fv(["demo", f"--out={out}", "--size=24", "--transforms=jigsaw;cutout"])
    demo.main(fv)
    assert f"wrote {out}" in capsys.readouterr().out
    picture = matplotlib.image.imread(out)
    # Three rows (original, jigsaw, cutout) of six photos: wider than tall.
    height, width = picture.shape[:2]
    assert width > height > 0


def test_sample_images_are_in_unit_range():
    images = demo.sample_images(size=16).numpy()
    assert images.shape == (len(demo.SAMPLE_PHOTOS), 16, 16, 3)
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert images.std() > 0.1
