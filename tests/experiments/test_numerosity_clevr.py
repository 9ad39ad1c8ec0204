"""CLEVR numerosity (Appendix A, Figure 6(b)) on tfds mock data: the
source filtered by object count, the negatives with other counts, the
counter for generated scenes, and the study's CLEVR configuration.

Real CLEVR cannot be downloaded here: the mock scenes are random pixels
with random object lists, so they test the metadata filtering, not the
counter; the counter is tested on rendered scenes of known count."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

import nda_tf.transforms as T
from nda_tf import data
from nda_tf.data import clevr
from nda_tf.eval import numerosity
from nda_tf.experiments import numerosity_study
from nda_tf.gan.recipe import GAN

MOCK = 40


def _metadata_counts():
    return np.array(
        [
            int(clevr.object_count(ex))
            for ex in tfds.load("clevr", split="train")
        ]
    )


def test_the_source_keeps_the_scenes_whose_metadata_has_the_count():
    with tfds.testing.mock_data(num_examples=MOCK):
        counts = _metadata_counts()
        assert {9, 10} <= set(counts)  # mock lists hold 5 to 49 objects
        images, labels, info = data.read_arrays(
            "clevr(counts=(10, 9))", "train", 16
        )
    assert len(images) == np.isin(counts, [9, 10]).sum() == info.num_examples
    assert info.num_classes == 2 and images.shape[1:] == (16, 16, 3)
    expected = np.where(counts[np.isin(counts, [9, 10])] == 10, 0, 1)
    np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("clevr(counts=(2,))", r"no scenes with \[2\] objects"),
        ("clevr(counts=(4, 4))", "distinct"),
        ("clevr(k=4)", "cannot parse dataset"),
    ],
)
def test_bad_clevr_names(name, message):
    with pytest.raises(ValueError, match=message):
        clevr.parse(name)


def test_negatives_are_scenes_with_the_other_counts():
    with tfds.testing.mock_data(num_examples=MOCK):
        counts = _metadata_counts()
        layer = T.get("clevr(counts=(9,), resolution=16, seed=0)")
        negatives = layer(np.zeros([6, 16, 16, 3], np.float32)).numpy()
        scenes, _, _ = data.read_arrays("clevr(counts=(9,))", "train", 16)
        # The config holds no pixels: the copy reads its bank again.
        again = T.OtherClevr.from_config(layer.get_config())
        np.testing.assert_array_equal(
            again(np.zeros([6, 16, 16, 3], np.float32)), negatives
        )
    bank = scenes.astype(np.float32) / 127.5 - 1.0
    assert len(bank) == (counts == 9).sum()
    for negative in negatives:
        assert np.abs(bank - negative).max(axis=(1, 2, 3)).min() < 1e-6


def _scene(count, rng, size=64):
    """A CLEVR-like scene: a shaded grey floor and `count` shaded,
    non-overlapping coloured discs of radius 4 to 7."""
    rows, cols = np.mgrid[:size, :size].astype(np.float32)
    floor = 90 + 60 * rows / size + 10 * np.sin(cols / 9)
    image = np.repeat(floor[..., None], 3, axis=-1)
    centres = []
    while len(centres) < count:
        centre = rng.uniform(10, size - 10, 2)
        if all(np.hypot(*(centre - c)) > 17 for c in centres):
            centres.append(centre)
    for centre in centres:
        radius = rng.uniform(4, 7)
        distance = np.hypot(rows - centre[0], cols - centre[1])
        colour = rng.choice([[200, 40, 40], [40, 160, 60], [50, 60, 200],
                             [220, 200, 40], [30, 30, 30]])  # fmt: skip
        shade = 1 - 0.3 * (distance / radius)
        inside = distance <= radius
        image[inside] = np.asarray(colour)[None] * shade[inside, None]
    noise = rng.normal(0, 3, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def test_counter_counts_rendered_scenes_exactly():
    rng = np.random.default_rng(0)
    truth = np.arange(35) % 7
    scenes = np.stack([_scene(c, rng) for c in truth])
    np.testing.assert_array_equal(numerosity.count_objects(scenes), truth)
    as_floats = scenes.astype(np.float32) / 127.5 - 1
    np.testing.assert_array_equal(numerosity.count_objects(as_floats), truth)
    assert numerosity.count_objects(scenes[3]) == truth[3]


def test_study_configs_for_clevr_train_on_k_against_the_other_counts():
    base = {"loss": "wasserstein", "steps": 2, "arch": "sngan", "ch": 4}
    configs = numerosity_study.study_configs(
        4, [3, 5], base, source="clevr", data_dir="/data"
    )
    plain, nda = configs["without NDA"], configs["with NDA"]
    assert plain["dataset"] == nda["dataset"] == "clevr(counts=(4,))"
    assert plain["nda"] == "none" and plain["resolution"] == 64
    layer = T.get(nda["nda"])
    assert (layer.counts, layer.resolution, layer.data_dir) == (
        [3, 5],
        64,
        "/data",
    )
    resolved = GAN.resolve(dict(nda, steps=2))
    assert resolved["loss"] == "wasserstein" and resolved["data_dir"] == "/data"
