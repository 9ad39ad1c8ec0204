"""The OOD command's in-distribution set: never the training images by
accident, splits said or refused, subsets stratified (issue 14, item 13)."""

import logging

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.eval.ood import run as ood_run


def test_default_is_the_test_split_of_a_tfds_training_set():
    assert ood_run.in_distribution(None, None, "cifar10", "train") == (
        "cifar10",
        "test",
    )
    assert ood_run.in_distribution("svhn_cropped", "train", "cifar10") == (
        "svhn_cropped",
        "train",
    )


def test_folder_or_npz_run_needs_an_explicit_in():
    # Before: --in defaulted to the training folder, scored as "test".
    for source in ("folder:/data/train", "npz:/data/train.npz"):
        with pytest.raises(ValueError, match="has no test split"):
            ood_run.in_distribution(None, None, source)


def test_split_is_refused_not_ignored_for_splitless_sources():
    with pytest.raises(ValueError, match="--split=test does not apply to "):
        ood_run.in_distribution("folder:/held_out", "test", "cifar10")
    assert ood_run.in_distribution("folder:/held_out", None, "cifar10") == (
        "folder:/held_out",
        None,
    )


def test_training_data_given_explicitly_is_said_in_the_log(caplog):
    with caplog.at_level(logging.WARNING, "nda_tf.eval.ood.run"):
        ood_run.in_distribution("npz:/t.npz", None, "npz:/t.npz")
        ood_run.in_distribution(None, "train", "cifar10", "train")
    assert "npz:/t.npz is the discriminator's training data" in caplog.text
    assert "cifar10 train split is the split the discriminator" in caplog.text


def _class_folder(root, classes=4, per_class=5):
    """Class subfolders whose images are flat: class c, image i has every
    pixel at 10 * c + i, so a score of the mean pixel names the image."""
    for c in range(classes):
        (root / f"class{c}").mkdir(parents=True)
        for i in range(per_class):
            pixels = np.full([32, 32, 3], 10 * c + i, np.uint8)
            png = tf.io.encode_png(pixels).numpy()
            (root / f"class{c}" / f"{i}.png").write_bytes(png)


def test_num_images_draws_every_class_of_a_sorted_folder(tmp_path, caplog):
    # Before: --num_images=8 took the first 8 files, i.e. two classes.
    _class_folder(tmp_path / "in")
    _class_folder(tmp_path / "out")
    mean_pixel = keras.Sequential(
        [keras.Input((32, 32, 3)), keras.layers.GlobalAveragePooling2D()]
    )
    scores = keras.Sequential(
        [
            mean_pixel,
            keras.layers.Lambda(lambda x: keras.ops.mean(x, -1, keepdims=True)),
        ]
    )
    with caplog.at_level(logging.INFO, "nda_tf.eval.ood.run"):
        report, _ = ood_run.evaluate_discriminator(
            scores,
            f"folder:{tmp_path / 'in'}",
            f"folder:{tmp_path / 'out'}",
            str(tmp_path / "report"),
            num_images=8,
            seed=3,
            progress=False,
        )
    for values in (report.in_scores, *report.ood_scores.values()):
        pixels = np.round((values + 1) * 127.5).astype(int)
        assert len(pixels) == 8
        assert sorted(pixels // 10) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert "(no splits), at most 8 images: a seeded random subset" in (
        caplog.text
    )


def test_compare_names_a_folder_without_differences(tmp_path):
    from nda_tf.experiments import ood as command

    with pytest.raises(ValueError, match="needs LABEL=FOLDER; received 'x'"):
        command._compare(["x"])
    with pytest.raises(ValueError, match="holds no differences.npz"):
        command._compare([f"BigGAN={tmp_path}"])
    (tmp_path / "differences.npz").write_bytes(b"")
    assert command._compare([f"BigGAN={tmp_path}"]) == {"BigGAN": str(tmp_path)}
