"""The detection recipe on the run loop: encoders from a MoCo run, the
one-line errors, the seekable stream and its flips, VOC through tfds (mock
data). Resume and the step's modes: test_contract.py."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from nda_tf import training
from nda_tf.contrastive.recipe import MOCO
from nda_tf.data import detection as detection_data
from nda_tf.detection import recipe
from nda_tf.detection.recipe import (
    DETECTION,
    WarmupSteps,
    load_moco_encoder,
)
from tests.data.test_detection import _voc_stand_in
from tests.detection.test_contract import DATASET, TINY
from tests.training.test_loop import MOCO_TINY, options


@pytest.fixture(scope="module")
def moco_run(tmp_path_factory):
    """A MoCo run of 2 steps on 32-pixel images."""
    logdir = str(tmp_path_factory.mktemp("moco") / "run")
    config = dict(MOCO_TINY, dataset="dots(counts=(1,2),size=32)", steps=2)
    training.train(MOCO, config, logdir, options())
    return logdir


def _resolved(**changes):
    _, info = detection_data.load(DATASET)
    return DETECTION.resolve({**TINY, **changes}, info)


def test_a_moco_runs_encoder_starts_the_detector(moco_run, caplog):
    c = _resolved(encoder=moco_run, arch=None, width=None)
    assert (c["arch"], c["width"], c["stem"]) == ("small", 4, "cifar")
    with caplog.at_level("INFO", logger="nda_tf"):
        detector = DETECTION.build(c)
    # The step read is logged (config.json records "latest").
    assert (
        f"the encoder is the MoCo run {moco_run}'s at step 2 "
        "(encoder_checkpoint=latest)"
    ) in caplog.messages
    moco, _ = training.load_run(MOCO, moco_run)
    ours, theirs = detector.encoder.get_weights(), moco.encoder.get_weights()
    assert len(ours) == len(theirs) > 10
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    # Trained, so not what a fresh encoder of the same seed starts from.
    fresh = DETECTION.build(_resolved(encoder="none"))
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(fresh.encoder.get_weights(), ours, strict=True)
    )


def test_encoder_settings_that_contradict_the_run_are_refused(
    moco_run, tmp_path
):
    with pytest.raises(
        ValueError, match=r"arch='resnet18' differs from the MoCo run"
    ):
        _resolved(encoder=moco_run, arch="resnet18", width=None)
    with pytest.raises(ValueError, match="encoder is required"):
        _resolved(encoder=None)
    with pytest.raises(ValueError, match="is not a folder"):
        _resolved(encoder=str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="is not a run directory"):
        _resolved(encoder=str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"recipe": "gan"}))
    with pytest.raises(ValueError, match="holds a gan run, not a moco run"):
        _resolved(encoder=str(tmp_path))
    with pytest.raises(
        ValueError, match="width cannot be set for --encoder=imagenet"
    ):
        _resolved(encoder="imagenet", arch=None, width=4)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"jit": True}, "jit=True: the detector does not compile with XLA"),
        (
            {"lr_steps": ["5"]},
            r"lr_steps must be rising steps in \[1, steps=4\]",
        ),
        ({"lr_steps": ["3", "2"]}, "lr_steps must be rising"),
        ({"lr_steps": ["x"]}, "lr_steps must be rising"),
        ({"anchor_sizes": ["a"]}, "anchor_sizes must be positive numbers"),
        ({"anchor_ratios": ["-1"]}, "anchor_ratios must be positive numbers"),
        ({"resolution": 8}, "resolution must be an int >= 16"),
    ],
)
def test_bad_settings_are_refused_before_the_data(changes, message):
    with pytest.raises(ValueError, match=message):
        DETECTION.resolve({**TINY, **changes})


@pytest.mark.parametrize(
    ("size", "nearest"),
    [(120, "112 or 128"), (56, "48 or 64"), (24, "16 or 32")],
)
def test_a_resolution_off_the_c4_stride_is_refused_before_the_data(
    size, nearest
):
    # VOC is not opened (no tfds data here): the check comes first.
    config = {**TINY, "dataset": "voc", "resolution": size}
    message = (
        f"^resolution {size} is not a multiple of the encoder's C4 stride "
        f"16 .*: use {nearest}$"
    )
    with pytest.raises(ValueError, match=message):
        DETECTION.resolve({**config, "stem": "imagenet"})
    with pytest.raises(ValueError, match=message):
        DETECTION.resolve({**config, "encoder": "imagenet", "arch": None,
                           "width": None})  # fmt: skip
    # A size given by the dataset's name is checked too.
    with pytest.raises(ValueError, match=message):
        DETECTION.resolve(
            {**TINY, "dataset": f"shapes_detection(size={size})",
             "stem": "imagenet"}
        )  # fmt: skip
    # The CIFAR stem (stride 4, the default below 64 pixels) takes 56, 24.
    if size < 64:
        assert DETECTION.resolve(config)["stem"] is None


def test_the_default_resolutions_fit_the_stride():
    # VOC's default 512 with the ImageNet stem (its default at 512).
    c = DETECTION.resolve({**TINY, "dataset": "voc", "stem": None})
    assert c["resolution"] is None and c["stem"] is None
    c = DETECTION.resolve({**TINY, "dataset": "voc", "stem": "imagenet"})
    assert c["resolution"] is None
    # And the tests' 32-pixel shapes with the CIFAR stem, built.
    c = _resolved()
    assert (c["resolution"], c["stem"]) == (32, "cifar")
    assert DETECTION.build(c, compile=False).stride == 4


def test_op_determinism_is_read_from_tensorflow():
    from tensorflow.python.framework import config as framework

    assert not recipe.op_determinism()
    tf.config.experimental.enable_op_determinism()
    try:
        assert recipe.op_determinism()
    finally:
        framework.disable_op_determinism()


def test_determinism_is_refused_with_a_gpu_and_taken_on_cpu(monkeypatch):
    monkeypatch.setattr(recipe, "op_determinism", lambda: True)
    assert DETECTION.resolve(TINY)["encoder"] == "none"  # this CPU
    devices = {"GPU": ["/physical_device:GPU:0"]}
    monkeypatch.setattr(
        tf.config, "list_physical_devices", lambda kind=None: devices[kind]
    )
    with pytest.raises(
        ValueError,
        match=r"^--deterministic with 1 GPU\(s\) visible: RoIAlign's "
        r"gradient \(CropAndResizeGradImage\) has no deterministic GPU",
    ):
        DETECTION.resolve(TINY)
    # Without op determinism a GPU is taken.
    monkeypatch.setattr(recipe, "op_determinism", lambda: False)
    assert DETECTION.resolve(TINY)["encoder"] == "none"


def test_a_voc_max_boxes_below_its_most_objects_is_refused_first():
    # VOC is not opened (no tfds data here): the check comes first.
    config = {**TINY, "dataset": "voc", "resolution": 32}
    with pytest.raises(
        ValueError,
        match=r"^max_boxes 55 is fewer than the 56 objects a VOC image may "
        r"hold: give at least 56 or leave it unset \(64\)$",
    ):
        DETECTION.resolve({**config, "max_boxes": 55})
    assert DETECTION.resolve({**config, "max_boxes": 56})["max_boxes"] == 56


def test_derived_defaults_follow_the_data_and_the_length():
    c = _resolved(anchor_sizes=None, lr_steps=None, steps=24000)
    assert c["anchor_sizes"] == ["5.33333", "10.6667"]  # R/6, R/3
    assert c["lr_steps"] == ["18000", "22000"]  # Detectron's VOC schedule
    assert c["max_boxes"] == 2 and c["num_classes"] == 3


def test_the_schedule_warms_up_then_steps_down():
    schedule = WarmupSteps(1.0, [4, 6], 2)
    got = [float(schedule(s)) for s in range(8)]
    np.testing.assert_allclose(
        got, [0.001, 0.5005, 1, 1, 0.1, 0.1, 0.01, 0.01], rtol=1e-6
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0.0, [4], 2), r"^lr must be > 0, received 0.0$"),
        ((1.0, [4], -1), r"^warmup must be an int >= 0, received -1$"),
        ((1.0, [4, 4], 2), r"^boundaries must be rising, received \[4, 4\]$"),
        ((1.0, [0], 2), r"^boundaries must be an int >= 1, received 0$"),
    ],
)
def test_a_bad_schedule_is_one_line_naming_it(arguments, message):
    with pytest.raises(ValueError, match=message):
        WarmupSteps(*arguments)


def test_the_stream_seeks_exactly_and_flips_boxes_with_images():
    stream = detection_data.DetectionStream(DATASET, 4, seed=3)
    read = list(stream.batches().take(6))
    # 8 images: each epoch (2 batches) holds every image once.
    epoch = tf.concat([read[2]["image"], read[3]["image"]], 0)
    assert len({float(tf.reduce_sum(x)) for x in epoch}) == 8
    for start in (1, 4):
        again = next(iter(stream.batches(start=start)))
        for key in read[start]:
            np.testing.assert_array_equal(again[key], read[start][key])
    examples = {
        "image": tf.reshape(
            tf.range(2 * 4 * 3, dtype=tf.float32), [2, 1, 4, 3]
        ),
        "boxes": tf.constant([[[0.1, 0.2, 0.5, 0.3], [0, 0, 0, 0]]] * 2),
        "labels": tf.constant([[1, -1]] * 2),
    }
    # Seed 0 flips the first image of this pair, not the second.
    flipped = detection_data.mirrored(examples, tf.constant([0, 5], tf.int64))
    turned = [
        not np.array_equal(flipped["image"][i], examples["image"][i])
        for i in (0, 1)
    ]
    assert turned.count(True) == 1
    i = turned.index(True)
    np.testing.assert_array_equal(
        flipped["image"][i], examples["image"][i][:, ::-1]
    )
    np.testing.assert_allclose(
        flipped["boxes"][i], [[0.1, 0.7, 0.5, 0.8], [0, 0, 0, 0]]
    )
    np.testing.assert_array_equal(
        flipped["boxes"][1 - i], examples["boxes"][1 - i]
    )
    # An image filling the left half of its square is mirrored there.
    half = dict(
        examples,
        extent=tf.constant([[1.0, 0.5]] * 2),
        boxes=tf.constant([[[0.1, 0.1, 0.5, 0.2], [0, 0, 0, 0]]] * 2),
    )
    flipped = detection_data.mirrored(half, tf.constant([0, 5], tf.int64))
    image = examples["image"][i].numpy()
    np.testing.assert_array_equal(
        flipped["image"][i], np.concatenate([image[:, 1::-1], image[:, 2:]], 1)
    )
    np.testing.assert_allclose(flipped["boxes"][i][0], [0.1, 0.3, 0.5, 0.4])


def test_voc_trains_and_is_measured_through_tfds(tmp_path):
    config = dict(
        TINY, dataset="voc", resolution=32, steps=2, eval_every=2,
        eval_images=None,
    )  # fmt: skip
    logdir = str(tmp_path / "voc")
    with tfds.testing.mock_data(as_dataset_fn=_voc_stand_in):
        _, summary = training.train(DETECTION, config, logdir, options())
        # A seekable stream of VOC is read up to a last batch; 4 stand-in
        # images in batches of 2: batch 3 is the second of epoch 1.
        stream = DETECTION.stream(DETECTION.resolve(dict(config, batch_size=2)))
        with pytest.raises(ValueError, match="give stop"):
            stream.batches(0)
        read = list(stream.batches(0, stop=5))
        again = list(stream.batches(3, stop=5))
        assert len(read) == 5 and len(again) == 2
        for key in read[3]:
            np.testing.assert_array_equal(again[0][key], read[3][key])
        assert list(stream.batches(5, stop=5)) == []  # a finished run
    saved = training.read_config(logdir)
    # VOC's 20 classes; the stand-in's 2007 and 2012 parts hold 2 each.
    assert saved["num_classes"] == 20 and saved["num_examples"] == 4
    assert saved["max_boxes"] == 64 and saved["recipe"] == "detection"
    assert summary["step"] == 2
    assert {"ap", "ap50", "ap75"} <= set(summary["logs"])
    assert os.listdir(os.path.join(logdir, "best"))


def test_the_moco_encoder_is_read_by_checkpoint(moco_run):
    from nda_tf.models import resnet

    encoder = resnet.build_backbone(
        "small", input_shape=(32, 32, 3), stem="cifar", width=4
    )
    assert load_moco_encoder(encoder, moco_run, "2") == 2
    with pytest.raises(ValueError, match="could not be read: no checkpoint"):
        load_moco_encoder(encoder, moco_run, "7")


def test_imagenet_weights_neither_cached_nor_reachable_fail_in_one_line(
    tmp_path, monkeypatch
):
    from nda_tf.data import downloads
    from nda_tf.detection import backbone

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    config = dict(TINY, encoder="imagenet", arch=None, width=None)
    with pytest.raises(ValueError, match="not in the Keras cache .* off"):
        DETECTION.resolve(dict(config, no_download=True))

    def unreachable(url, timeout=None):
        raise downloads.DownloadError(f"cannot reach {url}")

    monkeypatch.setattr(downloads, "check_reachable", unreachable)
    monkeypatch.delenv("NDA_TF_NO_DOWNLOAD")  # the tests' default: off
    with pytest.raises(ValueError, match="cannot be downloaded: cannot reach"):
        DETECTION.resolve(config)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / backbone.IMAGENET_WEIGHTS).write_bytes(b"cached")
    assert DETECTION.resolve(config)["arch"] == "resnet50"


def test_the_gatherer_puts_voc_runs_beside_the_papers_numbers(tmp_path):
    from nda_tf.studies.paper import tables
    from tests.studies.paper.fake_runs import fake_run

    def run(name, config, manifest=None):
        return fake_run(tmp_path, name, config, manifest)

    moco = run("moco_in100_mixup", {"recipe": "moco", "nda": "mixup"})
    scores = {"ap": 0.25, "ap50": 0.5, "ap75": 0.125}
    detection = {"recipe": "detection", "dataset": "voc", "steps": 100}
    run(
        "voc_mixup",
        {**detection, "encoder": moco},
        {"step": 90, "metrics": scores},
    )
    run("voc_none", {**detection, "encoder": "none"})
    text = tables.report(str(tmp_path))
    section = text[text.index("## Detection, Section 6") :].splitlines()
    assert section[-2:] == [
        "| voc_mixup | voc | MoCo moco_in100_mixup | mixup | 0/100 | 90 "
        "| 25.00 / 50.00 / 12.50 | 38.72 / 66.23 / 39.16 |",
        "| voc_none | voc | none | - | 0/100 | - | - | - |",
    ]


def test_bad_encoder_checkpoints_are_refused_before_the_data(moco_run):
    with pytest.raises(
        ValueError, match="latest, best or a step, received '-3'"
    ):
        _resolved(
            encoder=moco_run, arch=None, width=None, encoder_checkpoint="-3"
        )
    with pytest.raises(ValueError, match=r"encoder_checkpoint='7'.*steps 2\)"):
        _resolved(
            encoder=moco_run, arch=None, width=None, encoder_checkpoint="7"
        )


def test_a_moco_run_without_its_manifest_is_taken(moco_run, tmp_path):
    # restore_parts reads such a run (the keeper scans the folder), so
    # the check before the data takes it too.
    import shutil

    copy = str(tmp_path / "copied")
    shutil.copytree(moco_run, copy)
    os.remove(os.path.join(copy, "checkpoints", "manifest.json"))
    c = _resolved(encoder=copy, arch=None, width=None, encoder_checkpoint="2")
    assert c["encoder_checkpoint"] == "2"
    with pytest.raises(ValueError, match=r"encoder_checkpoint='7'.*steps 2\)"):
        _resolved(encoder=copy, arch=None, width=None, encoder_checkpoint="7")


def test_a_finished_run_loads_without_its_moco_run(moco_run, tmp_path):
    import shutil

    encoder = str(tmp_path / "moco")
    shutil.copytree(moco_run, encoder)
    config = dict(TINY, encoder=encoder, arch=None, width=None, steps=2)
    logdir = str(tmp_path / "detect")
    trained, _ = training.train(DETECTION, config, logdir, options())
    shutil.rmtree(encoder)
    loaded, saved = training.load_run(DETECTION, logdir)
    assert saved["step"] == 2 and saved["arch"] == "small"
    for a, b in zip(loaded.get_weights(), trained.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_evaluation_under_two_replicas_is_one_devices(mirrored):
    c = _resolved(eval_images=8)
    one = DETECTION.build(c)
    with mirrored.scope():
        two = DETECTION.build(c)
    two.set_weights(one.get_weights())
    (alone,) = DETECTION.evaluators(one, c, None)
    (replicated,) = DETECTION.evaluators(two, c, None)
    expected = alone(one, 0)
    assert set(expected) == {"ap", "ap50", "ap75"}
    assert replicated(two, 0) == expected
