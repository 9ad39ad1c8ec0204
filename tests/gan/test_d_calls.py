"""NDAGAN(d_calls=2), the authors' D step: every spectral-norm estimate of
D takes two power-iteration steps per D step, and the negatives are scored
with the second. Checked on hand-set weights against NumPy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.gan import NDAGAN
from nda_tf.models import spectral_norm
from tests.gan import tiny

SIZE = tiny.SIZE
UNITS = 3


def _matrix():
    # A full-rank [fan_in, 3] kernel: one power-iteration step does not
    # find sigma exactly, so the number of steps shows in the estimate.
    rng = np.random.default_rng(0)
    return rng.normal(size=(SIZE * SIZE, UNITS)).astype("float32")


def _u0():
    return np.array([[1.0, 0.3, -0.5]], "float32")


def _sn_discriminator():
    """D(x) = sum(SNDense(3)(flatten(x))) with the kernel `_matrix()` and
    the singular vector `_u0()`."""
    images = keras.Input((SIZE, SIZE, 1))
    flat = keras.layers.Flatten()(images)
    dense = spectral_norm.SNDense(UNITS, use_bias=False, name="sn")
    summed = keras.layers.Dense(
        1, use_bias=False, kernel_initializer="ones", trainable=False
    )(dense(flat))
    model = keras.Model(images, summed)
    dense.kernel.assign(_matrix())
    dense.sn_u.assign(_u0())
    return model


def _power_step(u, matrix):
    """One step as the authors' `power_iteration` (and ours) takes it."""
    v = u @ matrix.T
    v = v / np.linalg.norm(v)
    u = v @ matrix
    u = u / np.linalg.norm(u)
    sigma = float(((v @ matrix) @ u.T).item())
    return u, sigma


def _estimates(steps):
    """u and sigma after each of `steps` power-iteration steps from u0."""
    u, found = _u0().astype("float64"), []
    for _ in range(steps):
        u, sigma = _power_step(u, _matrix().astype("float64"))
        found.append((u, sigma))
    return found


def _gan(d_calls, nda="vertical_flip(probability=1.0)", lam=0.25):
    gan = NDAGAN(
        tiny.constant_generator(0.5),
        _sn_discriminator(),
        nda=nda,
        lam=lam,
        d_steps=1,
        z_dim=4,
        d_calls=d_calls,
    )
    # Learning rate 0: the kernel stays as set, so only u moves.
    gan.compile(
        d_optimizer=keras.optimizers.SGD(0.0),
        g_optimizer=keras.optimizers.SGD(0.0),
    )
    return gan


def _real():
    rng = np.random.default_rng(1)
    return rng.uniform(-1, 1, [4, SIZE, SIZE, 1]).astype("float32")


def _logit(images, sigma):
    flat = images.reshape(len(images), -1).astype("float64")
    return (flat @ _matrix()).sum(axis=1) / sigma


@pytest.mark.parametrize("d_calls", [1, 2])
def test_one_d_step_moves_u_and_scores_as_the_authors_two_calls(d_calls):
    """After one train step (1 D step, 1 G step) u has taken d_calls + 1
    steps (the G step's call takes one); reals and fakes are scored with
    the first estimate, the negatives with the d_calls-th."""
    gan = _gan(d_calls)
    real = _real()
    logs = gan.train_on_batch(real, return_dict=True)
    estimates = _estimates(d_calls + 1)
    u_after, _ = estimates[-1]
    np.testing.assert_allclose(
        gan.discriminator.get_layer("sn").sn_u.numpy(), u_after, rtol=1e-5
    )
    first_sigma = estimates[0][1]
    nda_sigma = estimates[d_calls - 1][1]
    fakes = np.full_like(real, 0.5)
    np.testing.assert_allclose(
        logs["d_real"], _logit(real, first_sigma).mean(), rtol=1e-5
    )
    np.testing.assert_allclose(
        logs["d_fake"], _logit(fakes, first_sigma).mean(), rtol=1e-5
    )
    np.testing.assert_allclose(
        logs["d_nda"], _logit(real[:, ::-1], nda_sigma).mean(), rtol=1e-5
    )
    # The two estimates differ, so the test tells one call from two.
    assert abs(estimates[0][1] - estimates[1][1]) > 1e-4 * estimates[1][1]


@pytest.mark.parametrize("nda, lam", [(None, 0.25), ("jigsaw", 1.0)])
def test_without_negatives_the_second_call_still_moves_u(nda, lam):
    """lam = 1 or no NDA: their second call (weight 0) only moves u, and
    so does ours (without the call); the losses are those of one call."""
    one, two = _gan(1, nda, lam), _gan(2, nda, lam)
    real = _real()
    logs_one = one.train_on_batch(real, return_dict=True)
    logs_two = two.train_on_batch(real, return_dict=True)
    assert "d_nda" not in logs_two
    for key in ("d_real", "d_fake", "d_loss"):
        np.testing.assert_allclose(logs_two[key], logs_one[key], rtol=1e-6)
    u_after, _ = _estimates(3)[-1]  # two in the D step, one in the G step
    np.testing.assert_allclose(
        two.discriminator.get_layer("sn").sn_u.numpy(), u_after, rtol=1e-5
    )


def test_power_iteration_step_moves_nested_layers_without_a_call():
    """Every spectral-norm layer, at any depth, takes one step."""
    outer = keras.Sequential(
        [keras.Input((SIZE, SIZE, 1)), _sn_discriminator()]
    )
    assert spectral_norm.power_iteration_step(outer) == 1
    layer = outer.layers[0].get_layer("sn")
    np.testing.assert_allclose(layer.sn_u.numpy(), _estimates(1)[0][0], 1e-5)


def test_two_calls_match_one_call_and_two_steps_under_tf_function():
    """Compiled (tf.function) and eager steps agree: the second call reads
    the u the first call wrote (automatic control dependencies)."""
    real = _real()
    eager, compiled = _gan(2), _gan(2)
    eager.compile(
        d_optimizer=keras.optimizers.SGD(0.0),
        g_optimizer=keras.optimizers.SGD(0.0),
        run_eagerly=True,
    )
    logs_eager = eager.train_on_batch(real, return_dict=True)
    logs_compiled = compiled.train_on_batch(real, return_dict=True)
    for key in logs_eager:
        np.testing.assert_allclose(
            logs_compiled[key], logs_eager[key], rtol=1e-6
        )


@pytest.mark.parametrize("bad", [0, 3, "2", 1.5, True])
def test_d_calls_must_be_one_or_two(bad):
    with pytest.raises(ValueError, match="d_calls"):
        NDAGAN(tiny.constant_generator(0.5), _sn_discriminator(), d_calls=bad)


def test_d_calls_round_trips_through_the_config():
    gan = _gan(2)
    assert gan.get_config()["d_calls"] == 2
    assert NDAGAN.from_config(gan.get_config()).d_calls == 2


@pytest.mark.parametrize("nda", [None, "vertical_flip(probability=1.0)"])
def test_two_replicas_match_one_device(mirrored, nda):
    """Both calls (or the call and the power-iteration step without one)
    under MirroredStrategy: weights and u after two steps as on one
    device."""
    from tests import contract
    from tests.gan.test_contract import GlobalNoiseGAN

    def make():
        discriminator = _sn_discriminator()
        gan = GlobalNoiseGAN(
            tiny.generator(),
            discriminator,
            nda=nda,
            d_steps=2,
            z_dim=4,
            seed=0,
            ema_start=1,
            d_calls=2,
        )
        gan.replicas = tf.distribute.get_strategy().num_replicas_in_sync
        gan.compile(
            d_optimizer=keras.optimizers.SGD(0.05),
            g_optimizer=keras.optimizers.SGD(0.05),
        )
        return gan

    images = _real().repeat(4, axis=0)[:16]

    def dataset_for(replicas):
        order = np.arange(16).reshape(2, 2, 4)  # [d_step, replica, image]
        if replicas == 2:
            order = order.transpose(1, 0, 2)
        return tf.data.Dataset.from_tensors(images[order.ravel()]).repeat(2)

    contract.assert_one_and_two_replicas_agree(
        make, dataset_for, mirrored, atol=2e-5
    )
