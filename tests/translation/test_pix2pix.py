"""NDAPix2Pix's train step: lam = 1 is plain Pix2Pix, NDA pairs reach D."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.models import pix2pix
from nda_tf.translation import NDAPix2Pix


def nets(seed=0):
    keras.utils.set_random_seed(seed)
    G = pix2pix.unet_generator(depth=3, filters=4, seed=seed)
    D = pix2pix.patch_discriminator(2, filters=4)
    return G, D


def compiled(G, D, **kwargs):
    model = NDAPix2Pix(G, D, seed=1, **kwargs)
    # SGD: Adam's first steps hide differences (DESIGN pitfall 16).
    model.compile(
        d_optimizer=keras.optimizers.SGD(0.1),
        g_optimizer=keras.optimizers.SGD(0.1),
    )
    return model


def pairs(batch=2, seed=0):
    rng = np.random.default_rng(seed)
    condition = rng.uniform(-1, 1, [batch, 16, 16, 3]).astype(np.float32)
    target = rng.uniform(-1, 1, [batch, 16, 16, 3]).astype(np.float32)
    return tf.constant(condition), tf.constant(target)


def trained_weights(nda, lam, steps=2):
    G, D = nets()
    model = compiled(G, D, nda=nda, lam=lam, loss="l1_cgan")
    for step in range(steps):
        model.train_step(pairs(seed=step))
    return [np.asarray(w) for w in model.weights]


def test_lam_one_and_no_nda_are_plain_pix2pix_step_for_step():
    plain = trained_weights(None, 0.25)
    lam_one = trained_weights("jigsaw", 1.0)
    for a, b in zip(plain, lam_one, strict=True):
        np.testing.assert_array_equal(a, b)
    with_nda = trained_weights("jigsaw", 0.25)
    assert any(
        not np.array_equal(a, b) for a, b in zip(plain, with_nda, strict=True)
    )


class RecordingD(keras.Model):
    """A discriminator that keeps every input it is called with."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.seen = inner, []

    def call(self, x, training=False):
        self.seen.append(np.asarray(x))
        return self.inner(x, training=training)


def tiles(image, grid=2):
    size = image.shape[0] // grid
    return sorted(
        image[r : r + size, c : c + size].tobytes()
        for r in range(0, image.shape[0], size)
        for c in range(0, image.shape[1], size)
    )


@pytest.mark.parametrize("lam", [0.25, 1.0])
def test_nda_pairs_reach_the_discriminator(lam):
    G, D = nets()
    D = RecordingD(D)
    model = compiled(G, D, nda="jigsaw", lam=lam)
    condition, target = pairs(batch=1)
    logs = model.train_step((condition, target))
    # D step: real, fake (and NDA) pairs; then the G step's fake pair.
    assert len(D.seen) == (4 if lam < 1 else 3)
    np.testing.assert_array_equal(D.seen[0][..., 3:], target)
    if lam == 1:
        assert "d_nda" not in logs
        return
    negative = D.seen[2][0]
    # The condition is intact; the target's tiles are shuffled.
    np.testing.assert_array_equal(negative[..., :3], condition[0])
    assert not np.array_equal(negative[..., 3:], target[0])
    assert tiles(negative[..., 3:]) == tiles(target[0].numpy())
    assert "d_nda" in logs


def test_joint_nda_moves_condition_and_target_alike():
    G, D = nets()
    image = pairs(batch=2)[0]
    for joint in (False, True):
        model = compiled(G, D, nda="jigsaw", lam=0.5, joint_nda=joint)
        cond, target = model.negative_pairs(image, image, seed=[3, 4])
        same = np.array_equal(cond.numpy(), target.numpy())
        assert same == joint
        assert tiles(cond.numpy()[0]) == tiles(image.numpy()[0])


def test_bad_batches_and_arguments_are_named():
    G, D = nets()
    with pytest.raises(ValueError, match="lam must be"):
        NDAPix2Pix(G, D, lam=0.0)
    with pytest.raises(ValueError, match="loss must be"):
        NDAPix2Pix(G, D, loss="hinge")
    model = compiled(G, D)
    with pytest.raises(ValueError, match="condition, target"):
        model.train_step(pairs()[0])
    with pytest.raises(ValueError, match="target must be float images"):
        model.train_step((pairs()[0], tf.zeros([2, 16, 16, 3], tf.uint8)))
