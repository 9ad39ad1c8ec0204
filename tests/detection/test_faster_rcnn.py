"""The C4 Faster R-CNN: its config, seeded sampling, detections layout,
and that it learns the synthetic shapes."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.data import detection as detection_data
from nda_tf.detection import FasterRCNN
from nda_tf.eval.detection import average_precision
from nda_tf.models import resnet

# Small enough for a CPU test: 2 anchors a cell, few proposals and RoIs.
SMALL = {
    "anchor_sizes": (8, 16),
    "anchor_ratios": (1.0,),
    "rpn_batch_size": 64,
    "train_proposals": (300, 64),
    "test_proposals": (300, 32),
    "roi_batch_size": 32,
    "pooled_size": 6,
    "sampling_ratio": 1,
    "max_detections": 10,
}


def _model(size=32, seed=0, **kwargs):
    encoder = resnet.small_resnet(width=8, input_shape=(size, size, 3))
    return FasterRCNN(encoder, 3, **{**SMALL, "seed": seed, **kwargs})


def _batch(size=32, images=4):
    dataset, _ = detection_data.load(
        f"shapes_detection(images={images}, size={size}, objects=(1, 3))"
    )
    return next(iter(dataset.batch(images)))


def test_config_round_trip_gives_the_same_detector():
    keras.utils.set_random_seed(1)
    model = _model()
    clone = FasterRCNN.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    assert clone.anchor_sizes == (8.0, 16.0) and clone.stride == 4
    images = _batch()["image"]
    found, again = model(images), clone(images)
    for key in ("boxes", "scores", "labels"):
        np.testing.assert_allclose(found[key], again[key], atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"anchor_sizes": ()}, "anchor_sizes must be a non-empty list"),
        ({"rpn_iou": (0.7, 0.3)}, r"rpn_iou must have low <= high"),
        ({"roi_iou": 1.5}, "roi_iou must be in"),
        ({"train_proposals": (10,)}, r"train_proposals must be a pair"),
        ({"c4_layer": "res4"}, "c4_layer 'res4' is not a layer"),
    ],
)
def test_bad_arguments_are_one_line_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _model(**kwargs)


def test_the_losses_repeat_with_their_seed_and_change_with_another():
    keras.utils.set_random_seed(2)
    model = _model()
    batch = _batch()
    step = tf.function(model.compute_losses)

    def losses(seed):
        found = step(batch, tf.constant(seed, tf.int64), training=False)
        return {k: float(v) for k, v in found.items()}

    first = losses([3, 4])
    assert losses([3, 4]) == first
    assert losses([5, 6]) != first
    assert all(np.isfinite(v) and v > 0 for v in first.values()), first


def test_images_without_objects_have_finite_losses():
    model = _model()
    batch = dict(_batch())
    batch["labels"] = -tf.ones_like(batch["labels"])
    found = model.compute_losses(batch, tf.constant([1, 2], tf.int64))
    assert all(np.isfinite(float(v)) for v in found.values())
    # No positive anchor or RoI: no box loss.
    assert float(found["rpn_box"]) == 0.0 and float(found["roi_box"]) == 0.0


def test_detections_are_in_the_evaluation_layout():
    keras.utils.set_random_seed(3)
    model = _model(score_threshold=0.0)
    found = model(_batch()["image"])
    boxes, scores = found["boxes"].numpy(), found["scores"].numpy()
    labels = found["labels"].numpy()
    assert boxes.shape == (4, 10, 4) and labels.dtype == np.int32
    kept = labels >= 0
    assert kept.any()
    assert set(labels[kept]) <= {0, 1, 2}
    assert (boxes >= 0).all() and (boxes <= 1).all()
    assert (boxes[..., 2:] >= boxes[..., :2]).all()
    assert (np.diff(scores, axis=1) <= 0).all()  # best first
    assert (scores[~kept] == 0).all()


def test_detections_stay_inside_the_part_of_the_square_an_image_fills():
    keras.utils.set_random_seed(3)
    model = _model(score_threshold=0.0)
    images = _batch()["image"]
    extent = tf.constant([[1.0, 1.0], [0.5, 0.25], [1.0, 1.0], [0.75, 1.0]])
    whole = model(images)["boxes"].numpy()
    found = model(images, extent=extent)["boxes"].numpy()
    # Without the extent some boxes reach beyond the second image's part.
    assert (whole[1, :, 2] > 0.5).any() and (whole[1, :, 3] > 0.25).any()
    limits = np.tile(extent.numpy(), 2)[:, None, :]
    assert (found <= limits + 1e-6).all()
    np.testing.assert_allclose(found[0], whole[0], atol=1e-6)


def test_training_clips_proposals_to_the_batch_s_extent(monkeypatch):
    from nda_tf.detection import proposals

    passed = []
    propose = proposals.propose

    def recording(*args):
        passed.append(args[-1])
        return propose(*args)

    monkeypatch.setattr(proposals, "propose", recording)
    model = _model()
    batch = dict(_batch())
    batch["extent"] = tf.constant([[1.0, 0.5]] * 4)
    model.compute_losses(batch, tf.constant([1, 2], tf.int64))
    np.testing.assert_array_equal(passed[0], batch["extent"])


def test_it_learns_the_shapes_from_random_init():
    """500 steps of 8 images at 48 pixels (about 90 s of CPU): AP50 on
    the test split goes from nothing to above 0.5 (0.82 measured)."""
    keras.utils.set_random_seed(0)
    name = "shapes_detection(images=256, size=48, objects=(1, 3))"
    train, _ = detection_data.load(name)
    test, _ = detection_data.load(name, "test")
    model = _model(size=48)
    truth = next(iter(test.batch(64)))
    images = truth.pop("image")

    def ap50():
        return average_precision(truth, model(images))["ap50"]

    before = ap50()
    model.compile(keras.optimizers.SGD(0.02, momentum=0.9))
    history = model.fit(
        train.shuffle(256, seed=0).repeat().batch(8),
        steps_per_epoch=100,
        epochs=5,
        verbose=0,
    ).history
    after = ap50()
    assert before < 0.05 and after > 0.5, (before, after)
    # The RPN learns objectness first and most clearly.
    assert history["rpn_objectness"][-1] < history["rpn_objectness"][0] / 5
    assert history["roi_class"][-1] < history["roi_class"][0]


def test_a_mixed_precision_step_trains_and_detects():
    # The trunk's map is float16 under mixed_float16; RoIAlign took its
    # dtype for the float32 RoIs and stopped the first step.
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(3)
        model = _model()
        model.compile(keras.optimizers.SGD(0.01))
        batch = _batch(images=2)
        assert model._trunk(batch["image"]).dtype == tf.float16
        logs = model.train_step(batch)
        found = model(batch["image"])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert all(np.isfinite(float(v)) for v in logs.values()), logs
    assert found["boxes"].shape == (2, 10, 4)
