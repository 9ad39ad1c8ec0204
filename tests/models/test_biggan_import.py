"""The authors' BigGAN state dicts, converted, compute what their code
computes (fixture: tests/fixtures/biggan_authors, made by
tools/make_biggan_fixture.py with their modules and PyTorch)."""

import pathlib

import numpy as np
import pytest

from nda_tf.io import pth
from nda_tf.models import biggan, biggan_import

FIXTURE = pathlib.Path(__file__).parents[1] / "fixtures" / "biggan_authors"
NETS = [
    f"{case}_{net}"
    for case in ("uncond", "cond")
    for net in ("G", "G_ema", "D")
] + ["shared_G"]  # fmt: skip


@pytest.fixture(scope="module")
def outputs():
    return np.load(FIXTURE / "outputs.npz")


def _state(name):
    return pth.load_state_dict(FIXTURE / f"{name}.pth")


@pytest.mark.parametrize("name", NETS)
def test_converted_nets_match_the_authors_forward(name, outputs):
    state = _state(name)
    conditional = not name.startswith("uncond")
    if name.endswith("_D"):
        net, x = biggan_import.convert_discriminator(state), outputs["images"]
    else:
        net, x = biggan_import.convert_generator(state), outputs["z"]
    inputs = [x, outputs["labels"]] if conditional else x
    result = net(inputs, training=False).numpy()
    expected = outputs[name]
    assert result.shape == expected.shape
    # Their outputs span ~1 (G, tanh) and ~50 (D logits).
    np.testing.assert_allclose(result, expected, atol=1e-4, rtol=0)


def test_the_architecture_is_read_from_the_state_dict():
    assert biggan_import.generator_architecture(_state("cond_G")) == {
        "resolution": 32,
        "ch": 2,
        "z_dim": 16,
        "num_classes": 10,
        "attention_resolution": None,
    }
    assert biggan_import.discriminator_architecture(_state("uncond_D")) == {
        "resolution": 32,
        "ch": 2,
        "num_classes": 1,
        "attention_resolution": None,
    }


def test_attention_weights_are_converted_into_the_attention_block():
    # Their G at 32 with attention at 16: blocks.1.1.{theta,phi,g,o,gamma}.
    state = dict(_state("uncond_G"))
    rng = np.random.default_rng(0)
    for name, (out, cin) in {
        "theta": (1, 8), "phi": (1, 8), "g": (4, 8), "o": (8, 4)
    }.items():  # fmt: skip
        prefix = f"blocks.1.1.{name}."
        state[prefix + "weight"] = rng.normal(size=(out, cin, 1, 1))
        state[prefix + "u0"] = rng.normal(size=(1, out))
        state[prefix + "sv0"] = np.ones(1)
    state["blocks.1.1.gamma"] = np.array(0.5)
    state = {k: np.asarray(v, "float32") for k, v in state.items()}
    assert biggan_import.generator_architecture(state)[
        "attention_resolution"
    ] == [16]
    generator = biggan_import.convert_generator(state)
    attention = generator.get_layer("block2_attention")
    assert float(attention.gamma.numpy()) == 0.5
    np.testing.assert_array_equal(
        attention.o.kernel.numpy(),
        state["blocks.1.1.o.weight"].transpose(2, 3, 1, 0),
    )


def test_a_state_dict_that_does_not_fit_names_the_keys():
    state = dict(_state("uncond_D"))
    del state["blocks.2.0.conv2.u0"]
    state["blocks.1.0.conv1.bias"] = np.zeros(5, "float32")
    state["extra.weight"] = np.zeros(3, "float32")
    with pytest.raises(ValueError) as error:
        biggan_import.convert_discriminator(state)
    message = str(error.value)
    assert "\n" not in message
    assert "missing blocks.2.0.conv2.u0" in message
    assert "wrong shape blocks.1.0.conv1.bias (5,) (expected (8,))" in message
    assert "unexpected extra.weight" in message
    # A conditional state dict does not fit an unconditional model.
    with pytest.raises(ValueError, match=r"embed.weight \(10, 8\) \(expected"):
        biggan_import.load_discriminator(
            _state("cond_D"), biggan.Discriminator(32, ch=2)
        )


def test_other_architectures_and_other_objects_are_refused_in_one_line():
    with pytest.raises(ValueError, match="embed.weight: a discriminator"):
        biggan_import.convert_generator(_state("uncond_D"))
    with pytest.raises(ValueError, match="no embed.weight"):
        biggan_import.convert_discriminator(_state("uncond_G"))
    # BigGAN-PyTorch's 256-pixel D has 7 blocks.
    seven = dict(_state("uncond_D"))
    for key in list(seven):
        for i in (4, 5, 6):
            if key.startswith("blocks.3."):
                seven[key.replace("blocks.3.", f"blocks.{i}.")] = seven[key]
    with pytest.raises(ValueError, match="7 discriminator blocks: not a"):
        biggan_import.convert_discriminator(seven)
    # A 64-pixel layout of the keys with 32-pixel widths.
    five = dict(seven)
    for key in list(five):
        if key.startswith(("blocks.5.", "blocks.6.")):
            del five[key]
    with pytest.raises(ValueError, match=r"wrong shape .* and \d+ more"):
        biggan_import.convert_discriminator(five)
    hierarchical = dict(_state("shared_G"))
    hierarchical["blocks.0.0.bn1.gain.weight"] = np.zeros((8, 12), "float32")
    with pytest.raises(ValueError, match="takes 12 inputs.*hierarchical"):
        biggan_import.convert_generator(hierarchical)
    with pytest.raises(ValueError, match="expected a mapping of names to"):
        biggan_import.convert_generator({"itr": 5, "epoch": 1})
