"""NDAGAN's contract case (tests/contract.py): config round trip, the
step in every compile mode, two replicas, exact resume through the loop."""

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.gan import NDAGAN
from nda_tf.gan.recipe import GAN
from tests import contract
from tests.gan import tiny
from tests.gan.test_nda_gan import _gan, _images, _sgd
from tests.training.test_loop import GAN_TINY


def _make(num_classes):
    def make(**compile_arguments):
        gan = _gan(num_classes)
        gan.compile(d_optimizer=_sgd(), g_optimizer=_sgd(), **compile_arguments)
        return gan

    return make


class GlobalNoiseGAN(NDAGAN):
    """Draws the noise of the whole global batch from a fixed seed and keeps
    this replica's share, so one and two replicas see the same noise."""

    replicas = 1

    def sample_latents(self, batch_size, seed):
        step = self.seed_generator.next()
        context = tf.distribute.get_replica_context()
        replica = context.replica_id_in_sync_group if context else 0
        total = batch_size * self.replicas
        z = tf.random.stateless_normal([total, self.z_dim], step)
        start = replica * batch_size
        labels = tf.zeros([batch_size], tf.int32)
        return z[start : start + batch_size], labels


def _same_noise_gan():
    """Same global batch, same noise, deterministic NDA (a flip): the
    weights after two steps agree. G's batch norm is synchronized."""
    gan = GlobalNoiseGAN(
        tiny.generator(),
        tiny.discriminator(),
        nda="vertical_flip(probability=1.0)",
        d_steps=2,
        z_dim=4,
        seed=0,
        ema_start=1,
    )
    gan.replicas = tf.distribute.get_strategy().num_replicas_in_sync
    gan.compile(d_optimizer=_sgd(), g_optimizer=_sgd())
    return gan


def _interleaved(replicas):
    # Per replica the global batch splits in halves, and each half into
    # d_steps slices; interleave so that slice i on each replica is the
    # matching half of global slice i.
    order = np.arange(16).reshape(2, 2, 4)  # [d_step, replica, image]
    if replicas == 2:
        order = order.transpose(1, 0, 2)
    return tf.data.Dataset.from_tensors(_images(16)[order.ravel()]).repeat(2)


_Z = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
_DATA = (_images(8), np.arange(8) % 3)
CASE = contract.Algorithm(
    GAN,
    GAN_TINY,
    make=_make(3),
    # XLA fuses and reorders float arithmetic: rounding-level error.
    batches=[_DATA, _DATA],
    inputs=[_Z, np.array([0, 2])],
    call=lambda gan, x: gan(x),
    replicated=_same_noise_gan,
    dataset_for=_interleaved,
    atol=5e-5,
)


@pytest.mark.parametrize("promise", contract.PROMISES)
def test_contract(promise, tmp_path, mirrored):
    contract.check_algorithm(CASE, promise, tmp_path, mirrored)


def test_the_unconditional_step_agrees_in_every_mode():
    data = (_images(8), np.zeros(8, "int32"))
    contract.assert_train_steps_agree(_make(1), [data, data], atol=5e-5)
