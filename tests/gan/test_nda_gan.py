"""NDAGAN's training step: the NDA term, lam=1, replicas' noise. The
contract (modes, replicas, config, resume) is tests/gan/test_contract.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf import transforms
from nda_tf.gan import NDAGAN
from tests.gan import tiny

SIZE = tiny.SIZE


def _adam():
    return keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.999)


def _sgd():
    # Comparisons between runs use SGD: Adam's first steps move every weight
    # by about +-lr whatever the gradient's size, so rounding noise in a
    # near-zero gradient would flip a whole step.
    return keras.optimizers.SGD(0.05)


def _images(count, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, [count, SIZE, SIZE, 1]).astype("float32")


def _gan(num_classes=1, nda="jigsaw", lam=0.25, d_steps=2, seed=0, **kw):
    gan = NDAGAN(
        tiny.generator(num_classes=num_classes),
        tiny.discriminator(num_classes=num_classes),
        nda=nda,
        lam=lam,
        d_steps=d_steps,
        z_dim=4,
        num_classes=num_classes,
        seed=seed,
        ema_start=1,
        **kw,
    )
    return gan


def _weights(gan):
    return [
        w.numpy()
        for model in (gan.generator, gan.discriminator, gan.ema_generator)
        for w in model.weights
    ]


def test_one_d_step_matches_a_hand_computation():
    """D(x) = w * mean(x), G(z) = 0.5, negatives = 0.25: after one SGD step
    w moves by exactly the hand-computed gradient of the three terms."""
    real = np.stack([np.full([SIZE, SIZE, 1], v) for v in (0.8, -0.4)])
    real = real.astype("float32")

    def negatives(batch_size, seed):
        return tf.fill([batch_size, SIZE, SIZE, 1], 0.25)

    lam = 0.25
    gan = NDAGAN(
        tiny.constant_generator(0.5),
        tiny.mean_pixel_discriminator(),
        nda=transforms.OtherSamples(negatives),
        lam=lam,
        d_steps=1,
        z_dim=4,
    )
    gan.compile(
        d_optimizer=keras.optimizers.SGD(1.0),
        g_optimizer=keras.optimizers.SGD(0.0),
    )
    logs = gan.train_on_batch(real, return_dict=True)
    # Hinge with w = 1: real logits 0.8, -0.4; fake 0.5; nda 0.25.
    # dL/dw = mean(-x [1 - x > 0]) + lam * 0.5 + (1 - lam) * 0.25.
    real_means = np.array([0.8, -0.4])
    grad = np.mean(-real_means) + lam * 0.5 + (1 - lam) * 0.25
    loss = (
        np.mean(np.maximum(0, 1 - real_means))
        + lam * (1 + 0.5)
        + (1 - lam) * (1 + 0.25)
    )
    new_w = gan.discriminator.get_layer("w").kernel.numpy().item()
    np.testing.assert_allclose(new_w, 1.0 - grad, rtol=1e-6)
    np.testing.assert_allclose(logs["d_loss"], loss, rtol=1e-6)
    np.testing.assert_allclose(logs["d_real"], 0.2, rtol=1e-6)
    np.testing.assert_allclose(logs["d_fake"], 0.5, rtol=1e-6)
    np.testing.assert_allclose(logs["d_nda"], 0.25, rtol=1e-6)
    np.testing.assert_allclose(logs["d_gap"], 0.2 - 0.25, rtol=1e-5)
    np.testing.assert_allclose(logs["g_loss"], -new_w * 0.5, rtol=1e-6)


class _Forbidden(transforms.Jigsaw):
    """A transform that fails the test if anything makes negatives."""

    def transform_images(self, images, transformation):
        raise AssertionError("negatives were computed")


@pytest.mark.parametrize("num_classes", [1, 3])
def test_lam_one_is_exactly_the_plain_gan_and_makes_no_negatives(num_classes):
    plain = _gan(num_classes, nda=None)
    lam_one = _gan(num_classes, nda=_Forbidden(), lam=1.0)
    assert not lam_one.uses_nda
    data = (_images(8), np.arange(8) % num_classes)
    for gan in (plain, lam_one):
        gan.compile(d_optimizer=_sgd(), g_optimizer=_sgd())
        logs = gan.train_on_batch(*data, return_dict=True)
        assert "d_nda" not in logs
    for a, b in zip(_weights(plain), _weights(lam_one), strict=True):
        np.testing.assert_array_equal(a, b)


def test_replicas_draw_different_noise(mirrored):
    strategy = mirrored
    with strategy.scope():
        gan = _gan()

    @tf.function
    def draw():
        return strategy.run(lambda: gan.sample_latents(4, None)[0])

    first, second = strategy.experimental_local_results(draw())
    assert not np.allclose(first, second)


def test_checkpoint_resumes_exactly(tmp_path):
    def fresh():
        gan = _gan()
        gan.compile(d_optimizer=_adam(), g_optimizer=_adam())
        return gan

    data = _images(8)
    original = fresh()
    for _ in range(2):
        original.train_on_batch(data)
    path = tf.train.Checkpoint(gan=original).write(str(tmp_path / "ckpt"))
    for _ in range(2):
        original.train_on_batch(data)

    resumed = fresh()
    resumed.train_on_batch(data)  # diverge first: restore must overwrite
    tf.train.Checkpoint(gan=resumed).read(path).assert_consumed()
    assert int(resumed.step.numpy()) == 2
    assert int(resumed.d_optimizer.iterations.numpy()) == 4
    for _ in range(2):
        resumed.train_on_batch(data)
    for a, b in zip(_weights(original), _weights(resumed), strict=True):
        np.testing.assert_array_equal(a, b)


def test_ema_copies_before_start_then_averages():
    gan = _gan(ema_decay=0.5)
    gan.ema_start = 2
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam())
    gan.train_on_batch(_images(8))  # step 1 < 2: a copy
    pairs = zip(gan.ema_generator.weights, gan.generator.weights, strict=True)
    for e, w in pairs:
        np.testing.assert_array_equal(e.numpy(), w.numpy())
    before = [w.numpy() for w in gan.ema_generator.weights]
    gan.train_on_batch(_images(8))  # step 2: halfway
    for e, w, b in zip(
        gan.ema_generator.weights, gan.generator.weights, before, strict=True
    ):
        np.testing.assert_allclose(e.numpy(), 0.5 * b + 0.5 * w.numpy(), 1e-6)


def _one_sgd_step(**gan_kwargs):
    gan = _gan(nda="vertical_flip(probability=1.0)", **gan_kwargs)
    gan.compile(d_optimizer=_sgd(), g_optimizer=_sgd())
    gan.train_on_batch(_images(8))
    return gan


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_step_matches_float32(policy):
    """Same update as float32 up to low-precision rounding: with plain SGD a
    loss scale left in the gradients would move weights 1000s of times
    further."""
    reference = _one_sgd_step()
    keras.mixed_precision.set_global_policy(policy)
    try:
        gan = _one_sgd_step()
        scaled = policy == "mixed_float16"
        for optimizer in (gan.d_optimizer, gan.g_optimizer):
            is_scaled = isinstance(
                optimizer, keras.optimizers.LossScaleOptimizer
            )
            assert is_scaled == scaled
        if scaled:
            assert float(gan.d_optimizer.dynamic_scale.numpy()) > 1.0
        # D matches closely; G's gradient passes through D and a batch norm
        # of 4 images in low precision, so a few of its weights drift more.
        reference_d = reference.discriminator.get_weights()
        current_d = gan.discriminator.get_weights()
        for a, b in zip(reference_d, current_d, strict=True):
            np.testing.assert_allclose(a, b, atol=2e-3)
        for a, b in zip(
            reference.generator.get_weights(),
            gan.generator.get_weights(),
            strict=True,
        ):
            assert np.abs(a - b).mean() < 0.01
            assert np.abs(a - b).max() < 0.25
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_a_float16_network_gets_loss_scaling_without_a_global_policy():
    gan = NDAGAN(tiny.generator(), tiny.discriminator(), z_dim=4, ema_start=1)
    gan.discriminator.dtype_policy = "mixed_float16"
    gan.compile(d_optimizer=_sgd(), g_optimizer=_sgd())
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert not isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)


@pytest.mark.parametrize("loss", ["non_saturating", "wasserstein"])
def test_other_losses_train(loss):
    gan = _gan(loss=loss)
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam(), jit_compile=False)
    logs = gan.train_on_batch(_images(8), return_dict=True)
    assert set(logs) == {
        "d_loss",
        "g_loss",
        "d_real",
        "d_fake",
        "d_nda",
        "d_gap",
    }
    assert all(np.isfinite(v) for v in logs.values())


def test_generate_is_reproducible_and_in_range():
    gan = _gan(num_classes=3)
    first = gan.generate(10, seed=4, batch_size=4)
    again = gan.generate(10, seed=4, batch_size=4)
    other = gan.generate(10, seed=5)
    assert first.shape == (10, SIZE, SIZE, 1) and first.dtype == np.float32
    assert np.abs(first).max() <= 1.0
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    labeled = gan.generate(4, labels=np.array([0, 1, 2, 0]), seed=1)
    assert labeled.shape == (4, SIZE, SIZE, 1)
    with pytest.raises(ValueError, match="labels must be 4 ints in \\[0, 3\\)"):
        gan.generate(4, labels=[0, 1, 3, 0])
    with pytest.raises(ValueError, match="num_images must be an int >= 1"):
        gan.generate(0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lam": 0.0}, "lam must be in \\(0, 1\\], received 0.0"),
        ({"lam": 1.5}, "received 1.5"),
        ({"d_steps": 0}, "d_steps must be an int >= 1, received 0"),
        ({"loss": "lsgan"}, "loss must be one of \\[.*\\], received 'lsgan'"),
        ({"gp_weight": True}, "gp_weight must be .*, received True"),
        ({"seed": True}, "seed must be an int >= 0 or None, received True"),
        ({"nda": "jigsa"}, "unknown transform 'jigsa'"),
        ({"ema_decay": 1.0}, "ema_decay must be in"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _gan(**kwargs)


def test_bad_batches():
    gan = _gan(d_steps=3)
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam())
    with pytest.raises(ValueError, match="d_steps=3 equal.*batch of 8"):
        gan.train_on_batch(_images(8))
    with pytest.raises(ValueError, match="received dtype uint8"):
        gan.train_on_batch(np.zeros([6, SIZE, SIZE, 1], "uint8"))


def test_dynamic_batches_that_do_not_split_fail_loudly():
    gan = _gan(d_steps=2)
    gan.compile(d_optimizer=_sgd(), g_optimizer=_sgd())
    dataset = tf.data.Dataset.from_tensor_slices(_images(7)).batch(4)
    assert dataset.element_spec.shape[0] is None
    with pytest.raises(tf.errors.InvalidArgumentError, match="d_steps=2"):
        gan.fit(dataset, epochs=1, verbose=0)


def test_conditional_gan_needs_integer_labels():
    gan = _gan(num_classes=3)
    gan.compile(d_optimizer=_sgd(), g_optimizer=_sgd())
    with pytest.raises(ValueError, match="needs \\(images, labels\\)"):
        gan.train_on_batch(_images(8))
    one_hot = np.eye(3, dtype="float32")[np.arange(8) % 3]
    with pytest.raises(ValueError, match="shape \\(8, 3\\)"):
        gan.train_on_batch(_images(8), one_hot)


@pytest.mark.parametrize("arch", ["biggan", "sngan"])
def test_trains_the_project_models(arch):
    from nda_tf.models import build_gan

    generator, discriminator = build_gan(arch, 32, ch=4, num_classes=10)
    gan = NDAGAN(
        generator,
        discriminator,
        nda="jigsaw|stitch",
        d_steps=2,
        num_classes=10,
        seed=0,
    )
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam())
    images = np.random.default_rng(0).uniform(-1, 1, [8, 32, 32, 3])
    before = discriminator.get_weights()[0].copy()
    logs = gan.train_on_batch(
        images.astype("float32"), np.arange(8) % 10, return_dict=True
    )
    assert all(np.isfinite(v) for v in logs.values())
    assert not np.allclose(before, discriminator.get_weights()[0])
    assert gan.generate(3, seed=0).shape == (3, 32, 32, 3)


class RecordingDiscriminator(keras.Model):
    """Remembers what each call scored (run eagerly to use)."""

    def __init__(self):
        super().__init__()
        self.flatten = keras.layers.Flatten()
        self.score = keras.layers.Dense(1)
        self.calls = []

    def call(self, inputs, training=False):
        images, labels = inputs
        self.calls.append((np.array(images), np.array(labels)))
        return self.score(self.flatten(images))


def test_each_d_step_scores_its_own_slice_fakes_and_labelled_negatives():
    discriminator = RecordingDiscriminator()
    discriminator([tf.zeros([1, SIZE, SIZE, 1]), tf.zeros([1], tf.int32)])
    gan = NDAGAN(
        tiny.generator(num_classes=3),
        discriminator,
        nda="vertical_flip(probability=1.0)",
        lam=0.5,
        d_steps=2,
        z_dim=4,
        num_classes=3,
        seed=0,
    )
    gan.compile(d_optimizer=_sgd(), g_optimizer=_sgd(), run_eagerly=True)
    discriminator.calls.clear()
    images, labels = _images(8), np.array([0, 1, 2, 0, 1, 2, 2, 1])
    gan.train_on_batch(images, labels)
    assert len(discriminator.calls) == 3  # two D steps, one G step
    for step in range(2):
        scored, scored_labels = discriminator.calls[step]
        real = images[4 * step : 4 * step + 4]
        real_labels = labels[4 * step : 4 * step + 4]
        assert scored.shape[0] == 12  # real, fakes, negatives
        np.testing.assert_array_equal(scored[:4], real)
        np.testing.assert_array_equal(scored[8:], real[:, ::-1])
        np.testing.assert_array_equal(scored_labels[:4], real_labels)
        np.testing.assert_array_equal(scored_labels[8:], real_labels)
        assert set(scored_labels[4:8]) <= {0, 1, 2}
    fakes, fake_labels = discriminator.calls[2]
    assert fakes.shape[0] == 4 and set(fake_labels) <= {0, 1, 2}


def test_adam_moves_no_class_table_entry_further_than_lr():
    """Adam's first step moves every weight by at most lr (with beta_1 =
    0: lr * g / (|g| + eps)). The conditional BigGAN's class-conditional
    BN tables are looked up once per image, so a class seen k times gets
    k gradient slices; summed before Adam sees them, no entry moves
    further (Keras 3 alone moves them up to sqrt(k) * lr)."""
    from nda_tf.models import build_gan

    lr = 1e-3
    gan = NDAGAN(
        *build_gan("biggan", 32, ch=2, num_classes=3, z_dim=8),
        nda="jigsaw",
        d_steps=1,
        z_dim=8,
        num_classes=3,
        seed=0,
    )
    adam = keras.optimizers.Adam(lr, beta_1=0.0, beta_2=0.999)
    gan.compile(d_optimizer=_adam(), g_optimizer=adam)
    before = [w.numpy() for w in gan.generator.trainable_weights]
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, [8, 32, 32, 3]).astype("float32")
    gan.train_on_batch(images, np.zeros(8, "int32"))
    tables = 0
    weights = gan.generator.trainable_weights
    for weight, old in zip(weights, before, strict=True):
        moved = np.abs(weight.numpy() - old).max()
        assert moved <= lr * (1 + 1e-4), (weight.path, moved)
        tables += weight.path.endswith(("/gain", "/bias")) and old.ndim == 2
    assert tables > 0
