"""Faster R-CNN's contract case (tests/contract.py): config round trip,
the step eagerly and in tf.function (not XLA: RoIAlign's CropAndResize
has no XLA kernel), two replicas, exact resume of the recipe's run
(with `--deterministic`'s op determinism)."""

import pytest
import tensorflow as tf

from nda_tf.data import detection as detection_data
from nda_tf.detection import FasterRCNN
from nda_tf.detection.recipe import DETECTION
from nda_tf.models import resnet
from tests import contract

SIZE = 32
DATASET = f"shapes_detection(images=8, size={SIZE}, objects=(1, 2))"
# A run of four steps: two evaluations (steps 2 and 4) on 4 test images.
TINY = {
    "dataset": DATASET,
    "encoder": "none",
    "arch": "small",
    "width": 4,
    "anchor_sizes": ["8", "16"],
    "anchor_ratios": ["1"],
    "rpn_batch_size": 64,
    "roi_batch_size": 32,
    "train_proposals": 16,
    "test_proposals": 8,
    "pooled_size": 4,
    "sampling_ratio": 1,
    "batch_size": 4,
    "steps": 4,
    "warmup_steps": 2,
    "eval_every": 2,
    "eval_images": 4,
}


def _make(**compile_arguments):
    tf.keras.utils.set_random_seed(0)
    encoder = resnet.small_resnet(width=4, input_shape=(SIZE, SIZE, 3))
    # Samples as large as the anchors (128: 8 x 8 cells at stride 4, 2
    # sizes) and RoIs (16 proposals and the boxes): every one is taken, so
    # the sampling draws nothing that differs between replicas.
    model = FasterRCNN(
        encoder,
        3,
        anchor_sizes=(8, 16),
        anchor_ratios=(1.0,),
        rpn_batch_size=128,
        rpn_positive_fraction=1.0,
        train_proposals=(64, 16),
        test_proposals=(64, 8),
        roi_batch_size=32,
        roi_positive_fraction=1.0,
        pooled_size=4,
        sampling_ratio=1,
        seed=0,
    )
    model.compile(tf.keras.optimizers.SGD(0.01), **compile_arguments)
    return model


def _batches():
    dataset, _ = detection_data.load(DATASET)
    batches = list(dataset.batch(4).take(2))
    for batch in batches:
        batch.pop("difficult")
    return [(batch,) for batch in batches]


def _copies(replicas):
    (batch,) = _batches()[0]
    return tf.data.Dataset.from_tensors(
        {k: tf.concat([v] * replicas, 0) for k, v in batch.items()}
    )


CASE = contract.Algorithm(
    DETECTION,
    TINY,
    make=_make,
    batches=_batches(),
    inputs=tf.zeros([2, SIZE, SIZE, 3]),
    call=lambda model, x: model(x)["boxes"],
    dataset_for=_copies,
    atol=1e-5,
    modes=("eager", "function"),
    # Without op determinism a resumed run differed from the whole one by
    # one float32 ulp in an encoder variable after 4 steps, with another
    # process loading the machine (2 cores); alone it was bitwise.
    deterministic=True,
)


@pytest.mark.parametrize("promise", contract.PROMISES)
def test_contract(promise, tmp_path, mirrored):
    contract.check_algorithm(CASE, promise, tmp_path, mirrored)
