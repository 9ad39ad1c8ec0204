"""Paper Figure 9's distances on MoCo runs."""

import json

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import training
from nda_tf.contrastive import evaluation
from nda_tf.contrastive.recipe import MOCO
from nda_tf.data import images as image_ops
from nda_tf.studies.nda_distance import study as nda_distance_study
from tests.contrastive import runs


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    return runs.two_runs(tmp_path_factory.mktemp("runs"))


def test_figure9_distances_and_histogram(two_runs, tmp_path):
    out = str(tmp_path / "fig9.png")
    labels = {"MoCo-v2": two_runs["none"], "NDA": two_runs["jigsaw"]}
    distances, summary = nda_distance_study.figure9(labels, out, num_images=24)
    # Each run's distances, recomputed from its encoder on the same images.
    moco, config = training.load_run(MOCO, two_runs["none"])
    pixels, _ = evaluation.labelled_images(config, True, 24)
    images = image_ops.to_float(pixels).numpy()
    expected = evaluation.nda_cosine_distance(moco.encoder, images, "jigsaw")
    np.testing.assert_allclose(distances["MoCo-v2"], expected, rtol=1e-6)
    assert not np.allclose(distances["MoCo-v2"], distances["NDA"])
    picture = tf.io.decode_png(tf.io.read_file(out))
    assert picture.shape[0] > 100 and picture.shape[1] > 100
    with open(str(tmp_path / "fig9.json")) as file:
        saved = json.load(file)
    assert saved["distance"]["NDA"]["mean"] == pytest.approx(
        float(np.mean(distances["NDA"]))
    )
    assert summary["distance"]["MoCo-v2"]["images"] == 24
    with pytest.raises(ValueError, match="at least one run"):
        nda_distance_study.figure9({}, out)
