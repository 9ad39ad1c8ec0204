"""Writes the BigGAN forward-parity fixture from the authors' own code.

The fixture (tests/fixtures/biggan_authors/) holds, for a small width and
random weights, the authors' BigGAN state dicts as `torch.save` writes them
and what their modules compute in eval mode on fixed inputs; the test
`tests/models/test_biggan_import.py` converts the state dicts and compares.
Their code is not part of this project: fetch it into a temporary folder.

Regenerate (PyTorch 2.13 CPU in its own venv; their repository anywhere):

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy
    git clone https://github.com/ermongroup/NDA /tmp/nda_authors
    /tmp/torchvenv/bin/python tools/make_biggan_fixture.py \
        --authors=/tmp/nda_authors --out=tests/fixtures/biggan_authors

Cases: "uncond" (one class, y = 0 everywhere, as their C10U runs) and
"cond" (10 classes), each with G, G_ema (a second random generator: the
same architecture, other weights; saved in torch's legacy format, the
one of the published checkpoints) and D; "shared" is a conditional G with
BigGAN's shared class embedding (`G_shared`), which the converter folds
into per-class tables. Width ch=2, z of 16, 32x32 images, 2 inputs.
"""

import argparse
import importlib
import os
import sys

import numpy as np

CH, DIM_Z, CLASSES, BATCH = 2, 16, 10, 2


def _randomize(module, torch, scale):
    """Every parameter and buffer random, so each one matters in the test.

    Conv/linear weights are rescaled by spectral norm anyway; BN running
    statistics get non-trivial means and positive variances; class tables
    (ccbn gains and biases, the projection embedding) noticeable values.
    """
    for name, tensor in module.state_dict().items():
        if name.endswith("stored_var"):
            tensor.copy_(torch.rand_like(tensor) * 1.5 + 0.5)
        elif name.endswith("stored_mean"):
            tensor.copy_(torch.randn_like(tensor) * 0.5)
        elif name.endswith(".u0"):
            tensor.copy_(torch.randn_like(tensor))
        elif name.endswith(".sv0"):
            tensor.fill_(1.0)
        elif tensor.is_floating_point():
            tensor.copy_(torch.randn_like(tensor) * scale)


def _generator(model, torch, classes, shared):
    return model.Generator(
        G_ch=CH,
        dim_z=DIM_Z,
        resolution=32,
        G_attn="0",
        n_classes=classes,
        G_shared=shared,
        shared_dim=8 if shared else 0,
        G_init="N02",
        no_optim=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors", required=True, help="their checkout")
    parser.add_argument("--out", required=True, help="fixture folder")
    parser.add_argument("--model", default="BigGAN_new", help="their module")
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.authors))
    import torch

    model = importlib.import_module(args.model)
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(BATCH, DIM_Z)).astype("float32")
    labels = np.array([3, 9], dtype="int64")
    images = rng.uniform(-1, 1, size=(BATCH, 32, 32, 3)).astype("float32")
    arrays = {"z": z, "labels": labels, "images": images}
    nchw = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    cases = {"uncond": (1, False), "cond": (CLASSES, False)}
    cases["shared"] = (CLASSES, True)
    for case, (classes, shared) in cases.items():
        y = torch.from_numpy(labels if classes > 1 else 0 * labels)
        names = ("G",) if shared else ("G", "G_ema", "D")
        for name in names:
            if name == "D":
                net = model.Discriminator(
                    D_ch=CH, resolution=32, D_attn="0", n_classes=classes,
                    D_init="N02",
                )  # fmt: skip
            else:
                net = _generator(model, torch, classes, shared)
            with torch.no_grad():
                _randomize(net, torch, 0.3)
            net.eval()
            path = os.path.join(args.out, f"{case}_{name}.pth")
            # The published checkpoints use the legacy (pre-1.6) format:
            # the G_ema files do too, so both readers are tested.
            legacy = {"_use_new_zipfile_serialization": name != "G_ema"}
            torch.save(net.state_dict(), path, **legacy)
            with torch.no_grad():
                if name == "D":
                    out = net(nchw, y).numpy()
                else:
                    out = net(torch.from_numpy(z), net.shared(y)).numpy()
                    out = out.transpose(0, 2, 3, 1)
            arrays[f"{case}_{name}"] = out
    arrays["torch_version"] = np.array(torch.__version__)
    np.savez_compressed(os.path.join(args.out, "outputs.npz"), **arrays)
    for name in sorted(os.listdir(args.out)):
        size = os.path.getsize(os.path.join(args.out, name))
        print(f"{name}: {size} bytes")


if __name__ == "__main__":
    main()
