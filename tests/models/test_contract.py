"""The models and their layers keep the contract (tests/contract.py):
config round trip, the same training-mode output and state updates eagerly,
in tf.function and under XLA, and two replicas like one device."""

import numpy as np
import pytest

from nda_tf.models import biggan, resnet, sngan
from nda_tf.models.layers import ConditionalBatchNorm, SelfAttention
from nda_tf.models.spectral_norm import SNConv2D, SNDense, SNEmbedding
from tests import contract

BATCH = 4  # even: two replicas take half each
LABELS = np.array([0, 2, 1, 2], "int32")


def _z(dim=128):
    return np.random.default_rng(1).normal(size=(BATCH, dim)).astype("float32")


def _images(size=32, channels=3):
    rng = np.random.default_rng(2)
    shape = (BATCH, size, size, channels)
    return rng.uniform(-1, 1, shape).astype("float32")


# name: (factory, inputs). Batch norm is synchronized, so that training-mode
# outputs on two replicas match one device; ch=4 keeps XLA compiles short.
MODELS = {
    "biggan_generator": (
        lambda: biggan.Generator(32, ch=4, num_classes=3, sync_batch_norm=True),
        lambda: [_z(), LABELS],
    ),
    "biggan_discriminator": (
        lambda: biggan.Discriminator(
            32, ch=4, num_classes=3, attention_resolution=16
        ),
        lambda: [_images(), LABELS],
    ),
    "sngan_generator": (
        lambda: sngan.Generator(32, ch=4, num_classes=3, sync_batch_norm=True),
        lambda: [_z(), LABELS],
    ),
    "sngan_discriminator": (
        lambda: sngan.Discriminator(32, ch=4, num_classes=3),
        lambda: [_images(), LABELS],
    ),
    # One block per stage (the blocks of ResNet-18), for a fraction of the
    # compile time of the full depth.
    "resnet": (
        lambda: resnet.small_resnet(
            width=2, input_shape=(16, 16, 3), synchronized_bn=True
        ),
        lambda: _images(16),
    ),
    "conditional_batch_norm": (
        lambda: ConditionalBatchNorm(3, synchronized=True),
        lambda: [_images(4, 8), LABELS],
    ),
    "self_attention": (lambda: _mixing_attention(), lambda: _images(8, 16)),
    "sn_dense": (lambda: SNDense(5), lambda: _z(6)),
    "sn_conv": (lambda: SNConv2D(5, 3), lambda: _images(8)),
    "sn_embedding": (lambda: SNEmbedding(3, 5), lambda: LABELS),
}


def _mixing_attention():
    # The block starts as the identity (gamma = 0): give it a real gamma.
    layer = SelfAttention()
    layer(_images(8, 16))
    layer.gamma.assign(0.5)
    return layer


def _built(make, inputs):
    # Layers build on their first call; an eager inference call leaves
    # their state as it was.
    def build():
        model = make()
        if not model.built:
            model(inputs, training=False)
        return model

    return build


@pytest.mark.parametrize("name", sorted(MODELS))
def test_contract(name, mirrored):
    make, inputs = MODELS[name]
    inputs = inputs()
    make = _built(make, inputs)
    # Also: biggan and sngan both define Generator / Discriminator; the
    # Keras round trip fails if one registered name could build the other.
    contract.assert_config_round_trip(make, inputs, atol=1e-6)
    output = contract.assert_same_in_every_mode(make, inputs, atol=1e-4)
    assert np.isfinite(output).all()
    contract.assert_mirrored_like_one_device(make, inputs, mirrored, atol=1e-4)
