"""Our BigGAN training step replays the authors' (fixture made with their
own code: tests/fixtures/biggan_training, two iterations of two D steps
of 4 images at ch=2, lam 0.25, jigsaw negatives in their layout; see
tools/biggan_training_parity.py, which made it with `prepare` and
`theirs`)."""

import json
import pathlib

import numpy as np
import pytest

from tools import biggan_training_parity as parity

FIXTURE = pathlib.Path(__file__).parents[1] / "fixtures" / "biggan_training"
LR = 2e-4


def _losses(steps):
    return np.array([[step.get(k, 0.0) for k in ("real", "fake", "nda", "g")]
                     for step in steps])  # fmt: skip


def _theirs(case):
    with open(FIXTURE / case / "theirs.json") as file:
        return _losses(json.load(file))


@pytest.mark.parametrize("case", ["uncond", "cond"])
def test_ours_with_d_calls_2_replays_their_losses_and_weights(case):
    """Every D-loss part of every D step and each G loss agree to float32
    rounding; the weights after each iteration too, up to what Adam does
    with gradients that are rounding noise (BigGAN's biases before batch
    norm have a zero gradient in exact arithmetic: Adam moves them by up
    to lr either way) and batch norm's moving variance (PyTorch averages
    the unbiased batch variance, Keras the biased one: n/(n-1) of one
    update in ten)."""
    work = FIXTURE / case
    steps, gan, weights = parity.run_ours(work, d_calls=2)
    np.testing.assert_allclose(
        _losses(steps), _theirs(case), rtol=1e-4, atol=5e-4
    )
    settings = json.loads((work / "settings.json").read_text())
    for iteration in range(settings["iterations"]):
        theirs = parity.their_weights(work, iteration + 1, gan)
        for name, net in (("G", gan.generator), ("D", gan.discriminator)):
            steps_taken = (iteration + 1) * (
                settings["d_steps"] if name == "D" else 1
            )
            trainable, outside = 0, 0
            pairs = zip(
                net.weights, weights[iteration][name], theirs[name], strict=True
            )
            for weight, ours, their in pairs:
                difference = np.abs(ours - their)
                if "moving_variance" in weight.path:
                    np.testing.assert_allclose(ours, their, rtol=5e-3)
                elif weight.trainable:
                    assert difference.max() <= 2 * LR * steps_taken
                    trainable += difference.size
                    outside += int((difference > 1e-5).sum())
                else:  # spectral-norm u, moving means
                    assert difference.max() <= 1e-3, weight.path
            assert outside <= 0.02 * trainable, (name, outside, trainable)


@pytest.mark.parametrize("case", ["uncond", "cond"])
def test_one_d_call_does_not_replay_them(case):
    """The check can fail: our one-call step (one power-iteration step per
    D step) parts from their two-call step from the first negatives on."""
    steps, _, _ = parity.run_ours(FIXTURE / case, d_calls=1)
    assert np.abs(_losses(steps) - _theirs(case)).max() > 0.1
