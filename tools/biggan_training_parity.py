"""BigGAN training steps, ours vs the authors' code, from one init.

Their step is their own function (`train_fns_aug.GAN_training_function`
of ermongroup/NDA, unchanged) fed with prepared draws: the noise and
labels through its `z_` / `y_` and the jigsaw permutations through its
`get_perm`, so that both codes see the same real batches, z, labels and
negatives. Ours is `NDAGAN.train_step` with `d_calls=2` (and, to show the
difference, 1) and the authors' jigsaw layout
(`Jigsaw(reassembly="column_major")`) fed the same permutations. Three
stages, two Python environments (theirs needs torch, ours TensorFlow);
every file goes to --work:

    # 1. ours (TF venv): real images, every step's z, labels, permutations
    python tools/biggan_training_parity.py prepare \
        --images=FOLDER_OF_JPEGS --work=/tmp/parity
    # 2. theirs (torch venv, their checkout on the path): a random N02
    #    init saved as G.pth / D.pth, then their steps on the inputs
    /tmp/torchvenv/bin/python tools/biggan_training_parity.py theirs \
        --authors=/tmp/nda_authors --work=/tmp/parity
    # 3. ours (TF venv): the init converted by nda_tf.models.biggan_import,
    #    the same steps; prints the comparison table
    python tools/biggan_training_parity.py ours --work=/tmp/parity

`--classes=10` (all three stages) gives the conditional nets; `--lam`,
`--ch`, `--batch`, `--d_steps`, `--iterations` and `--dim_z` (prepare and
theirs) set the run. `theirs` also saves both nets after every iteration
(`G_after_<i>.pth`, `D_after_<i>.pth`), which `ours` compares;
`theirs --float64` runs their steps again in float64 and `ours
--perturb=1e-6` ours from a slightly moved init, which show how far
float32 rounding alone carries each code. The CI fixture
(tests/fixtures/biggan_training/) is the work folder of a small run of
`prepare` and `theirs` (`tests/gan/test_training_parity.py` replays it).
"""

import argparse
import itertools
import json
import os
import sys

import numpy as np

# The D loss's parts: mean relu(1 - D(x)), relu(1 + D(G(z))), relu(1 +
# D(nda(x))), before their weights 1, lam and 1 - lam.
_PARTS = ("real", "fake", "nda")


def _settings(work):
    with open(os.path.join(work, "settings.json")) as file:
        return json.load(file)


def prepare(args):
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(os.path.join(args.images, "*", "*.jpg")))
    steps = args.iterations * args.d_steps
    needed = steps * args.batch
    if len(files) < needed:
        raise SystemExit(f"need {needed} images under {args.images}")
    rng = np.random.default_rng(0)
    chosen = rng.permutation(len(files))[:needed]
    images = np.stack(
        [tf.io.decode_jpeg(tf.io.read_file(files[i])).numpy() for i in chosen]
    )
    classes = sorted({os.path.basename(os.path.dirname(f)) for f in files})
    labels = np.array(
        [classes.index(os.path.basename(os.path.dirname(files[i])))
         for i in chosen]
    )  # fmt: skip
    shape = (args.iterations, args.d_steps, args.batch)
    # Their get_perm draws until the permutation is not the identity: a
    # uniform draw from the 23 others.
    layouts = [p for p in itertools.permutations(range(4)) if p != (0, 1, 2, 3)]
    permutations = np.array(layouts)[rng.integers(0, 23, shape)]
    latent_shape = (args.iterations, args.d_steps + 1, args.batch)
    os.makedirs(args.work, exist_ok=True)
    np.savez_compressed(
        os.path.join(args.work, "inputs.npz"),
        # uint8 pixels: both codes scale them to [-1, 1] the same way.
        images=images.reshape(*shape, 32, 32, 3),
        labels=labels.reshape(shape),
        z=rng.normal(size=(*latent_shape, args.dim_z)).astype("float32"),
        fake_labels=rng.integers(0, args.classes, latent_shape),
        permutations=permutations,
    )
    settings = {
        k: getattr(args, k)
        for k in ("iterations", "d_steps", "batch", "ch", "dim_z", "lam")
    }
    settings["classes"] = args.classes
    with open(os.path.join(args.work, "settings.json"), "w") as file:
        json.dump(settings, file, indent=1)


def scaled(images):
    """uint8 pixels -> [-1, 1], as both codes' loaders do (x / 127.5 - 1
    equals their ToTensor + Normalize(0.5, 0.5) to float32 rounding)."""
    return images.astype("float32") / 127.5 - 1.0


def theirs(args):
    sys.path.insert(0, os.path.abspath(args.authors))
    import BigGAN_new as model
    import losses
    import torch
    import train_fns_aug

    s = _settings(args.work)
    inputs = np.load(os.path.join(args.work, "inputs.npz"))
    torch.manual_seed(0)
    kwargs = {"resolution": 32, "n_classes": s["classes"], "G_lr": 2e-4}
    # G_shared=False: their CIFAR scripts do not pass --G_shared (the
    # constructor's default is True).
    G = model.Generator(
        G_ch=s["ch"], dim_z=s["dim_z"], G_attn="0", G_init="N02",
        G_shared=False, **kwargs,
    )  # fmt: skip
    D = model.Discriminator(D_ch=s["ch"], D_attn="0", D_init="N02", **kwargs)
    if args.float64:
        # The same init (saved by the float32 run), every step in float64:
        # how far float32 rounding alone carries their own run.
        G.load_state_dict(torch.load(os.path.join(args.work, "G.pth")))
        D.load_state_dict(torch.load(os.path.join(args.work, "D.pth")))
        G.double()
        D.double()
        torch.set_default_dtype(torch.float64)
    else:
        torch.save(G.state_dict(), os.path.join(args.work, "G.pth"))
        torch.save(D.state_dict(), os.path.join(args.work, "D.pth"))
    conditional = s["classes"] > 1
    GD = model.G_D(G, D, conditional)
    z_, y_ = _fed_latents(torch, inputs, s)
    permutations = iter(inputs["permutations"].reshape(-1, 4))
    train_fns_aug.get_perm = lambda size: torch.from_numpy(
        next(permutations).copy()
    )
    steps = []

    def recording_loss(dis_fake, dis_real, dis_real_fake):
        parts = _hinge(dis_fake, dis_real, dis_real_fake)
        steps.append(
            {k: float(v.item()) for k, v in zip(_PARTS, parts, strict=True)}
        )
        return parts

    _hinge = losses.loss_hinge_dis_new
    losses.loss_hinge_dis_new = recording_loss
    config = {
        "loss_type": "hinge", "batch_size": s["batch"], "toggle_grads": True,
        "num_D_steps": s["d_steps"], "num_D_accumulations": 1,
        "conditional": conditional, "split_D": False,
        "curriculum_baseline": False, "alpha": s["lam"],
        "beta": 1.0 - s["lam"], "D_ortho": 0.0, "num_G_accumulations": 1,
        "G_ortho": 0.0, "ema": False,
    }  # fmt: skip
    train = train_fns_aug.GAN_training_function(
        G, D, GD, z_, y_, None, {"itr": 0, "epoch": 0}, config
    )
    G.train()
    D.train()
    for it in range(s["iterations"]):
        x = torch.from_numpy(
            scaled(inputs["images"][it]).reshape(-1, 32, 32, 3)
        ).permute(0, 3, 1, 2)
        y = torch.from_numpy(inputs["labels"][it].reshape(-1)).long()
        x = x.contiguous().to(torch.get_default_dtype())
        metrics = train(x, y if conditional else y * 0)
        steps[-1]["g"] = metrics["G_loss"]
        if args.float64:
            continue
        for net, name in ((G, "G"), (D, "D")):
            path = os.path.join(args.work, f"{name}_after_{it + 1}.pth")
            torch.save(net.state_dict(), path)
    name = "theirs_float64.json" if args.float64 else "theirs.json"
    with open(os.path.join(args.work, name), "w") as file:
        json.dump(steps, file, indent=1)


def _fed_latents(torch, inputs, s):
    """Their `z_` and `y_`, whose `sample_()` copies in the prepared draws
    in the order their step asks for them (each D step, then G)."""
    z_ = torch.zeros(s["batch"], s["dim_z"], dtype=torch.get_default_dtype())
    y_ = torch.zeros(s["batch"], dtype=torch.long)
    zs = iter(inputs["z"].reshape(-1, s["batch"], s["dim_z"]))
    ys = iter(inputs["fake_labels"].reshape(-1, s["batch"]))
    z_.sample_ = lambda: z_.copy_(torch.from_numpy(next(zs)).to(z_.dtype))
    if s["classes"] > 1:
        y_.sample_ = lambda: y_.copy_(torch.from_numpy(next(ys)))
    else:
        # Unconditional: they sample y_ in the G step, then zero it.
        y_.sample_ = lambda: y_
    return z_, y_


def run_ours(work, d_calls, adam="keras", perturb=0.0, perturb_seed=0):
    """Our steps on the prepared inputs; returns (losses, gan, weights
    after each iteration). `adam="torch"`: Adam with torch's epsilon;
    `perturb`: every initial weight times (1 + perturb * N(0, 1))."""
    import keras
    import tensorflow as tf

    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    from nda_tf.gan.nda_gan import NDAGAN
    from nda_tf.io import pth
    from nda_tf.models import biggan_import
    from nda_tf.transforms import Jigsaw

    s = _settings(work)
    inputs = np.load(os.path.join(work, "inputs.npz"))
    generator = biggan_import.convert_generator(
        pth.load_state_dict(os.path.join(work, "G.pth"))
    )
    discriminator = biggan_import.convert_discriminator(
        pth.load_state_dict(os.path.join(work, "D.pth"))
    )
    if perturb:
        rng = np.random.default_rng(perturb_seed)
        for weight in generator.weights + discriminator.weights:
            value = np.asarray(weight)
            noise = 1 + perturb * rng.standard_normal(value.shape)
            weight.assign((value * noise).astype(value.dtype))
    gan = NDAGAN(
        generator,
        discriminator,
        nda=Jigsaw(reassembly="column_major"),
        lam=s["lam"],
        d_steps=s["d_steps"],
        z_dim=s["dim_z"],
        num_classes=s["classes"],
        d_calls=d_calls,
    )

    kind = _torch_adam(keras) if adam == "torch" else keras.optimizers.Adam
    gan.compile(
        d_optimizer=kind(2e-4, beta_1=0.0, beta_2=0.999),
        g_optimizer=kind(2e-4, beta_1=0.0, beta_2=0.999),
    )
    conditional = s["classes"] > 1
    zs = iter(inputs["z"].reshape(-1, s["batch"], s["dim_z"]))
    fake_labels = iter(inputs["fake_labels"].reshape(-1, s["batch"]))
    # Their draws, in the order our step asks: z and labels per D step,
    # then for G; the permutations per D step.
    gan.sample_latents = lambda size, seed: (
        tf.constant(next(zs)),
        tf.constant(next(fake_labels) * conditional, tf.int32),
    )
    permutations = iter(inputs["permutations"].reshape(-1, s["batch"], 4))
    gan._negatives = lambda images: gan.nda.transform_images(
        images, {"permutation": tf.constant(next(permutations), tf.int32)}
    )
    steps = []

    def record(loss, parts, nda_logits):
        terms = (1 - parts[0], 1 + parts[1], 1 + nda_logits)
        steps.append(
            {
                name: float(tf.reduce_mean(tf.nn.relu(term)))
                for name, term in zip(_PARTS, terms, strict=True)
            }
        )

    gan._record_discriminator = record
    weights = []
    for it in range(s["iterations"]):
        gan.trackers["g_loss"].reset_state()
        images = scaled(inputs["images"][it]).reshape(-1, 32, 32, 3)
        labels = inputs["labels"][it].reshape(-1) * conditional
        gan.train_step((tf.constant(images), tf.constant(labels, tf.int32)))
        steps[-1]["g"] = float(gan.trackers["g_loss"].result())
        weights.append(
            {
                name: [np.asarray(w) for w in net.weights]
                for name, net in (
                    ("G", gan.generator),
                    ("D", gan.discriminator),
                )
            }
        )
    return steps, gan, weights


def _torch_adam(keras):
    """Keras' Adam with torch's epsilon: added to the bias-corrected root
    of v (Keras adds it to the uncorrected one)."""
    from keras import ops

    class TorchAdam(keras.optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            lr = ops.cast(learning_rate, variable.dtype)
            gradient = ops.cast(gradient, variable.dtype)
            step = ops.cast(self.iterations + 1, variable.dtype)
            correction_1 = 1 - ops.power(self.beta_1, step)
            correction_2 = 1 - ops.power(self.beta_2, step)
            index = self._get_variable_index(variable)
            m, v = self._momentums[index], self._velocities[index]
            self.assign_add(m, (gradient - m) * (1 - self.beta_1))
            self.assign_add(v, (ops.square(gradient) - v) * (1 - self.beta_2))
            denominator = ops.sqrt(v) / ops.sqrt(correction_2) + self.epsilon
            self.assign_sub(variable, lr / correction_1 * m / denominator)

    return TorchAdam


def their_weights(work, iteration, gan):
    """Their nets after `iteration`, converted, in `gan`'s weight order."""
    from nda_tf.io import pth
    from nda_tf.models import biggan_import

    found = {}
    for name, convert in (
        ("G", biggan_import.convert_generator),
        ("D", biggan_import.convert_discriminator),
    ):
        path = os.path.join(work, f"{name}_after_{iteration}.pth")
        found[name] = [
            np.asarray(w) for w in convert(pth.load_state_dict(path)).weights
        ]
    return found


def ours(args):
    with open(os.path.join(args.work, "theirs.json")) as file:
        reference = json.load(file)
    path = os.path.join(args.work, "theirs_float64.json")
    exact = json.load(open(path)) if os.path.exists(path) else None
    runs = {d: run_ours(args.work, d, args.adam) for d in (2, 1)}
    others = {f"ours, d_calls={d}": runs[d][0] for d in (2, 1)}
    if exact:
        others["theirs in float64"] = exact
    if args.perturb:
        nudged = run_ours(
            args.work, 2, args.adam, args.perturb, args.perturb_seed
        )[0]
        others[f"ours, d_calls=2, init x (1 + {args.perturb:g} N)"] = nudged
    print(f"| D step | loss | theirs | {' | '.join(others)} |")
    print("|" + " --- |" * (len(others) + 3))
    for i, step in enumerate(reference):
        for key in ("real", "fake", "nda", "g"):
            if key in step:
                values = [step[key]] + [o[i][key] for o in others.values()]
                row = " | ".join(f"{v:.6f}" for v in values)
                print(f"| {i + 1} | {key} | {row} |")
    for name, steps in others.items():
        differences = [
            abs(step[key] - reference[i][key])
            for i, step in enumerate(steps)
            for key in step
        ]
        print(f"max |{name} - theirs| over every loss: {max(differences):.3g}")
    s = _settings(args.work)
    _, gan, weights = runs[2]
    for it in range(s["iterations"]):
        theirs_now = their_weights(args.work, it + 1, gan)
        for name in ("G", "D"):
            pairs = zip(weights[it][name], theirs_now[name], strict=True)
            worst = max(float(np.max(np.abs(a - b))) for a, b in pairs)
            print(
                f"{name} after iteration {it + 1}: max |ours - theirs| "
                f"{worst:.3g}"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=("prepare", "theirs", "ours"))
    parser.add_argument("--work", required=True)
    parser.add_argument("--images", help="prepare: a folder of class folders")
    parser.add_argument("--authors", help="theirs: their checkout")
    parser.add_argument("--classes", type=int, default=1, help="1 or 10")
    parser.add_argument("--lam", type=float, default=0.25)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--d_steps", type=int, default=4)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--ch", type=int, default=16)
    parser.add_argument("--dim_z", type=int, default=128)
    parser.add_argument(
        "--adam",
        choices=("keras", "torch"),
        default="keras",
        help="ours: Keras' Adam, or one with torch's epsilon placement",
    )
    parser.add_argument(
        "--perturb",
        type=float,
        default=0.0,
        help="ours: also a run from the init times (1 + PERTURB * N(0, 1)), "
        "to see how far float-level differences carry",
    )
    parser.add_argument("--perturb_seed", type=int, default=0)
    parser.add_argument(
        "--float64",
        action="store_true",
        help="theirs: run their steps again in float64 (after the float32 "
        "run, from its init)",
    )
    args = parser.parse_args()
    {"prepare": prepare, "theirs": theirs, "ours": ours}[args.stage](args)


if __name__ == "__main__":
    main()
