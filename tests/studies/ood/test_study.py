"""Anomaly detection end to end: a tiny trained run, its report, the CLI."""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from nda_tf import data, training
from nda_tf.eval.ood import detection as ood
from nda_tf.eval.ood import report as ood_report
from nda_tf.eval.ood import scoring
from nda_tf.eval.ood import sets as ood_sets
from nda_tf.gan.recipe import GAN
from nda_tf.studies.ood import study as ood_study

TINY = {
    "arch": "sngan",
    "ch": 4,
    "z_dim": 8,
    "d_steps": 2,
    "batch_size": 4,
    "ema_start": 1,
    "steps": 2,
    "eval_every": 2,
    "num_grid_samples": 4,
    "eval_metrics": ["none"],
}
OPTIONS = dict(save_every=2, log_every=1)
ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
)


def _train(config, logdir):
    options = training.RunOptions(progress=False, **OPTIONS)
    training.train(GAN, {**TINY, **config}, logdir, options)


def _rows(path):
    with open(path) as file:
        return {row["ood_set"]: row for row in csv.DictReader(file)}


def test_mock_cifar10_run_against_paper_set_names(tmp_path):
    logdir = str(tmp_path / "run")
    with tfds.testing.mock_data(num_examples=12):
        _train({"dataset": "cifar10", "conditional": True}, logdir)
        report, paths = ood_study.evaluate_run(
            logdir,
            ood_names="svhn_cropped,cifar10_corrupted,noise:uniform",
            num_images=6,
            transform="jigsaw",
            progress=False,
        )
        # The same numbers straight from the restored discriminator.
        gan, config = training.load_run(GAN, logdir)
        test, _ = data.load("cifar10", split="test", resolution=32)
        # --num_images: a seeded subset (seed 0), not the first 6 images.
        test = ood_sets.subset(test, 6, seed=0)
        uniform = ood_sets.noise("uniform", 6, 32)
        direct = [
            scoring.score_images(gan.discriminator, d, num_images=6)
            for d in (test, uniform)
        ]
    assert config["num_classes"] == 10
    assert report.aurocs["noise:uniform"] == ood.auroc(*direct)
    rows = _rows(paths["csv"])
    assert len(report.ood_scores) == 21
    assert rows["cifar10_corrupted (mean of 19)"]["auroc"] != ""
    assert float(rows["average"]["auroc"]) == pytest.approx(report.average)
    assert report.differences.shape == (6,)
    assert os.path.dirname(paths["roc"]) == os.path.join(
        logdir, "ood", "latest"
    )


def test_unprepared_datasets_fail_or_are_skipped(tmp_path):
    logdir = str(tmp_path / "run")
    _train({"dataset": "dots(counts=(2,))"}, logdir)
    empty = str(tmp_path / "no_data")
    os.makedirs(empty)
    with pytest.raises(data.DatasetUnavailable, match="svhn_cropped"):
        ood_study.evaluate_run(
            logdir, ood_names="svhn_cropped", data_dir=empty, num_images=4
        )
    report, paths = ood_study.evaluate_run(
        logdir,
        ood_names="svhn_cropped,noise:gaussian",
        data_dir=empty,
        num_images=4,
        skip_missing=True,
        progress=False,
    )
    assert list(report.ood_scores) == ["noise:gaussian"]
    assert (
        "Skipped (not prepared): svhn_cropped" in open(paths["markdown"]).read()
    )


def test_command_line_on_npz_and_folder_data(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (12, 32, 32, 3), np.uint8)
    npz = tmp_path / "train.npz"
    np.savez(npz, images=pixels)
    folder = tmp_path / "other"
    folder.mkdir()
    for i in range(5):
        png = tf.io.encode_png(pixels[i] // 2).numpy()
        (folder / f"{i}.png").write_bytes(png)
    logdir = str(tmp_path / "run")
    _train({"dataset": f"npz:{npz}"}, logdir)
    # An npz has no test split: without --in the training images would be
    # scored as in-distribution; that is refused, as is an ignored split.
    with pytest.raises(ValueError, match="has no test split"):
        ood_study.evaluate_run(logdir, ood_names="noise:uniform")
    with pytest.raises(ValueError, match="--split=test does not apply"):
        ood_study.evaluate_run(
            logdir,
            in_name=f"npz:{npz}",
            ood_names="noise:uniform",
            split="test",
        )
    out = tmp_path / "report"
    command = [
        sys.executable,
        "-m",
        "nda_tf.experiments.ood",
        f"--logdir={logdir}",
        f"--in=npz:{npz}",
        f"--ood=folder:{folder},noise:gaussian,corrupt:fog_5,nda:jigsaw",
        "--transform=corrupt:fog_5,jigsaw(grid=2)",
        "--corruptions=local",
        "--num_images=8",
        f"--out={out}",
        "--batch_size=3",
        f"--cache_dir={tmp_path / 'cache'}",
    ]
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| average |" in result.stdout
    assert f"npz:{npz} is the discriminator's training data" in result.stderr
    assert "at most 8 images: a seeded random subset" in result.stderr
    # Computed corruptions are an explicit choice, said in the log.
    assert "corruptions: local: the 19 corruptions computed here" in (
        result.stderr
    )
    rows = _rows(out / "ood.csv")
    assert rows["(in-distribution)"]["num_images"] == "8"
    assert rows[f"folder:{folder}"]["num_images"] == "5"
    assert rows["noise:gaussian"]["num_images"] == "8"
    assert rows["corrupt:fog_5"]["num_images"] == "8"
    assert rows["nda:jigsaw"]["num_images"] == "8"
    for name in ("roc", "scores", "difference"):
        assert (out / f"{name}.png").stat().st_size > 1000
    # The fog set was corrupted once, cached, and paired image by image
    # with the in-distribution images for D(x) - D(fog(x)).
    assert len(list((tmp_path / "cache" / "ood_sets").iterdir())) == 1
    record = json.loads((out / "ood.json").read_text())
    stats = json.loads((out / "differences.json").read_text())
    assert list(stats) == ["corrupt:fog_5", "jigsaw(grid=2)"]
    fog = ood_report.read_differences(str(out))["corrupt:fog_5"]
    in_mean = record["in_distribution"]["mean"]
    fog_mean = record["sets"]["corrupt:fog_5"]["mean"]
    assert stats["corrupt:fog_5"]["mean"] == pytest.approx(in_mean - fog_mean)
    assert stats["corrupt:fog_5"]["median"] == pytest.approx(np.median(fog))
    # Figure 8: this run against a copy of itself shifted by 1.
    other = tmp_path / "plain_report"
    other.mkdir()
    np.savez(other / "differences.npz", corrupt_fog_5=fog + 1.0)
    (other / "differences.json").write_text(json.dumps({"corrupt:fog_5": {}}))
    paths = ood_study.overlay(
        {"NDA": str(out), "plain": str(other)},
        str(out),
        ["corrupt:fog_5"],
    )
    assert open(paths["figure"], "rb").read(4) == b"\x89PNG"
    overlay = json.loads(open(paths["statistics"]).read())
    assert overlay["plain"]["corrupt:fog_5"]["mean"] == pytest.approx(
        overlay["NDA"]["corrupt:fog_5"]["mean"] + 1.0
    )


def _mean_pixel_discriminator():
    """D(x) = the mean pixel of x in [-1, 1] units."""
    import keras

    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(
                1,
                use_bias=False,
                kernel_initializer=keras.initializers.Constant(1 / 3),
            ),
        ]
    )


def _mock_cifar10c(shift_labels=False):
    """tfds as_dataset: CIFAR-10 test images of a distinct brightness each,
    and every cifar10_corrupted config the same images inverted (255 - x),
    in the same order with the same labels (or labels shifted by one)."""
    count = 20
    brightness = (np.arange(count) * 9 + 40).astype(np.uint8)
    clean = np.broadcast_to(
        brightness[:, None, None, None], (count, 32, 32, 3)
    ).copy()
    labels = np.arange(count) % 10

    def as_dataset(self, split, **kwargs):
        if self.name == "cifar10":
            ids = [f"test_{i:05d}" for i in range(count)]
            return tf.data.Dataset.from_tensor_slices(
                {"id": ids, "image": clean, "label": labels}
            )
        moved = (labels + 1) % 10 if shift_labels else labels
        return tf.data.Dataset.from_tensor_slices(
            {"image": 255 - clean, "label": moved}
        )

    return as_dataset, brightness


def test_figure8_pairs_each_test_image_with_its_tfds_cifar10c_copy(tmp_path):
    from nda_tf.eval.ood import run as ood_run

    as_dataset, brightness = _mock_cifar10c()
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        report, paths = ood_run.evaluate_discriminator(
            _mean_pixel_discriminator(),
            "cifar10",
            "noise:uniform",
            str(tmp_path / "out"),
            num_images=20,
            # A local name, rewritten to tfds CIFAR-10-C (the command's
            # default), and
            # a tfds one.
            transform="corrupt:gaussian_noise_5,cifar10_corrupted/snow_5",
            corruptions="tfds",
            progress=False,
        )
    names = ["cifar10_corrupted/gaussian_noise_5", "cifar10_corrupted/snow_5"]
    assert list(report.all_differences) == names
    # D(x) - D(255 - x) = 2 * (x / 127.5 - 1), image by image in order.
    expected = 2 * (brightness / 127.5 - 1)
    for name in names:
        np.testing.assert_allclose(
            np.sort(report.all_differences[name]), np.sort(expected), atol=1e-4
        )
        np.testing.assert_allclose(
            report.all_differences[name], 2 * report.in_scores, atol=1e-5
        )
    # Labels that do not line up are refused, naming the way out.
    as_dataset, _ = _mock_cifar10c(shift_labels=True)
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        with pytest.raises(
            ValueError, match="cannot pair .*--corruptions=local"
        ):
            ood_run.evaluate_discriminator(
                _mean_pixel_discriminator(),
                "cifar10",
                "cifar10_corrupted/gaussian_noise_5",
                str(tmp_path / "bad"),
                num_images=20,
                transform="cifar10_corrupted/gaussian_noise_5",
                progress=False,
            )


def test_unprepared_cifar10c_names_the_local_alternative(tmp_path, monkeypatch):
    from nda_tf.eval.ood import run as ood_run

    monkeypatch.setenv("NDA_TF_NO_DOWNLOAD", "1")
    pixels = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), np.uint8)
    np.savez(tmp_path / "in.npz", images=pixels)
    empty = tmp_path / "no_data"
    empty.mkdir()
    for ood_names, transform in (
        ("corrupt", None),
        ("noise:uniform", "corrupt:snow_5"),
    ):
        with pytest.raises(data.DatasetUnavailable) as error:
            ood_run.evaluate_discriminator(
                _mean_pixel_discriminator(),
                f"npz:{tmp_path / 'in.npz'}",
                ood_names,
                str(tmp_path / "out"),
                data_dir=str(empty),
                transform=transform,
                corruptions="tfds",
                progress=False,
            )
        message = str(error.value)
        assert "cifar10_corrupted/" in message and "\n" not in message
        assert "offline alternative: --corruptions=local" in message
