"""Report outputs: tables, PNGs and TensorBoard events."""

import json

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.eval.ood import detection as ood
from nda_tf.eval.ood import report as ood_report
from nda_tf.eval.ood import sets as sets_lib
from tests.gan import tiny

PNG = b"\x89PNG\r\n\x1a\n"


def _events(directory):
    tags = set()
    for path in tf.io.gfile.glob(f"{directory}/events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags.update(value.tag for value in event.summary.value)
    return tags


def test_evaluate_and_write_everything(tmp_path):
    # D(x) = mean(x): bright in-distribution images against darker sets.
    D = tiny.mean_pixel_discriminator()
    rng = np.random.default_rng(0)
    shape = (20, tiny.SIZE, tiny.SIZE, 1)
    normal = rng.uniform(0.0, 1.0, shape).astype(np.float32)
    sets = [
        sets_lib.OODSet("dark", normal - 1.0, None),
        sets_lib.OODSet("same", normal, None),
        sets_lib.OODSet("g/a", normal - 0.1, "g"),
        sets_lib.OODSet("g/b", normal + 1.0, "g"),
    ]
    report = ood.evaluate(
        D, normal, sets, batch_size=8, transform=lambda x: x - 0.25
    )
    assert report.aurocs["dark"] == 1.0  # every pixel 1 lower
    assert report.aurocs["same"] == pytest.approx(0.5)
    assert report.aurocs["g/b"] == 0.0
    np.testing.assert_allclose(report.differences, 0.25, rtol=1e-5)
    paths = ood_report.write(report, str(tmp_path), step=7, title="t")
    for name in ("roc", "scores", "difference"):
        assert open(paths[name], "rb").read(8) == PNG
    markdown = open(paths["markdown"]).read()
    assert (
        markdown.startswith("# t\n")
        and "| dark | 1.0000 | 0.0000 | 1.0000 | 1.0000 | 20 |" in markdown
    )
    assert open(paths["csv"]).read() == report.to_csv()
    tags = _events(tmp_path)
    for tag in (
        "auroc/dark",
        "auroc/g",
        "auroc/average",
        "scores/in_distribution",
        "scores/g/a",
        "score_difference/function",
        "ood/roc",
        "ood/scores",
        "ood/difference",
    ):
        assert tag in tags, tag
    record = json.loads(open(paths["json"]).read())
    assert record["sets"]["dark"]["fpr95"] == 0.0
    assert record["entries"]["g"]["auroc"] == report.entries()["g"]
    assert record["step"] == 7 and record["title"] == "t"
    stats = json.loads(open(paths["differences"]).read())
    assert stats["function"]["share_positive"] == 1.0
    assert stats["function"]["median"] == pytest.approx(0.25, rel=1e-5)
    values = ood_report.read_differences(str(tmp_path))
    np.testing.assert_array_equal(values["function"], report.differences)


def test_overlay_draws_one_panel_per_transform_and_names_gaps():
    plain = {"corrupt:gaussian_noise_5": np.zeros(5), "jigsaw": np.ones(5)}
    nda = {"corrupt:gaussian_noise_5": np.full(5, 3.0), "jigsaw": np.ones(5)}
    figure = ood_report.overlay_figure({"BigGAN": plain, "NDA": nda})
    panels = [a for a in figure.axes if a.axison]
    assert len(panels) == 2
    legend = [t.get_text() for t in panels[0].get_legend().get_texts()]
    assert legend == ["BigGAN: median 0, 0% > 0", "NDA: median 3, 100% > 0"]
    with pytest.raises(ValueError, match="run 'NDA' has no D"):
        ood_report.overlay_figure({"BigGAN": plain, "NDA": {}})
