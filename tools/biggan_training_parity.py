"""A few BigGAN training steps, ours vs the authors' code, from one init.

Three stages, two Python environments (theirs needs torch, ours
TensorFlow); all files go to --work:

    # 1. ours (TF venv): real images, and every step's z and labels
    python tools/biggan_training_parity.py prepare \
        --images=FOLDER_OF_JPEGS --work=/tmp/parity
    # 2. theirs (torch venv, their checkout on the path): random N02 init
    #    saved as G.pth / D.pth, then their steps on the same inputs
    /tmp/torchvenv/bin/python tools/biggan_training_parity.py theirs \
        --authors=/tmp/nda_authors --work=/tmp/parity
    # 3. ours (TF venv): the init converted by nda_tf.models.biggan_import,
    #    NDAGAN.train_step on the same inputs; prints the comparison
    python tools/biggan_training_parity.py ours --work=/tmp/parity

Add `--classes=10` to the last two for the conditional nets (real labels
from the class folders, fake labels drawn in `prepare`).

Their step is transcribed from `train_fns_aug.GAN_training_function` (the
module itself imports torchvision, h5py and tqdm, which this comparison
does not need) with lam = 1 (their alpha = 1, beta = 0): per D step, G's
images under no_grad, one D call on [fakes, reals], a second D call on the
negatives (weight 0 in the loss, but the call advances D's spectral-norm
vectors in training mode, so it is kept, on the reals: its input does not
matter), Adam; then one G step. `theirs` also runs once without that
second call (`theirs_one_pass`), which isolates its effect. The EMA is
left out: it does not enter the losses.
"""

import argparse
import json
import os
import sys

import numpy as np

ITERATIONS, D_STEPS, BATCH, CH, DIM_Z = 5, 4, 16, 16, 128


def prepare(args):
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(os.path.join(args.images, "*", "*.jpg")))
    needed = ITERATIONS * D_STEPS * BATCH
    if len(files) < needed:
        raise SystemExit(f"need {needed} images under {args.images}")
    rng = np.random.default_rng(0)
    chosen = rng.permutation(len(files))[:needed]
    images = np.stack(
        [tf.io.decode_jpeg(tf.io.read_file(files[i])).numpy() for i in chosen]
    )
    images = images.astype("float32") / 127.5 - 1.0
    classes = sorted({os.path.basename(os.path.dirname(f)) for f in files})
    labels = np.array(
        [classes.index(os.path.basename(os.path.dirname(files[i])))
         for i in chosen]
    )  # fmt: skip
    os.makedirs(args.work, exist_ok=True)
    np.savez(
        os.path.join(args.work, "inputs.npz"),
        images=images.reshape(ITERATIONS, D_STEPS, BATCH, 32, 32, 3),
        labels=labels.reshape(ITERATIONS, D_STEPS, BATCH),
        # z first: the unconditional record in experiments/RESULTS.md was
        # measured before fake labels were drawn here.
        z=rng.normal(size=(ITERATIONS, D_STEPS + 1, BATCH, DIM_Z)).astype(
            "float32"
        ),
        fake_labels=rng.integers(
            0, len(classes), (ITERATIONS, D_STEPS + 1, BATCH)
        ),
    )


def theirs(args):
    sys.path.insert(0, os.path.abspath(args.authors))
    import BigGAN_new as model
    import losses
    import torch

    inputs = np.load(os.path.join(args.work, "inputs.npz"))
    results = {}
    for second_pass in (True, False):
        torch.manual_seed(0)
        kwargs = {"resolution": 32, "n_classes": args.classes, "G_lr": 2e-4}
        # G_shared=False: their CIFAR scripts do not pass --G_shared (the
        # constructor's default is True).
        G = model.Generator(
            G_ch=CH, dim_z=DIM_Z, G_attn="0", G_init="N02", G_shared=False,
            **kwargs,
        )  # fmt: skip
        D = model.Discriminator(D_ch=CH, D_attn="0", D_init="N02", **kwargs)
        if second_pass:
            torch.save(G.state_dict(), os.path.join(args.work, "G.pth"))
            torch.save(D.state_dict(), os.path.join(args.work, "D.pth"))
        else:
            G.load_state_dict(torch.load(os.path.join(args.work, "G.pth")))
            D.load_state_dict(torch.load(os.path.join(args.work, "D.pth")))
        G.train()
        D.train()
        steps = []

        def labels(key, it, d):
            if args.classes == 1:
                return torch.zeros(BATCH, dtype=torch.long)
            return torch.from_numpy(inputs[key][it, d]).long()

        for it in range(ITERATIONS):
            for p in D.parameters():
                p.requires_grad_(True)
            for p in G.parameters():
                p.requires_grad_(False)
            for d in range(D_STEPS):
                D.optim.zero_grad()
                x = torch.from_numpy(
                    inputs["images"][it, d].transpose(0, 3, 1, 2).copy()
                )
                z = torch.from_numpy(inputs["z"][it, d])
                y, y_real = (
                    labels("fake_labels", it, d),
                    labels("labels", it, d),
                )
                with torch.no_grad():
                    fakes = G(z, G.shared(y))
                out = D(torch.cat([fakes, x], 0), torch.cat([y, y_real], 0))
                d_fake, d_real = torch.split(out, [BATCH, BATCH])
                negatives = D(x, y_real) if second_pass else d_real
                real, fake, nda = losses.loss_hinge_dis_new(
                    d_fake, d_real, negatives
                )
                loss = real + 1.0 * fake + 0.0 * nda
                loss.backward()
                D.optim.step()
                steps.append({"d_real": real.item(), "d_fake": fake.item()})
            for p in D.parameters():
                p.requires_grad_(False)
            for p in G.parameters():
                p.requires_grad_(True)
            G.optim.zero_grad()
            z = torch.from_numpy(inputs["z"][it, D_STEPS])
            y = labels("fake_labels", it, D_STEPS)
            g_loss = losses.loss_hinge_gen(D(G(z, G.shared(y)), y))
            g_loss.backward()
            G.optim.step()
            steps[-1]["g"] = g_loss.item()
            if it == 0 and not second_pass:
                # Weights after one whole iteration, for `ours` to compare.
                for net, name in ((G, "G"), (D, "D")):
                    path = os.path.join(args.work, f"{name}_after_1.pth")
                    torch.save(net.state_dict(), path)
        name = "theirs" if second_pass else "theirs_one_pass"
        results[name] = steps
    with open(os.path.join(args.work, "theirs.json"), "w") as file:
        json.dump(results, file, indent=1)


def ours(args):
    import keras
    import tensorflow as tf

    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    from nda_tf.eval import pth
    from nda_tf.gan.nda_gan import NDAGAN
    from nda_tf.models import biggan_import

    inputs = np.load(os.path.join(args.work, "inputs.npz"))
    generator = biggan_import.convert_generator(
        pth.load_state_dict(os.path.join(args.work, "G.pth"))
    )
    discriminator = biggan_import.convert_discriminator(
        pth.load_state_dict(os.path.join(args.work, "D.pth"))
    )
    gan = NDAGAN(
        generator,
        discriminator,
        lam=1.0,
        d_steps=D_STEPS,
        z_dim=DIM_Z,
        num_classes=args.classes,
    )

    def adam():
        return keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.999)

    gan.compile(d_optimizer=adam(), g_optimizer=adam())
    zs = iter(inputs["z"].reshape(-1, BATCH, DIM_Z))
    fake_labels = iter(inputs["fake_labels"].reshape(-1, BATCH))
    # Feed their draws: our step asks for z once per D step, then for G.
    gan.sample_latents = lambda size, seed: (
        tf.constant(next(zs)),
        tf.constant(next(fake_labels) * (args.classes > 1), tf.int32),
    )
    steps = []

    def record(loss, parts, nda_logits):
        steps.append(
            {
                "d_real": float(tf.reduce_mean(tf.nn.relu(1 - parts[0]))),
                "d_fake": float(tf.reduce_mean(tf.nn.relu(1 + parts[1]))),
            }
        )

    gan._record_discriminator = record
    for it in range(ITERATIONS):
        gan.trackers["g_loss"].reset_state()
        images = inputs["images"][it].reshape(-1, 32, 32, 3)
        labels = inputs["labels"][it].reshape(-1) * (args.classes > 1)
        gan.train_step((tf.constant(images), tf.constant(labels, tf.int32)))
        steps[-1]["g"] = float(gan.trackers["g_loss"].result())
        if it == 0:
            _compare_weights(args, gan, pth, biggan_import)
    with open(os.path.join(args.work, "theirs.json")) as file:
        reference = json.load(file)
    print("| D step | loss | ours | theirs | theirs, one D pass |")
    print("| --- | --- | --- | --- | --- |")
    for i, step in enumerate(steps):
        for key in ("d_real", "d_fake", "g"):
            if key in step:
                a = reference["theirs"][i][key]
                b = reference["theirs_one_pass"][i][key]
                print(
                    f"| {i + 1} | {key} | {step[key]:.6f} | {a:.6f} | {b:.6f} |"
                )
    worst = {
        name: max(
            abs(step[key] - reference[name][i][key])
            for i, step in enumerate(steps)
            for key in step
        )
        for name in reference
    }
    print("max |ours - theirs|:", json.dumps(worst))


def _compare_weights(args, gan, pth, biggan_import):
    """Ours after one iteration vs their one-pass weights, converted."""
    for name, ours_net, convert in (
        ("G", gan.generator, biggan_import.convert_generator),
        ("D", gan.discriminator, biggan_import.convert_discriminator),
    ):
        path = os.path.join(args.work, f"{name}_after_1.pth")
        theirs_net = convert(pth.load_state_dict(path))
        trainable, state = [], []
        for a, b in zip(ours_net.weights, theirs_net.weights, strict=True):
            difference = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            kind = trainable if a.trainable else state
            kind.append((difference, a.path))
        print(
            f"{name} after 1 iteration, max |ours - theirs one-pass|: "
            f"trainable {max(trainable)}, other (SN u, BN statistics) "
            f"{max(state)}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=("prepare", "theirs", "ours"))
    parser.add_argument("--work", required=True)
    parser.add_argument("--images", help="prepare: a folder of class folders")
    parser.add_argument("--authors", help="theirs: their checkout")
    parser.add_argument(
        "--classes", type=int, default=1, help="1 or 10 (conditional)"
    )
    args = parser.parse_args()
    {"prepare": prepare, "theirs": theirs, "ours": ours}[args.stage](args)


if __name__ == "__main__":
    main()
