"""NDA-Pix2Pix's contract case (tests/contract.py): config round trip,
the step in every compile mode, two replicas, exact resume."""

import keras
import numpy as np
import pytest

from nda_tf.models import pix2pix
from nda_tf.translation import NDAPix2Pix
from nda_tf.translation.recipe import PIX2PIX
from tests import contract
from tests.training.test_loop import PIX2PIX_TINY


def _make(nda="cutout", **compile_arguments):
    # No dropout: two replicas would draw their own masks.
    G = pix2pix.unet_generator(depth=2, filters=4, dropout=0.0, seed=0)
    D = pix2pix.patch_discriminator(1, filters=4)
    model = NDAPix2Pix(G, D, nda=nda, lam=0.5, loss="l1_cgan", seed=1)
    model.compile(
        d_optimizer=keras.optimizers.SGD(0.1),
        g_optimizer=keras.optimizers.SGD(0.1),
        **compile_arguments,
    )
    return model


def _pairs(seed):
    rng = np.random.default_rng(seed)
    return tuple(
        rng.uniform(-1, 1, [2, 8, 8, 3]).astype("float32") for _ in range(2)
    )


CASE = contract.Algorithm(
    PIX2PIX,
    PIX2PIX_TINY,
    make=_make,
    batches=[_pairs(0), _pairs(1)],
    inputs=_pairs(2)[0],
    call=lambda model, x: model(x, training=False),
    # A deterministic NDA: each replica's negatives are one device's.
    replicated=lambda: _make("vertical_flip(probability=1.0)"),
)


@pytest.mark.parametrize("promise", contract.PROMISES)
def test_contract(promise, tmp_path, mirrored):
    contract.check_algorithm(CASE, promise, tmp_path, mirrored)
