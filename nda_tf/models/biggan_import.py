"""The authors' BigGAN-PyTorch state dicts as `nda_tf.models.biggan` nets.

The NDA paper's GAN code (ermongroup/NDA, built on BigGAN-PyTorch) saves
`G.pth`, `G_ema.pth` and `D.pth` state dicts. This module reads their
arrays (a mapping of name to NumPy array, e.g. from
`nda_tf.io.pth.load_state_dict`, which needs no torch) into our
`Generator` and `Discriminator`, which then compute the same functions
(tests/models/test_biggan_import.py checks this against the authors' own
code to 1e-4):

* kernels: torch conv `[out, in, kh, kw]` -> `[kh, kw, in, out]`, linear
  `[out, in]` -> `[in, out]`; G's first linear also reorders its outputs,
  as torch reshapes them channels first and we channels last;
* spectral norm: the kernel and its power-iteration vector `u0` (`sv0`, a
  record of the last estimate, is not used by the forward pass);
* batch norm: running statistics, the output BN's gain and bias; a
  one-class `ccbn` becomes an affine BN (gain `1 + E_g[0]`, bias
  `E_b[0]`), a conditional one keeps its per-class tables;
* BigGAN's shared class embedding (`G_shared`): each `ccbn` maps it through
  an SN-linear; in eval mode that is a fixed per-class table, computed here
  (one power-iteration step from the stored `u0`, as their forward does),
  so a shared-embedding G loads into per-class tables (training it further
  trains the tables, not the shared embedding);
* the discriminator's projection embedding, also in unconditional models.

A state dict that does not fit (missing or extra keys, other shapes,
another architecture) raises a `ValueError` that names the keys.

Example:

>>> from nda_tf.io import pth
>>> state = pth.load_state_dict("G_ema_best1.pth")  # doctest: +SKIP
>>> generator = convert_generator(state)  # doctest: +SKIP

Their training-state file (`state_dict_*.pth`) holds counters, not weights:

>>> convert_generator({"itr": 5000, "epoch": 6})
Traceback (most recent call last):
ValueError: not a BigGAN generator state dict: expected a mapping of names \
to arrays, received dict with keys ['epoch', 'itr']

Reference: Brock et al., "Large Scale GAN Training for High Fidelity
Natural Image Synthesis", ICLR 2019; Sinha et al., "Negative Data
Augmentation", ICLR 2021.
"""

import re

import numpy as np

from nda_tf.models import biggan

_G_BLOCKS = {len(w) - 1: r for r, w in biggan.G_WIDTHS.items()}
_D_BLOCKS = {len(w): r for r, w in biggan.D_WIDTHS.items()}


def _blocks(state):
    """{block index: set of sub-module indices} of `blocks.I.J.` keys."""
    found = {}
    for key in state:
        match = re.match(r"blocks\.(\d+)\.(\d+)\.", key)
        if match:
            i, j = int(match.group(1)), int(match.group(2))
            found.setdefault(i, set()).add(j)
    return found


def _check_state(state, needed, what):
    if not hasattr(state, "items") or not all(
        isinstance(k, str) and isinstance(v, np.ndarray)
        for k, v in state.items()
    ):
        raise ValueError(
            f"not a BigGAN {what} state dict: expected a mapping of names to "
            f"arrays, received {type(state).__name__}"
            + (
                f" with keys {sorted(state)[:5]}"
                if hasattr(state, "keys")
                else ""
            )
        )
    missing = [k for k in needed if k not in state]
    if missing:
        raise ValueError(
            f"not a BigGAN {what} state dict: no {', '.join(missing)} "
            f"(keys start {sorted(state)[:4]})"
        )


def _resolution(count, table, what):
    if count not in table:
        raise ValueError(
            f"{count} {what} blocks: not a BigGAN {what} at "
            f"{', '.join(str(r) for r in table.values())} pixels "
            f"({', '.join(str(n) for n in table)} blocks)"
        )
    return table[count]


def _width_multiplier(width, first, key):
    if width % first:
        raise ValueError(
            f"{key} has {width} channels, not a multiple of {first}: not a "
            "BigGAN-PyTorch architecture"
        )
    return width // first


def generator_architecture(state):
    """Constructor arguments of the `biggan.Generator` a state dict fits.

    Args:
        state: mapping of name to array, an authors' `G.pth` / `G_ema.pth`.

    Returns:
        dict of `resolution`, `ch`, `z_dim`, `num_classes`,
        `attention_resolution` (None or a list).
    """
    _check_state(state, ("linear.weight",), "generator")
    blocks = _blocks(state)
    if "embed.weight" in state or "output_layer.2.weight" not in state:
        raise ValueError(
            "not a BigGAN generator state dict (no output_layer.2.weight"
            + (", has embed.weight: a discriminator's?)" if "embed.weight"
               in state else ")")
        )  # fmt: skip
    resolution = _resolution(len(blocks), _G_BLOCKS, "generator")
    units, z_dim = state["linear.weight"].shape
    seed = units // 16
    ch = _width_multiplier(seed, biggan.G_WIDTHS[resolution][0], "linear")
    if "shared.weight" in state:
        num_classes, shared_dim = state["shared.weight"].shape
        gain = state.get("blocks.0.0.bn1.gain.weight")
        if gain is not None and gain.shape[1] != shared_dim:
            # hier=True feeds [shared(y), a chunk of z] to every ccbn.
            raise ValueError(
                f"blocks.0.0.bn1.gain.weight takes {gain.shape[1]} inputs, "
                f"shared.weight has {shared_dim}: a hierarchical-latent "
                "(hier) generator, which biggan.Generator does not build"
            )
    else:
        num_classes = state["blocks.0.0.bn1.gain.weight"].shape[0]
    attention = [8 * 2**i for i in sorted(blocks) if 1 in blocks[i]]
    return {
        "resolution": resolution,
        "ch": ch,
        "z_dim": int(z_dim),
        "num_classes": int(num_classes),
        "attention_resolution": attention or None,
    }


def discriminator_architecture(state):
    """Constructor arguments of the `biggan.Discriminator` a state dict fits.

    Args:
        state: mapping of name to array, an authors' `D.pth`.

    Returns:
        dict of `resolution`, `ch`, `num_classes`, `attention_resolution`.
    """
    _check_state(
        state,
        ("blocks.0.0.conv1.weight", "linear.weight", "embed.weight"),
        "discriminator",
    )
    blocks = _blocks(state)
    resolution = _resolution(len(blocks), _D_BLOCKS, "discriminator")
    width = state["blocks.0.0.conv1.weight"].shape[0]
    ch = _width_multiplier(
        width, biggan.D_WIDTHS[resolution][0], "blocks.0.0.conv1.weight"
    )
    down = biggan.D_DOWNSAMPLES[resolution]
    sizes = [resolution // 2 ** min(i + 1, down) for i in sorted(blocks)]
    with_attention = [i for i in sorted(blocks) if 1 in blocks[i]]
    attention = sorted({sizes[i] for i in with_attention})
    # Theirs attends after every block of a listed size, ours after the
    # first one only: the same net only if each size has one such block.
    ours = [sizes.index(s) for s in attention]
    if ours != with_attention:
        raise ValueError(
            f"attention after discriminator blocks {with_attention} "
            f"(keys blocks.I.1.*): biggan.Discriminator attends after the "
            f"first block of each size only, blocks {ours}"
        )
    return {
        "resolution": resolution,
        "ch": ch,
        "num_classes": int(state["embed.weight"].shape[0]),
        "attention_resolution": attention or None,
    }


class _Keys:
    """Takes arrays out of a state dict by name, checking their shapes, and
    reports every missing, misshapen and unused key at the end."""

    def __init__(self, state, what):
        self.state, self.what = dict(state), what
        self.missing, self.bad = [], []

    def take(self, key, shape):
        if key not in self.state:
            self.missing.append(key)
            return np.zeros(shape, "float32")
        value = np.asarray(self.state.pop(key), "float32")
        if value.shape != tuple(shape):
            self.bad.append(f"{key} {value.shape} (expected {tuple(shape)})")
            return np.zeros(shape, "float32")
        return value

    def finish(self):
        def listed(items, limit=6):
            more = len(items) - limit
            return ", ".join(items[:limit]) + (
                f" and {more} more" if more > 0 else ""
            )

        problems = []
        if self.missing:
            problems.append("missing " + listed(self.missing))
        if self.bad:
            problems.append("wrong shape " + listed(self.bad))
        if self.state:
            problems.append("unexpected " + listed(sorted(self.state)))
        if problems:
            raise ValueError(
                f"the {self.what} state dict does not fit this BigGAN: "
                + "; ".join(problems)
            )


def _sn(keys, prefix, layer, kernel_from_torch, torch_shape):
    """An SN layer: kernel, bias (if any), u0; sv0 is only a record."""
    weight = keys.take(prefix + "weight", torch_shape)
    layer.kernel.assign(kernel_from_torch(weight))
    if getattr(layer, "use_bias", False):
        layer.bias.assign(keys.take(prefix + "bias", torch_shape[:1]))
    layer.sn_u.assign(keys.take(prefix + "u0", (1, torch_shape[0])))
    keys.take(prefix + "sv0", (1,))


def _conv(keys, prefix, layer):
    kh, kw, cin, cout = layer.kernel.shape
    _sn(
        keys,
        prefix,
        layer,
        lambda w: w.transpose(2, 3, 1, 0),
        (cout, cin, kh, kw),
    )


def _dense(keys, prefix, layer):
    cin, cout = layer.kernel.shape
    _sn(keys, prefix, layer, lambda w: w.T, (cout, cin))


def _sn_matrix(weight, u, eps=1e-12):
    """`weight / sigma` after their one power-iteration step from `u`."""
    w = weight.astype("float64")
    v = u.astype("float64") @ w
    v /= max(np.linalg.norm(v), eps)
    u = v @ w.T
    u /= max(np.linalg.norm(u), eps)
    sigma = (v @ w.T @ u.T).item()
    return weight / sigma


def _class_tables(keys, prefix, state, classes, width):
    """Per-class (gain, bias) tables of one `ccbn`, shared or not."""
    if "shared.weight" not in state:
        return tuple(
            keys.take(f"{prefix}{part}.weight", (classes, width))
            for part in ("gain", "bias")
        )
    shared = np.asarray(state["shared.weight"], "float32")
    tables = []
    for part in ("gain", "bias"):
        weight = keys.take(f"{prefix}{part}.weight", (width, shared.shape[1]))
        u = keys.take(f"{prefix}{part}.u0", (1, width))
        keys.take(f"{prefix}{part}.sv0", (1,))
        tables.append((shared @ _sn_matrix(weight, u).T).astype("float32"))
    return tuple(tables)


def _block_bn(keys, prefix, layer, state):
    inner = getattr(layer, "batch_norm", layer)
    width = inner.moving_mean.shape[0]
    classes = 1 if inner is layer else layer.gain.shape[0]
    gain, bias = _class_tables(keys, prefix, state, classes, width)
    inner.moving_mean.assign(keys.take(prefix + "stored_mean", (width,)))
    inner.moving_variance.assign(keys.take(prefix + "stored_var", (width,)))
    if inner is layer:  # one class: an affine BN
        layer.gamma.assign(1.0 + gain[0])
        layer.beta.assign(bias[0])
    else:
        layer.gain.assign(gain)
        layer.bias.assign(bias)


def _attention(keys, prefix, layer):
    for name in ("theta", "phi", "g", "o"):
        _conv(keys, f"{prefix}{name}.", getattr(layer, name))
    layer.gamma.assign(keys.take(prefix + "gamma", ()))


def load_generator(state, generator):
    """Assigns an authors' generator state dict to a `biggan.Generator`.

    Args:
        state: mapping of name to array (`G.pth` or `G_ema.pth`).
        generator: a built `biggan.Generator` of the same architecture
            (`generator_architecture(state)`).

    Raises:
        ValueError: naming every missing, misshapen or unexpected key.
    """
    keys = _Keys(state, "generator")
    keys.state.pop("shared.weight", None)  # folded into the BN tables
    linear = generator.get_layer("linear")
    z_dim, units = linear.kernel.shape
    width = units // 16
    weight = keys.take("linear.weight", (units, z_dim))
    bias = keys.take("linear.bias", (units,))
    u = keys.take("linear.u0", (1, units))
    keys.take("linear.sv0", (1,))
    # Torch reshapes the linear's outputs to [C, 4, 4], we to [4, 4, C]:
    # our output k = (pixel, channel) is their channel * 16 + pixel.
    ours = np.arange(units)
    theirs = (ours % width) * 16 + ours // width
    linear.kernel.assign(weight[theirs].T)
    linear.bias.assign(bias[theirs])
    linear.sn_u.assign(u[:, theirs])
    blocks = len(biggan.G_WIDTHS[generator.resolution]) - 1
    for i in range(blocks):
        ours_prefix, theirs_prefix = f"block{i + 1}_", f"blocks.{i}.0."
        for name in ("bn1", "bn2"):
            layer = generator.get_layer(ours_prefix + name)
            _block_bn(keys, f"{theirs_prefix}{name}.", layer, state)
        for ours_name, theirs_name in (
            ("conv1", "conv1"),
            ("conv2", "conv2"),
            ("shortcut", "conv_sc"),
        ):
            layer = generator.get_layer(ours_prefix + ours_name)
            _conv(keys, f"{theirs_prefix}{theirs_name}.", layer)
        names = [layer.name for layer in generator.layers]
        if ours_prefix + "attention" in names:
            layer = generator.get_layer(ours_prefix + "attention")
            _attention(keys, f"blocks.{i}.1.", layer)
    output_bn = generator.get_layer("output_bn")
    width = output_bn.gamma.shape[0]
    output_bn.gamma.assign(keys.take("output_layer.0.gain", (width,)))
    output_bn.beta.assign(keys.take("output_layer.0.bias", (width,)))
    output_bn.moving_mean.assign(
        keys.take("output_layer.0.stored_mean", (width,))
    )
    output_bn.moving_variance.assign(
        keys.take("output_layer.0.stored_var", (width,))
    )
    _conv(keys, "output_layer.2.", generator.get_layer("output_conv"))
    keys.finish()
    return generator


def load_discriminator(state, discriminator):
    """Assigns an authors' discriminator state dict to a
    `biggan.Discriminator` (see `load_generator`)."""
    keys = _Keys(state, "discriminator")
    names = [layer.name for layer in discriminator.layers]
    blocks = len(biggan.D_WIDTHS[discriminator.resolution])
    for i in range(blocks):
        ours_prefix, theirs_prefix = f"block{i + 1}_", f"blocks.{i}.0."
        for ours_name, theirs_name in (
            ("conv1", "conv1"),
            ("conv2", "conv2"),
            ("shortcut", "conv_sc"),
        ):
            if ours_prefix + ours_name in names:
                layer = discriminator.get_layer(ours_prefix + ours_name)
                _conv(keys, f"{theirs_prefix}{theirs_name}.", layer)
        if ours_prefix + "attention" in names:
            layer = discriminator.get_layer(ours_prefix + "attention")
            _attention(keys, f"blocks.{i}.1.", layer)
    _dense(keys, "linear.", discriminator.get_layer("linear"))
    embedding = discriminator.get_layer("embedding")
    classes, width = embedding.kernel.shape
    embedding.kernel.assign(keys.take("embed.weight", (classes, width)))
    embedding.sn_u.assign(keys.take("embed.u0", (1, classes)))
    keys.take("embed.sv0", (1,))
    keys.finish()
    return discriminator


def convert_generator(state, **kwargs):
    """A `biggan.Generator` built to fit `state`, with its weights.

    Args:
        state: mapping of name to array (`G.pth` or `G_ema.pth`).
        **kwargs: further constructor arguments (`sync_batch_norm`, ...).
    """
    generator = biggan.Generator(**generator_architecture(state), **kwargs)
    return load_generator(state, generator)


def convert_discriminator(state, **kwargs):
    """A `biggan.Discriminator` built to fit `state`, with its weights."""
    architecture = discriminator_architecture(state)
    discriminator = biggan.Discriminator(**architecture, **kwargs)
    return load_discriminator(state, discriminator)
