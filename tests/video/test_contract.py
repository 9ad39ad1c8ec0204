"""The contract cases (tests/contract.py) of DPC and of the video
classifier it fine-tunes: config round trip, the step in every compile
mode, two replicas, exact resume through the loop."""

import keras
import numpy as np
import pytest

from nda_tf.models.video import build_encoder
from nda_tf.video import DPC
from nda_tf.video.classifier import VideoClassifier
from nda_tf.video.recipe import DPC_RECIPE, VIDEO_FINETUNE
from tests import contract
from tests.training.test_loop import DPC_TINY, VIDEO_FINETUNE_TINY


def _encoder():
    keras.utils.set_random_seed(0)
    return build_encoder("small", (2, 8, 8, 3), width=2)


def _dpc(nda="cutout", **compile_arguments):
    dpc = DPC(_encoder(), 3, 2, 1, nda=nda, seed=0)
    dpc.compile(optimizer=keras.optimizers.SGD(0.1), **compile_arguments)
    return dpc


def _classifier(**compile_arguments):
    # No dropout: two replicas would draw their own masks.
    model = VideoClassifier(_encoder(), 2, num_classes=3, dropout=0.0)
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        backbone_optimizer=keras.optimizers.SGD(0.01),
        **compile_arguments,
    )
    return model


def _clips(seed, count=2):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, [count, 6, 8, 8, 3]).astype("float32")


def _labels(*labels):
    return np.array(labels, "int32")  # as the clip sources give them


CASES = {
    "dpc": contract.Algorithm(
        DPC_RECIPE,
        DPC_TINY,
        make=_dpc,
        batches=[(_clips(0),), (_clips(1),)],
        inputs=_clips(2),
        call=lambda dpc, x: dpc(x),
        # Without NDA: the replicas' negative clips would be their own.
        replicated=lambda: _dpc(None),
    ),
    "video_finetune": contract.Algorithm(
        VIDEO_FINETUNE,
        VIDEO_FINETUNE_TINY,
        make=_classifier,
        batches=[(_clips(0), _labels(0, 2)), (_clips(1), _labels(1, 1))],
        inputs=_clips(2),
        call=lambda model, x: model(x, training=False),
    ),
}


@pytest.mark.parametrize("promise", contract.PROMISES)
@pytest.mark.parametrize("algorithm", sorted(CASES))
def test_contract(algorithm, promise, tmp_path, mirrored):
    contract.check_algorithm(CASES[algorithm], promise, tmp_path, mirrored)
