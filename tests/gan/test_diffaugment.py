"""DiffAugment: the policy string, each op exactly, its draws, gradients
through it to G, and its place in NDAGAN's D and G steps."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.gan import NDAGAN
from nda_tf.gan.augment import DiffAugment, parse_policy
from tests import contract
from tests.gan import tiny

SIZE = tiny.SIZE


def _images(count, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    shape = [count, SIZE, SIZE, channels]
    return rng.uniform(-1, 1, shape).astype("float32")


@pytest.mark.parametrize(
    ("policy", "ops"),
    [
        ("color,translation,cutout", ("color", "translation", "cutout")),
        (" Cutout , color", ("cutout", "color")),
        ("translation", ("translation",)),
        ("", ()),
        ("none", ()),
        (None, ()),
    ],
)
def test_policy_strings_parse_as_the_original(policy, ops):
    assert parse_policy(policy) == ops


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("color,flip", "unknown DiffAugment op 'flip'"),
        ("color,,cutout", "unknown DiffAugment op ''"),
        ("color,color", "repeats an op"),
        (["color"], "a DiffAugment policy is a string"),
    ],
)
def test_bad_policies_name_the_value(policy, message):
    with pytest.raises(ValueError, match=message):
        parse_policy(policy)
    with pytest.raises(ValueError, match="at least one op"):
        DiffAugment("none")


def test_translation_by_a_known_shift_fills_with_zeros():
    images = _images(2)
    layer = DiffAugment("translation")
    out = layer.transform_images(images, {"shift": [[1, -1], [0, 1]]})
    expected = np.zeros_like(images)
    expected[0, 1:, :-1] = images[0, :-1, 1:]
    expected[1, :, 1:] = images[1, :, :-1]
    np.testing.assert_array_equal(out, expected)


def test_cutout_zeroes_a_half_size_square_clipped_at_the_border():
    images = _images(2)
    layer = DiffAugment("cutout")
    # Side round(8 / 2) = 4: rows/cols [centre - 2, centre + 2).
    out = layer.transform_images(images, {"cutout": [[4, 3], [0, 7]]}).numpy()
    expected = images.copy()
    expected[0, 2:6, 1:5] = 0
    expected[1, 0:2, 5:8] = 0  # clipped: a 2 x 3 corner
    np.testing.assert_array_equal(out, expected)


def test_color_adds_brightness_then_scales_saturation_and_contrast():
    images = _images(2)
    layer = DiffAugment("color")
    transformation = {
        "brightness": [0.25, -0.5],
        "saturation": [0.0, 1.5],
        "contrast": [1.0, 0.5],
    }
    out = layer.transform_images(images, transformation).numpy()
    for i, image in enumerate(images):
        x = image + transformation["brightness"][i]
        pixel_mean = x.mean(axis=-1, keepdims=True)
        x = (x - pixel_mean) * transformation["saturation"][i] + pixel_mean
        x = (x - x.mean()) * transformation["contrast"][i] + x.mean()
        np.testing.assert_allclose(out[i], x, atol=1e-6)
    # Saturation 0 leaves grey pixels: every channel equal.
    np.testing.assert_allclose(out[0], out[0][..., :1].repeat(3, -1), atol=1e-6)


def test_draws_cover_the_papers_ranges_and_repeat_with_the_seed():
    layer = DiffAugment("color,translation,cutout")
    images = tf.zeros([500, 32, 32, 3])
    drawn = layer.get_random_transformation(images, seed=5)
    brightness = drawn["brightness"].numpy()
    assert -0.5 <= brightness.min() < -0.45 and 0.45 < brightness.max() < 0.5
    assert 0 <= drawn["saturation"].numpy().min() < 0.1
    assert 1.9 < drawn["saturation"].numpy().max() < 2
    contrast = drawn["contrast"].numpy()
    assert 0.5 <= contrast.min() < 0.55 and 1.45 < contrast.max() < 1.5
    # 32 / 8 = 4 pixels of translation; cutout centres anywhere.
    assert set(drawn["shift"].numpy().ravel()) == set(range(-4, 5))
    assert set(drawn["cutout"].numpy().ravel()) == set(range(32))
    again = layer.transform_with_seed(_images(4), seed=5)
    np.testing.assert_array_equal(
        again, layer.transform_with_seed(_images(4), seed=5)
    )


def test_gradients_flow_through_it_to_the_generator():
    generator = tiny.generator()
    layer = DiffAugment("color,translation,cutout")
    z = tf.random.stateless_normal([4, 4], [0, 1])
    with tf.GradientTape() as tape:
        augmented = layer.transform_with_seed(generator(z), seed=1)
        score = tf.reduce_sum(augmented * tf.range(64.0, dtype="float32") / 64)
    grads = tape.gradient(score, generator.trainable_variables)
    assert all(g is not None for g in grads)
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)


def test_translation_gradient_is_the_shift_back():
    """The Jacobian of a shift is a shift: d<u, T(x)>/dx = T^-1(u), zeros
    where the content left the image."""
    images = tf.constant(_images(1))
    weights = tf.constant(_images(1, seed=1))
    layer = DiffAugment("translation")
    with tf.GradientTape() as tape:
        tape.watch(images)
        moved = layer.transform_images(images, {"shift": [[2, -1]]})
        score = tf.reduce_sum(moved * weights)
    grad = tape.gradient(score, images).numpy()
    expected = np.zeros_like(grad)
    expected[0, :-2, 1:] = weights.numpy()[0, 2:, :-1]
    np.testing.assert_array_equal(grad, expected)


class _RecordingD(keras.Model):
    def __init__(self):
        super().__init__()
        self.flatten = keras.layers.Flatten()
        self.score = keras.layers.Dense(1)
        self.calls = []

    def call(self, images, training=False):
        self.calls.append(np.array(images))
        return self.score(self.flatten(images))


def test_ndagan_augments_reals_fakes_and_negatives_in_both_steps():
    discriminator = _RecordingD()
    discriminator(tf.zeros([1, SIZE, SIZE, 1]))
    gan = NDAGAN(
        tiny.generator(),
        discriminator,
        nda="vertical_flip(probability=1.0)",
        d_steps=1,
        z_dim=4,
        seed=0,
        diffaugment="cutout",
    )
    gan.compile(
        d_optimizer=keras.optimizers.SGD(0.1),
        g_optimizer=keras.optimizers.SGD(0.1),
        run_eagerly=True,
    )
    discriminator.calls.clear()
    real = _images(4, channels=1) * 0.5 + 2.0  # never 0 before cutout
    gan.train_on_batch(real)
    d_batch, g_batch = discriminator.calls
    assert d_batch.shape[0] == 12
    # Cutout zeroes 4 x 4 minus clipping: each real and negative loses
    # some pixels, and only there does it differ from its source.
    sources = [real, real[:, ::-1]]
    for part, source in zip((d_batch[:4], d_batch[8:]), sources, strict=True):
        cut = part == 0
        assert cut.any(axis=(1, 2, 3)).all()
        np.testing.assert_array_equal(part[~cut], source[~cut])
    # Generated images are cut too, in the D step and in the G step.
    for fakes in (d_batch[4:8], g_batch):
        per_image = (fakes == 0).reshape(4, -1).sum(axis=1)
        assert (per_image >= 4).all()


def test_ndagan_with_diffaugment_agrees_eagerly_and_compiled():
    def make(**compile_arguments):
        gan = NDAGAN(
            tiny.generator(),
            tiny.discriminator(),
            nda="jigsaw",
            d_steps=2,
            z_dim=4,
            seed=0,
            diffaugment="color,translation,cutout",
            cr_weight=10.0,
            cr_fake_weight=10.0,
        )
        gan.compile(
            d_optimizer=keras.optimizers.SGD(0.05),
            g_optimizer=keras.optimizers.SGD(0.05),
            **compile_arguments,
        )
        return gan

    data = (_images(8, channels=1),)
    contract.assert_train_steps_agree(make, [data], atol=5e-5)


def test_cr_and_diffaugment_train_on_two_replicas(mirrored):
    """Each replica draws its own augmentations (the transforms fold in
    the replica id); the step runs and its losses are finite."""
    with mirrored.scope():
        gan = NDAGAN(
            tiny.generator(),
            tiny.discriminator(),
            nda="jigsaw",
            d_steps=2,
            z_dim=4,
            seed=0,
            diffaugment="color,translation,cutout",
            cr_weight=10.0,
            cr_fake_weight=10.0,
        )
        gan.compile(
            d_optimizer=keras.optimizers.SGD(0.05),
            g_optimizer=keras.optimizers.SGD(0.05),
        )
    batches = tf.data.Dataset.from_tensors(_images(16, channels=1))
    logs = gan.fit(batches, epochs=1, verbose=0).history
    for name in ("d_loss", "g_loss", "d_cr", "d_cr_fake"):
        assert np.isfinite(logs[name][0]), name
    assert logs["d_cr"][0] > 0
