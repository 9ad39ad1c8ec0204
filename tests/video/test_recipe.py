"""The DPC and fine-tuning recipes: a pretrained run's clip encoder
exported for serving, fine-tuning from it, settings, and learning."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf import training
from nda_tf.video import dense_accuracy, evaluation
from nda_tf.video.recipe import DPC_RECIPE, VIDEO_FINETUNE, probe_sets

SHAPES = "moving_shapes(videos=16,size=16,frames=8)"
TINY = {
    "dataset": SHAPES,
    "arch": "small",
    "width": 2,
    "num_blocks": 3,
    "block_frames": 2,
    "pred_steps": 1,
    "stride": 1,
    "nda": "stitch",
    "batch_size": 4,
    "steps": 2,
    "probe_videos": 0,
}


# Fine-tuning from random weights on the same tiny clips.
TINY_FINETUNE = {
    "dataset": SHAPES,
    "arch": "small",
    "width": 2,
    "num_blocks": 3,
    "block_frames": 2,
    "stride": 1,
    "batch_size": 4,
    "steps": 1,
}


def _options():
    return training.RunOptions(progress=False, log_every=1)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("dpc") / "run")
    training.train(DPC_RECIPE, TINY, logdir, _options())
    return logdir


def test_the_clip_encoder_exports_embeddings_of_uint8_clips(
    pretrained, tmp_path
):
    paths = training.export_run(
        DPC_RECIPE, pretrained, str(tmp_path), version=3
    )
    assert paths == {"clip_encoder": str(tmp_path / "3")}
    served = tf.saved_model.load(paths["clip_encoder"])
    clips = np.random.default_rng(0).integers(0, 256, [2, 6, 16, 16, 3])
    clips = clips.astype(np.uint8)
    embedding = served.signatures["serving_default"](clips=tf.constant(clips))[
        "embedding"
    ]
    dpc, _ = training.load_run(DPC_RECIPE, pretrained)
    expected = dpc(tf.constant(clips, tf.float32) / 127.5 - 1.0)
    assert embedding.shape == (2, 8)
    np.testing.assert_allclose(embedding, expected, atol=1e-5)


def test_fine_tuning_starts_from_the_pretrained_encoder(pretrained, tmp_path):
    config = {
        "pretrained": pretrained,
        "dataset": SHAPES,
        "batch_size": 4,
        "steps": 1,
        "test_clips": 2,
        "lr": 1e-9,  # a step that leaves the weights as they were
    }
    model, summary = training.train(
        VIDEO_FINETUNE, config, str(tmp_path / "ft"), _options()
    )
    dpc, _ = training.load_run(DPC_RECIPE, pretrained)
    # Trainable weights: a training step moves batch-norm statistics.
    pairs = zip(
        model.encoder.trainable_weights,
        dpc.encoder.trainable_weights,
        strict=True,
    )
    for a, b in pairs:
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)
    # The clip settings come from the pretrained run; top-1 is measured.
    saved = training.read_config(str(tmp_path / "ft"))
    assert (saved["num_blocks"], saved["block_frames"]) == (3, 2)
    assert 0.0 <= summary["logs"]["top1"] <= 1.0
    assert saved["flip"] is False  # left/right are labels here
    # A clip's jitter would tell it from the others, white bars all.
    assert (saved["jitter_p"], saved["gray_p"]) == (0.0, 0.0)


def test_defaults_are_dpcs_ucf101_setting_and_bad_values_are_named():
    c = DPC_RECIPE.resolve({})
    assert (c["num_blocks"], c["block_frames"], c["pred_steps"]) == (8, 5, 3)
    assert (c["stride"], c["arch"], c["lr"]) == (3, "r2d3d18", 1e-3)
    assert c["dataset"] == "ucf101" and c["nda"] == "none"
    assert (c["flip"], c["jitter_p"], c["gray_p"]) == (True, 1.0, 0.5)
    with pytest.raises(ValueError, match="pred_steps 8 must be below"):
        DPC_RECIPE.resolve({"pred_steps": 8})
    with pytest.raises(ValueError, match="not a dpc run"):
        VIDEO_FINETUNE.resolve({"pretrained": _moco_run_dir()})


def _moco_run_dir():
    import json
    import tempfile

    folder = tempfile.mkdtemp()
    with open(f"{folder}/config.json", "w") as file:
        json.dump({"recipe": "moco", "layout": 1}, file)
    return folder


def test_the_gatherer_puts_fine_tuning_runs_beside_table_7(tmp_path):
    from nda_tf.studies.paper import tables as gather
    from tests.studies.paper.fake_runs import fake_run

    def run(name, config, manifest=None):
        return fake_run(tmp_path, name, config, manifest)

    pretrained = run("dpc_stitch", {"recipe": "dpc", "nda": "stitch"})
    finetuned = run(
        "ft_ucf_stitch",
        {
            "recipe": "video_finetune",
            "pretrained": pretrained,
            "dataset": "video_folder:/data/UCF-101",
            "steps": 10,
        },
        {"step": 8, "metrics": {"top1": 0.5}},
    )
    table, others = gather.video_table([pretrained, finetuned])
    assert others == []
    row = table.splitlines()[-1]
    assert row == (
        "| ft_ucf_stitch | video_folder:/data/UCF-101 | stitch | fine-tune "
        "| 0/10 | 8 | 50.00 | 66.07 |"
    )


def test_short_pretraining_makes_motion_linearly_readable(tmp_path):
    """150 DPC steps on moving shapes: a linear probe reads the motion of
    held-out videos from the clip embedding far better than from the same
    network untrained (its initial weights), and the dense task itself is
    learned.

    Pilots of this setting (CPU, seeds 0 / 1 / 2): probe 0.65 / 0.66 /
    0.65 after pretraining vs 0.36 / 0.30 / 0.26 untrained (100 test
    videos, 8 motions: chance 0.125); the margin asked is half the least
    gap seen.
    """
    config = dict(
        TINY,
        dataset="moving_shapes(videos=400,size=32,frames=16)",
        width=8,
        num_blocks=4,
        block_frames=4,
        pred_steps=2,
        nda="none",
        batch_size=16,
        steps=150,
    )
    trained, _ = training.train(
        DPC_RECIPE, config, str(tmp_path / "run"), _options()
    )
    resolved = DPC_RECIPE.resolve(training.read_config(str(tmp_path / "run")))
    keras.utils.set_random_seed(resolved["seed"])  # as the run loop did
    untrained = DPC_RECIPE.build(resolved, compile=False)
    train, test = probe_sets(resolved, count=400, clips=1).values()
    assert len(test[1]) == 100  # held out: the test split's videos
    probe = {
        name: evaluation.linear_probe(model, train, test)
        for name, model in (("trained", trained), ("untrained", untrained))
    }
    assert probe["trained"] > probe["untrained"] + 0.15, probe
    # The dense task on 16 held-out clips (chance 1 / (2 * 64) per clip).
    clips = tf.constant(test[0][:16, 0], tf.float32) / 127.5 - 1.0
    # Batch statistics in both (150 steps leave the moving averages young).
    accuracy = {
        name: float(dense_accuracy(model.dense_logits(clips, training=True)))
        for name, model in (("trained", trained), ("untrained", untrained))
    }
    assert accuracy["trained"] > 3 * accuracy["untrained"], accuracy


def test_fine_tuning_steps_both_learning_rates_down_at_the_given_epochs():
    # 16 training videos in batches of 4: an epoch is 4 steps, so steps
    # after 1 and 2.5 epochs come after 4 and 10 updates (rounded up).
    config = VIDEO_FINETUNE.resolve(
        dict(
            TINY_FINETUNE,
            lr=0.5,
            backbone_lr_factor=0.5,
            lr_steps=["1", "2.5"],
            lr_decay=0.5,
        ),
        VIDEO_FINETUNE.stream(VIDEO_FINETUNE.resolve(TINY_FINETUNE)).info,
    )
    model = VIDEO_FINETUNE.build(config)
    # Powers of two: the float32 rates are exact.
    expected = {0: 0.5, 3: 0.5, 4: 0.25, 9: 0.25, 10: 0.125, 99: 0.125}
    for step, lr in expected.items():
        for optimizer, factor in (
            (model.optimizer, 1.0),
            (model.backbone_optimizer, 0.5),
        ):
            optimizer.iterations.assign(step)
            assert training.learning_rate(optimizer) == lr * factor, step
    # DPC's UCF-101 (128 px) schedule is the default; "none" is constant.
    assert VIDEO_FINETUNE.resolve({})["lr_steps"] == ["60", "80"]
    constant = VIDEO_FINETUNE.build(dict(config, lr_steps=["none"]))
    constant.optimizer.iterations.assign(99)
    assert training.learning_rate(constant.optimizer) == 0.5
    with pytest.raises(ValueError, match=r"lr_steps .*\['2', '1'\]"):
        VIDEO_FINETUNE.resolve(dict(TINY_FINETUNE, lr_steps=["2", "1"]))


def test_ucf101_from_tfds_feeds_pretraining_and_fine_tuning(
    tmp_path, monkeypatch
):
    import tensorflow_datasets as tfds

    from nda_tf.data.video import ClipStream, square

    # mock_data serves records by index but nothing is on disk, so the
    # builder still says unprepared (the fast error of test_data.py).
    monkeypatch.setattr(
        tfds.core.DatasetBuilder, "is_prepared", lambda self: True
    )
    with tfds.testing.mock_data(num_examples=4):
        stream = ClipStream("ucf101", 2, frames=6, stride=3, resolution=16)
        assert stream.info.num_classes == 101
        assert stream.info.num_examples == 4
        clips, labels = next(iter(stream.batches(0)))
        assert clips.shape == (2, 6, 16, 16, 3)
        assert set(labels.numpy()) <= set(range(101))
        # A test clip is the record's frames 0, 3, ..., squared to 16 px.
        record = tfds.builder("ucf101").as_data_source("train")[1]
        test_clips, test_labels = stream.test_clips(count=2)
        np.testing.assert_array_equal(
            test_clips[1, 0], square(np.asarray(record["video"])[:16:3], 16)
        )
        assert test_labels[1] == record["label"]
        config = dict(
            TINY,
            dataset="ucf101",
            resolution=16,
            num_blocks=2,
            block_frames=3,
            stride=3,
            batch_size=2,
            steps=1,
        )
        logdir = str(tmp_path / "dpc")
        training.train(DPC_RECIPE, config, logdir, _options())
        _, summary = training.train(
            VIDEO_FINETUNE,
            {
                "pretrained": logdir,
                "dataset": "ucf101",
                "batch_size": 2,
                "steps": 1,
                "test_clips": 1,
            },
            str(tmp_path / "ft"),
            _options(),
        )
    saved = training.read_config(str(tmp_path / "ft"))
    assert (saved["num_classes"], saved["resolution"]) == (101, 16)
    assert 0.0 <= summary["logs"]["top1"] <= 1.0
