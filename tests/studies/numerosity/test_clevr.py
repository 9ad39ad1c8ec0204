"""CLEVR numerosity (Appendix A, Figure 6(b)) on tfds mock data: the
source filtered by object count, the negatives with other counts, the
counter for generated scenes, and the study's CLEVR configuration.

Real CLEVR cannot be downloaded here: the mock scenes are random pixels
with random object lists, so they test the metadata filtering, not the
counter; the counter is tested on rendered scenes of known count."""

import json

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import nda_tf.transforms as T
from nda_tf import data
from nda_tf.data import clevr
from nda_tf.eval import counting as numerosity
from nda_tf.gan.recipe import GAN
from nda_tf.studies.numerosity import counter
from nda_tf.studies.numerosity import study as numerosity_study

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


# Mock validation scenes: (metadata count, discs drawn). Two scenes are
# drawn with a disc too few, standing for the counter's misses.
MOCK_SCENES = [(3, 3), (3, 2), (4, 4), (4, 4), (5, 5), (5, 4), (3, 3), (6, 6)]


def _mock_clevr(self, split, **kwargs):
    """tfds as_dataset: rendered scenes whose metadata lists `count`
    objects."""
    rng = np.random.default_rng(1)
    scenes = [(count, _scene(drawn, rng)) for count, drawn in MOCK_SCENES]

    def examples():
        for count, image in scenes:
            yield {"image": image, "objects": {"color": np.zeros(count)}}

    return tf.data.Dataset.from_generator(
        examples,
        output_signature={
            "image": tf.TensorSpec([64, 64, 3], tf.uint8),
            "objects": {"color": tf.TensorSpec([None], tf.float64)},
        },
    )


def _run_counter(monkeypatch, args):
    """The clevr_counter command in this process; its exit code. The
    logging set-up the command makes for its process is undone."""
    import logging
    import sys

    from absl import logging as absl_logging

    from nda_tf.experiments import clevr_counter, cli

    ours = logging.getLogger("nda_tf")
    saved = (list(ours.handlers), ours.level, ours.propagate)
    verbosity = absl_logging.get_verbosity()
    monkeypatch.setattr(sys, "argv", ["prog_counter", *args])
    try:
        with pytest.raises(SystemExit) as stopped:
            cli.run_command(
                clevr_counter.OPTIONS, clevr_counter.main, "prog_counter"
            )
    finally:
        for flag in cli.FLAGS.get_flags_for_module("prog_counter"):
            delattr(cli.FLAGS, flag.name)
        cli.FLAGS.unparse_flags()
        ours.handlers[:], ours.level, ours.propagate = saved
        absl_logging.set_verbosity(verbosity)
        import keras

        keras.config.enable_interactive_logging()
    return stopped.value.code


def test_counter_accuracy_on_mock_clevr_scenes_of_known_count(
    tmp_path, monkeypatch, capsys
):
    with tfds.testing.mock_data(as_dataset_fn=_mock_clevr):
        images, truth = counter.scenes_by_count((3, 4, 5), per_count=2)
        # Two of each count, the first found, grouped by count.
        np.testing.assert_array_equal(truth, [3, 3, 4, 4, 5, 5])
        result = numerosity.counter_accuracy(
            truth, numerosity.count_objects(images)
        )
        assert result.confusion == {3: {2: 1, 3: 1}, 4: {4: 2}, 5: {4: 1, 5: 1}}
        assert result.accuracy == pytest.approx(4 / 6)
        assert result.within_one == 1.0
        assert result.per_count == {3: 0.5, 4: 1.0, 5: 0.5}
        # The command: all scenes of 3..6 objects, written to --out.
        code = _run_counter(
            monkeypatch, ["--counts=3,4,5,6", f"--out={tmp_path}"]
        )
        assert code in (0, None)
        record = json.loads((tmp_path / "counter.json").read_text())
        assert record["total"] == 8 and record["accuracy"] == 6 / 8
        assert record["confusion"]["6"] == {"6": 1}
        assert "| 3 | 1 | 2 | 0 | 0 | 0 | 0.6667 |" in capsys.readouterr().out
        # A count of CLEVR v1.0 of which the split read has no scene.
        with pytest.raises(ValueError, match=r"no scenes with \[7\] objects"):
            counter.scenes_by_count((3, 7))
    # A count that CLEVR v1.0 never has, refused before any data is read.
    code = _run_counter(monkeypatch, ["--counts=2"])
    assert "prog_counter: error: CLEVR v1.0 has no scenes with [2]" in code


# A made-up CLEVR folder (the CLEVR_v1.0 zip's layout): (object count in
# the scenes file, discs drawn). One three-object scene is drawn with a
# disc too few, standing for a counter's miss.
FOLDER_SCENES = [(2, 2), (1, 1), (3, 3), (2, 2), (3, 2), (1, 1), (2, 2)]


def _clevr_folder(root, split="train", scenes=FOLDER_SCENES):
    """Writes `root/images/<split>/*.png` (RGBA, as the generator writes
    them) and `root/scenes/CLEVR_<split>_scenes.json`; returns the drawn
    images."""
    from PIL import Image

    rng = np.random.default_rng(2)
    (root / "images" / split).mkdir(parents=True)
    (root / "scenes").mkdir()
    records, drawn = [], []
    for index, (count, discs) in enumerate(scenes):
        image = _scene(discs, rng, size=48)
        name = f"CLEVR_{split}_{index:06d}.png"
        Image.fromarray(image).convert("RGBA").save(
            root / "images" / split / name
        )
        objects = [{"shape": "sphere", "color": "red"}] * count
        records.append({"image_filename": name, "objects": objects})
        drawn.append(image)
    scenes_file = root / "scenes" / f"CLEVR_{split}_scenes.json"
    scenes_file.write_text(json.dumps({"info": {}, "scenes": records}))
    return np.stack(drawn)


def test_a_clevr_folder_gives_the_scenes_of_the_counts_asked(tmp_path):
    drawn = _clevr_folder(tmp_path)
    name = f"clevr(counts=(2, 3), folder={str(tmp_path)!r})"
    images, labels, info = data.read_arrays(name, "train", 48)
    # Scenes 0, 2, 3, 4, 6 in file order; 2 objects is label 0, 3 is 1.
    np.testing.assert_array_equal(images, drawn[[0, 2, 3, 4, 6]])
    np.testing.assert_array_equal(labels, [0, 1, 0, 1, 0])
    assert info.num_classes == 2 and info.num_examples == 5
    # Counts that tfds' CLEVR v1.0 lacks are fine in a folder.
    assert clevr.parse_options(name) == ((2, 3), str(tmp_path))
    ones, _, _ = data.read_arrays(
        clevr.source_name((1,), str(tmp_path)), "train", 24
    )
    assert ones.shape == (2, 24, 24, 3)


def test_the_validation_split_of_a_clevr_folder_is_the_zips_val(tmp_path):
    drawn = _clevr_folder(tmp_path, split="val")
    images, truth = counter.scenes_by_count(
        (3, 1), per_count=1, resolution=48, folder=str(tmp_path)
    )
    np.testing.assert_array_equal(truth, [3, 1])
    np.testing.assert_array_equal(images, drawn[[2, 1]])


def test_bad_clevr_folders_are_named(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(ValueError, match="CLEVR folder not found"):
        data.read_arrays(clevr.source_name((2,), str(missing)), "train", 8)
    _clevr_folder(tmp_path)
    with pytest.raises(ValueError, match="CLEVR_test_scenes.json"):
        clevr.folder_scenes(str(tmp_path), "test")
    with pytest.raises(ValueError, match=r"no scenes with \[5\] objects"):
        data.read_arrays(clevr.source_name((5,), str(tmp_path)), "train", 8)
    (tmp_path / "images" / "train" / "CLEVR_train_000004.png").unlink()
    with pytest.raises(ValueError, match="CLEVR_train_000004.png'.* not exist"):
        clevr.folder_scenes(str(tmp_path), "train")
    with pytest.raises(ValueError, match="cannot parse dataset"):
        clevr.parse("clevr(counts=(2,), folder=3)")


def test_the_paper_setting_from_a_folder_two_against_one_and_three(tmp_path):
    drawn = _clevr_folder(tmp_path)
    folder = str(tmp_path)
    configs = numerosity_study.study_configs(
        2, [1, 3], {"loss": "wasserstein"}, source="clevr", clevr_folder=folder
    )
    plain, nda = configs["without NDA"], configs["with NDA"]
    assert plain["dataset"] == nda["dataset"] == clevr.source_name((2,), folder)
    layer = T.get(nda["nda"])
    assert (layer.counts, layer.folder) == ([1, 3], folder)
    # The negatives are the one- and three-object scenes, at 48 x 48.
    layer = T.OtherClevr(counts=(1, 3), resolution=48, folder=folder, seed=0)
    negatives = layer(np.zeros([8, 48, 48, 3], np.float32)).numpy()
    bank = drawn[[1, 2, 4, 5]].astype(np.float32) / 127.5 - 1.0
    for negative in negatives:
        assert np.abs(bank - negative).max(axis=(1, 2, 3)).min() < 1e-6
    again = T.OtherClevr.from_config(layer.get_config())
    np.testing.assert_array_equal(
        again(np.zeros([8, 48, 48, 3], np.float32)), negatives
    )
    # First used inside a traced step, as in training: the bank is read
    # all the same.
    traced = T.OtherClevr.from_config(layer.get_config())
    step = tf.function(lambda images: traced(images))
    np.testing.assert_array_equal(
        step(np.zeros([8, 48, 48, 3], np.float32)), negatives
    )
    with pytest.raises(ValueError, match="needs source='clevr'"):
        numerosity_study.study_configs(2, [1, 3], {}, clevr_folder=folder)


def test_counter_accuracy_on_a_clevr_folder(tmp_path, monkeypatch, capsys):
    _clevr_folder(tmp_path / "clevr")
    code = _run_counter(
        monkeypatch,
        [
            f"--folder={tmp_path / 'clevr'}",
            "--split=train",
            "--counts=1,2,3",
            "--resolution=48",
            f"--out={tmp_path / 'out'}",
        ],
    )
    assert code in (0, None)
    record = json.loads((tmp_path / "out" / "counter.json").read_text())
    assert record["confusion"] == {
        "1": {"1": 2},
        "2": {"2": 3},
        "3": {"2": 1, "3": 1},
    }
    assert record["accuracy"] == 6 / 7 and record["within_one"] == 1.0
    assert record["folder"] == str(tmp_path / "clevr")
    assert "in " + str(tmp_path / "clevr") in capsys.readouterr().out
