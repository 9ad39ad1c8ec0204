"""Consistency regularisation (CR, bCR) in NDAGAN: CR's T, the exact loss
and its gradient, and that with weights 0 the step is the plain one."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.gan import NDAGAN, losses
from nda_tf.gan.augment import ConsistencyAugment, translate
from tests.gan import tiny

SIZE = tiny.SIZE


def _images(count, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, [count, SIZE, SIZE, 1]).astype("float32")


def _numpy_shift(image, dy, dx, mode):
    """`image` [H, W, C] moved by (dy, dx), filled as `np.pad` fills."""
    pad = max(abs(dy), abs(dx))
    padded = np.pad(image, [(pad, pad), (pad, pad), (0, 0)], mode=mode)
    top, left = pad - dy, pad - dx
    return padded[top : top + image.shape[0], left : left + image.shape[1]]


@pytest.mark.parametrize(
    ("fill", "mode"), [("zeros", "constant"), ("reflect", "reflect")]
)
def test_translate_moves_by_the_given_shift(fill, mode):
    images = _images(3)
    shifts = np.array([[1, -2], [0, 3], [-3, 0]])
    moved = translate(images, shifts, fill).numpy()
    for image, out, (dy, dx) in zip(images, moved, shifts, strict=True):
        np.testing.assert_array_equal(out, _numpy_shift(image, dy, dx, mode))


def test_cr_transform_flips_then_shifts_with_reflection():
    images = _images(2)
    layer = ConsistencyAugment()
    transformation = {"flip": [True, False], "shift": [[1, 0], [-1, 1]]}
    out = layer.transform_images(images, transformation).numpy()
    np.testing.assert_array_equal(
        out[0], _numpy_shift(images[0][:, ::-1], 1, 0, "reflect")
    )
    np.testing.assert_array_equal(
        out[1], _numpy_shift(images[1], -1, 1, "reflect")
    )


def test_cr_transform_draws_flips_and_shifts_within_an_eighth():
    layer = ConsistencyAugment()
    drawn = layer.get_random_transformation(tf.zeros([400, 32, 32, 3]), 7)
    shifts = drawn["shift"].numpy()
    # 32 / 8 = 4 pixels, the CR-GAN shift on CIFAR-10; every value occurs.
    assert set(shifts.ravel()) == set(range(-4, 5))
    assert 0.4 < drawn["flip"].numpy().mean() < 0.6
    again = layer.get_random_transformation(tf.zeros([400, 32, 32, 3]), 7)
    np.testing.assert_array_equal(again["shift"], shifts)


class _LinearD(keras.Model):
    """D(x) = <k, x> with a hand-set, asymmetric kernel; records the
    batches it scores (the tests run eagerly)."""

    def __init__(self):
        super().__init__()
        self.flatten = keras.layers.Flatten()
        kernel = np.linspace(-1.0, 1.0, SIZE * SIZE)[:, None]
        self.score = keras.layers.Dense(
            1,
            use_bias=False,
            kernel_initializer=keras.initializers.Constant(kernel),
        )
        self.calls = []

    def call(self, images, training=False):
        self.calls.append(np.array(images))
        return self.score(self.flatten(images))


def _cr_gan(cr_weight, cr_fake_weight, learning_rate=0.1):
    discriminator = _LinearD()
    discriminator(tf.zeros([1, SIZE, SIZE, 1]))
    gan = NDAGAN(
        tiny.generator(),
        discriminator,
        nda="jigsaw",
        d_steps=1,
        z_dim=4,
        seed=3,
        cr_weight=cr_weight,
        cr_fake_weight=cr_fake_weight,
    )
    gan.compile(
        d_optimizer=keras.optimizers.SGD(learning_rate),
        g_optimizer=keras.optimizers.SGD(0.0),
        run_eagerly=True,
    )
    discriminator.calls.clear()
    return gan


@pytest.mark.parametrize(
    ("cr_weight", "cr_fake_weight"), [(10.0, 0.0), (0.0, 10.0), (10.0, 5.0)]
)
def test_cr_term_is_exact_and_its_gradient_reaches_d(cr_weight, cr_fake_weight):
    """D scores [real, fake, nda, T(real)?, T(fake)?]; the loss gains
    exactly weight * mean((D(x) - D(T(x)))^2) per pair, and D's update
    gains exactly that term's gradient (linear D: by hand)."""
    real = _images(4)
    plain = _cr_gan(0.0, 0.0)
    plain_logs = plain.train_on_batch(real, return_dict=True)
    gan = _cr_gan(cr_weight, cr_fake_weight)
    logs = gan.train_on_batch(real, return_dict=True)

    scored = gan.discriminator.calls[0]
    np.testing.assert_array_equal(scored[:12], plain.discriminator.calls[0])
    kernel = np.linspace(-1.0, 1.0, SIZE * SIZE)
    logits = scored.reshape(len(scored), -1) @ kernel
    pairs = [(w, s) for w, s in ((cr_weight, 0), (cr_fake_weight, 1)) if w]
    assert len(scored) == 4 * (3 + len(pairs))
    expected_term, expected_grad = 0.0, np.zeros_like(kernel)
    flat = scored.reshape(len(scored), -1)
    for index, (weight, source) in enumerate(pairs):
        originals = slice(4 * source, 4 * source + 4)
        augmented = slice(12 + 4 * index, 16 + 4 * index)
        if source == 0:
            # T(real) really is a flip-and-shift of the real images.
            assert not np.allclose(scored[augmented], real)
        difference = logits[originals] - logits[augmented]
        value = np.mean(difference**2)
        name = "d_cr" if source == 0 else "d_cr_fake"
        np.testing.assert_allclose(logs[name], value, rtol=1e-5)
        expected_term += weight * value
        expected_grad += weight * np.mean(
            2 * difference[:, None] * (flat[originals] - flat[augmented]),
            axis=0,
        )
    np.testing.assert_allclose(
        logs["d_loss"], plain_logs["d_loss"] + expected_term, rtol=1e-5
    )
    moved = (
        gan.discriminator.score.kernel.numpy()[:, 0]
        - plain.discriminator.score.kernel.numpy()[:, 0]
    )
    np.testing.assert_allclose(moved, -0.1 * expected_grad, atol=1e-5)


def test_consistency_loss_of_hand_set_scores():
    value = losses.consistency_loss(
        tf.constant([[1.0], [2.0]]), tf.constant([[0.0], [4.0]])
    )
    assert float(value) == pytest.approx((1.0 + 4.0) / 2)


def test_zero_weights_are_exactly_the_plain_step():
    def run(**kwargs):
        gan = NDAGAN(
            tiny.generator(),
            tiny.discriminator(),
            nda="jigsaw",
            d_steps=2,
            z_dim=4,
            seed=0,
            ema_start=1,
            **kwargs,
        )
        gan.compile(
            d_optimizer=keras.optimizers.SGD(0.05),
            g_optimizer=keras.optimizers.SGD(0.05),
        )
        for seed in (0, 1):
            logs = gan.train_on_batch(_images(8, seed), return_dict=True)
        return gan.get_weights(), logs

    plain_weights, plain_logs = run()
    weights, logs = run(cr_weight=0.0, cr_fake_weight=0.0, diffaugment="none")
    assert logs == plain_logs and "d_cr" not in logs
    for a, b in zip(plain_weights, weights, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cr_weight": -1.0}, "cr_weight must be .*, received -1.0"),
        ({"cr_fake_weight": "10"}, "cr_fake_weight must be .*, received '10'"),
        ({"cr_translation": 1.0}, "cr_translation must be in"),
        ({"diffaugment": "colour"}, "unknown DiffAugment op 'colour'"),
    ],
)
def test_bad_cr_and_diffaugment_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NDAGAN(tiny.generator(), tiny.discriminator(), z_dim=4, **kwargs)
