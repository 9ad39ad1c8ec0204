"""Detection sources: the synthetic shapes_detection set and VOC via tfds.

The shapes are checked on their pixels: every box is exactly the
smallest box that holds the non-background pixels inside it, and every
non-background pixel is in a box. VOC is read from a controlled stand-in
for tfds (`tfds.testing.mock_data` with our own examples), so the
mapping of boxes, labels and difficult flags is checked on known values.
"""

import time

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from nda_tf.data import DatasetUnavailable, detection, shapes_detection
from tests.local_http import refused_url


def test_the_same_seed_gives_the_same_images_and_another_seed_others():
    def draw(seed, split="train"):
        return shapes_detection.render(seed, split, range(5), 48, (1, 4))

    a, b, c, test = draw(3), draw(3), draw(4), draw(3, "test")
    for field in ("images", "boxes", "labels"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.images, c.images)
    assert not np.array_equal(a.images, test.images)
    # An image depends on its index only, not on the others drawn.
    one = shapes_detection.render(3, "train", [2], 48, (1, 4))
    np.testing.assert_array_equal(one.images[0], a.images[2])


def test_boxes_enclose_their_shapes_exactly():
    size = 64
    found = shapes_detection.render(0, "train", range(40), size, (1, 5))
    sizes = []
    for image, boxes, labels in zip(
        found.images, found.boxes, found.labels, strict=True
    ):
        drawn = np.any(image != image[0, 0], axis=-1)  # corners are free
        covered = np.zeros_like(drawn)
        for box in boxes[labels >= 0]:
            pixels = box * size
            # Box edges lie on pixel borders.
            np.testing.assert_allclose(pixels, np.round(pixels), atol=1e-4)
            top, left, bottom, right = np.round(pixels).astype(int)
            inside = drawn[top:bottom, left:right]
            # The shape reaches every edge of its box...
            assert inside[0].any() and inside[-1].any()
            assert inside[:, 0].any() and inside[:, -1].any()
            covered[top:bottom, left:right] = True
            sizes.append(bottom - top)
        # ... and nothing is drawn outside the boxes.
        assert not (drawn & ~covered).any()
    assert min(sizes) >= 4 and max(sizes) <= size // 3


def test_labels_are_classes_and_the_padding_is_minus_one():
    found = shapes_detection.render(1, "train", range(60), 32, (2, 3))
    counts = (found.labels >= 0).sum(axis=1)
    assert set(counts) <= {2, 3} and 3 in counts
    assert set(found.labels[found.labels >= 0]) == {0, 1, 2}
    padded = found.labels < 0
    assert (found.boxes[padded] == 0).all()
    # Padding only after the objects.
    assert (np.diff(padded.astype(int), axis=1) >= 0).all()


def test_the_source_gives_the_layout():
    dataset, info = detection.load(
        "shapes_detection(images=6, size=32, objects=(1, 2), seed=5)",
        split="test",
        max_boxes=4,
    )
    assert (info.num_classes, info.resolution, info.max_boxes) == (3, 32, 4)
    assert info.num_examples == 1  # a quarter of 6, at least one
    (example,) = list(dataset)
    assert example["image"].dtype == tf.float32
    assert example["image"].shape == (32, 32, 3)
    assert -1.0 <= float(tf.reduce_min(example["image"]))
    assert float(tf.reduce_max(example["image"])) == 1.0  # a 255 channel
    drawn = shapes_detection.render(5, "test", [0], 32, (1, 2))
    np.testing.assert_array_equal(example["labels"][:2], drawn.labels[0])
    np.testing.assert_array_equal(example["labels"][2:], [-1, -1])
    np.testing.assert_array_equal(example["boxes"][:2], drawn.boxes[0])
    assert not example["difficult"].numpy().any()


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("shapes_detection(colour=1)", {}, r"unknown .* \['colour'\]"),
        ("shapes_detection(objects=(3, 1))", {}, r"received \(3, 1\)"),
        ("shapes_detection(size=8)", {}, "size must be"),
        ("shapes_detection(objects=5)", {"max_boxes": 4}, "max_boxes 4"),
        ("shapes_detection", {"split": "val"}, "received 'val'"),
        ("shapes_detection(size=32)", {"resolution": 64}, "differs"),
        ("coco", {}, "unknown detection dataset 'coco'"),
        ("voc", {"split": "validation"}, "voc split must be"),
    ],
)
def test_bad_names_and_options_are_named(name, options, message):
    with pytest.raises(ValueError, match=message):
        detection.load(name, **options)


# The tfds reads asked of the stand-in: (dataset, split).
READS = []


def _tfds_boxes(borders, height, width):
    """tfds' VOC boxes of boxes given by pixel borders: VOC numbers
    pixels from 1 and tfds divides those numbers as they are, so a box's
    first row and column come one pixel late."""
    return [
        [(top + 1) / height, (left + 1) / width, bottom / height, right / width]
        for top, left, bottom, right in borders
    ]


# Two images per read: a landscape one of 2007, a portrait one of 2012.
# (height, width, boxes as tfds gives them, labels, difficult)
VOC = {
    "2007": (40, 80, _tfds_boxes([[0, 40, 40, 80]], 40, 80), [14], [False]),
    "2012": (
        60,
        30,
        _tfds_boxes([[15, 0, 30, 30], [0, 0, 60, 15]], 60, 30),
        [3, 7],
        [True, False],
    ),
}


def _voc_stand_in(builder, split, decoders=None, read_config=None, **_):
    READS.append((builder.name + "/" + builder.builder_config.name, split))
    height, width, boxes, labels, difficult = VOC[builder.builder_config.name]
    example = {
        "image": np.full([height, width, 3], 255, np.uint8),
        "image/filename": f"{builder.builder_config.name}_000001.jpg",
        "objects": {
            "bbox": np.array(boxes, np.float32),
            "label": np.array(labels, np.int64),
            "is_difficult": np.array(difficult),
        },
    }
    return tf.data.Dataset.from_tensors(example).repeat(2)


def _read(**options):
    READS.clear()
    with tfds.testing.mock_data(as_dataset_fn=_voc_stand_in):
        dataset, info = detection.load("voc", resolution=40, **options)
        return (
            list(dataset),
            info,
            [(name, str(split)) for name, split in READS],
        )


def test_voc_train_is_2007_and_2012_trainval_in_the_layout():
    examples, info, reads = _read(max_boxes=3)
    assert reads == [
        ("voc/2007", "train+validation"),
        ("voc/2012", "train+validation"),
    ]
    assert info.class_names[14] == "person" and info.num_classes == 20
    assert len(examples) == 4
    first, last = examples[0], examples[-1]
    # 40x80 -> 20x40: the top half of the square, boxes' rows halved; the
    # boxes start at their pixel borders (tfds' 1-based first pixel
    # moved back, as detectron2 does).
    image = first["image"].numpy()
    assert (image[:20] == 1.0).all() and (image[20:] == 0.0).all()
    np.testing.assert_allclose(first["boxes"][0], [0.0, 0.5, 0.5, 1.0])
    np.testing.assert_array_equal(first["labels"], [14, -1, -1])
    # 60x30 -> 40x20: the left half, boxes' columns halved.
    np.testing.assert_allclose(
        last["boxes"][:2], [[0.25, 0.0, 0.5, 0.5], [0.0, 0.0, 1.0, 0.25]]
    )
    np.testing.assert_array_equal(last["labels"], [3, 7, -1])
    np.testing.assert_array_equal(last["difficult"], [True, False, False])


def test_voc_test_is_2007_test():
    examples, _, reads = _read(split="test")
    assert reads == [("voc/2007", "test")] and len(examples) == 2
    assert examples[0]["labels"].shape == (detection.VOC_MAX_BOXES,)
    assert int(examples[0]["labels"][0]) == 14


def test_voc_refuses_an_image_with_more_objects_than_max_boxes():
    with pytest.raises(tf.errors.InvalidArgumentError) as caught:
        _read(max_boxes=1)
    # The first line (what the commands print) names the image and the
    # --max_boxes it needs: 2012's image holds 2 objects.
    assert (
        'assertion failed: [VOC image \\"2012_000001.jpg\\" holds 2 '
        "objects, more than max_boxes=1: give --max_boxes=2 or more]"
    ) in str(caught.value).splitlines()[0]


def test_unprepared_voc_without_downloads_says_how_to_prepare_it(tmp_path):
    with pytest.raises(DatasetUnavailable, match="tfds build voc/2007"):
        detection.load("voc", data_dir=str(tmp_path), download=False)


def test_unprepared_voc_offline_fails_within_seconds(tmp_path, monkeypatch):
    # The VOC server stands for an unreachable one (connection refused).
    builder_class = type(tfds.builder("voc/2007", data_dir=str(tmp_path)))
    monkeypatch.setattr(
        builder_class, "url_infos", property(lambda _: {refused_url(): None})
    )
    start = time.monotonic()
    with pytest.raises(DatasetUnavailable, match="cannot be downloaded"):
        detection.load("voc", data_dir=str(tmp_path), download=True)
    assert time.monotonic() - start < 5
