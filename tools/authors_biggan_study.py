"""The authors' BigGAN training on this machine's CIFAR-10 split (issue 24).

Runs their own training loop (ermongroup/NDA, `train_aug.py`) beside ours
on the same images, and turns their checkpoints into run directories that
`nda_tf.experiments.real_study` scores exactly as ours. Their code is not
part of this project: `code` copies a checkout of it (fetched anywhere,
e.g. a temporary folder) and makes only the changes listed in `CHANGES`
(running on a CPU, reading the split, loading their own checkpoints with
current torch); nothing of it is committed.

    # 1. their code, changed for the CPU (any Python)
    python tools/authors_biggan_study.py code --authors=/tmp/nda_authors \
        --out=/tmp/authors_cpu
    # 2. the split's training part as CIFAR-10 batches (TF venv: decodes
    #    the JPEGs with TensorFlow, as our folder source does)
    python tools/authors_biggan_study.py data --split=STUDY/data \
        --out=STUDY/authors_data
    # 3. one of their runs (torch venv)
    /tmp/torchvenv/bin/python tools/authors_biggan_study.py train \
        --code=/tmp/authors_cpu --data=STUDY/authors_data \
        --out=STUDY/authors/jigsaw_s0 --lam=0.25 --seed=0 --steps=6000
    # 4. their saved copies as one run directory (TF venv)
    python tools/authors_biggan_study.py convert \
        --run=STUDY/authors/jigsaw_s0 --split=STUDY/data \
        --out=STUDY/runs/authors_jigsaw_s0
    # a scored run's generators with moving and with batch statistics
    python tools/authors_biggan_study.py sampling \
        --run=STUDY/runs/authors_jigsaw_s0 --at=2000,5000 \
        --split=STUDY/data --out=sampling.json

The settings shared with our runs (width, batch, D steps, EMA) are
`SETTINGS`; `experiments/authors_study/cifar10.sh` runs the whole study.
"""

import argparse
import json
import os
import pickle
import pickletools
import shutil
import subprocess
import sys
import time

import numpy as np

# What both codes train with (their flag: value); every run of the study
# uses these, with --alpha / --beta from lam and --seed per run.
SETTINGS = {
    "G_ch": 16,
    "D_ch": 16,
    "batch_size": 16,
    "num_D_steps": 2,
    "G_lr": 2e-4,
    "D_lr": 2e-4,
    "ema_decay": 0.999,
    "ema_start": 1000,
}
# Saved copies kept per run (their --num_save_copies): one per save.
COPIES = 20
# A G_ema file unchanged this long is taken as written in full: torch.save
# writes a file in one go, with no pause this long before it ends.
SETTLE_SECONDS = 5

# (file, text in their code, replacement, why). Each text must occur.
CHANGES = (
    ("train_aug.py", "device = 'cuda'", "device = 'cpu'", "no GPU here"),
    (
        "train_aug.py",
        "get_inception_metrics = inception_utils.prepare_inception_metrics(",
        "get_inception_metrics = None and (",
        "their FID needs Inception weights from the network and their "
        "CIFAR-10 moments; the study never runs it (--test_every beyond "
        "the run) and scores every checkpoint with our code instead",
    ),
    ("utils.py", "'cuda'", "'cpu'", "no GPU here (sample sheets, z and y)"),
    (
        "utils.py",
        "class Distribution(torch.Tensor):\n",
        "class Distribution(torch.Tensor):\n"
        "    __torch_function__ = torch._C._disabled_torch_function_impl\n",
        "torch >= 1.7 makes every op on this tensor subclass return one "
        "(their .to() override then fails when the sample grid is saved); "
        "this gives plain tensors back, as the torch they used did",
    ),
    ("train_fns_aug.py", "device='cuda'", "device='cpu'", "no GPU here"),
    (
        "utils.py",
        "torch.load(",
        "(lambda *a: torch.load(*a, weights_only=False))(",
        "their --resume reads pickled configs, which torch >= 2.6 refuses "
        "by default",
    ),
    (
        "datasets.py",
        "        if download:\n            self.download()\n\n"
        "        if not self._check_integrity():",
        "        if False:",
        "the batches are the study's split, not the published files: no "
        "download and no checksum",
    ),
    (
        "datasets.py",
        "(int(50e3 * (1.-self.val_split)), 3, 32, 32)",
        "(-1, 3, 32, 32)",
        "the split's training part has 45,000 images, not 50,000",
    ),
)


def code(args):
    """Copies their checkout to --out with `CHANGES` made."""
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    shutil.copytree(
        args.authors, args.out, ignore=shutil.ignore_patterns(".git")
    )
    for name, old, new, _ in CHANGES:
        path = os.path.join(args.out, name)
        with open(path) as file:
            text = file.read()
        if old not in text:
            raise SystemExit(f"{name}: {old!r} not found; another version?")
        with open(path, "w") as file:
            file.write(text.replace(old, new))
    print(f"{args.out}: their code with {len(CHANGES)} changes")


def data(args):
    """The split's train/ as CIFAR-10 python batches under --out/cifar."""
    import tensorflow as tf

    root = os.path.join(args.split, "train")
    classes = sorted(os.listdir(root))
    images, labels = [], []
    for label, name in enumerate(classes):
        for file in sorted(os.listdir(os.path.join(root, name))):
            raw = tf.io.read_file(os.path.join(root, name, file))
            images.append(tf.io.decode_image(raw, channels=3).numpy())
            labels.append(label)
    images = np.stack(images).transpose(0, 3, 1, 2).reshape(len(images), -1)
    folder = os.path.join(args.out, "cifar", "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    # Five batches, as their CIFAR10 class lists them; order is theirs to
    # shuffle (--shuffle).
    for index, part in enumerate(np.array_split(np.arange(len(labels)), 5)):
        record = {
            "data": images[part],
            "labels": [labels[i] for i in part],
        }
        with open(os.path.join(folder, f"data_batch_{index + 1}"), "wb") as f:
            pickle.dump(record, f)
    print(f"{folder}: {len(labels)} images of {len(classes)} classes")


def train_flags(args):
    """Their train_aug.py flags for one run of the study."""
    every = args.save_every
    flags = {
        **SETTINGS,
        "dataset": "C10" if args.conditional else "C10U",
        "base_root": os.path.abspath(args.out),
        "alpha": args.lam,
        "beta": 1.0 - args.lam,
        "seed": args.seed,
        "num_epochs": 1000,  # stopped at --steps
        "save_every": every,
        "num_save_copies": COPIES,
        "test_every": 10**9,
        "num_workers": 0,
        "G_attn": "0",
        "D_attn": "0",
        "G_init": "N02",
        "D_init": "N02",
        "loss_type": "hinge",
        "model": "BigGAN_new",
        "experiment_name": "run",
        "G_ortho": 0.0,
        "num_G_accumulations": 1,
        "num_D_accumulations": 1,
    }
    argv = [f"--{k}={v}" for k, v in flags.items()]
    argv += ["--shuffle", "--ema", "--use_ema", "--no_pin_memory"]
    if args.conditional:
        argv.append("--conditional")
    return argv


def train(args):
    """One of their runs, in their loop; resumes from its last save."""
    os.makedirs(args.out, exist_ok=True)
    for folder in ("data", "weights", "logs", "samples"):
        os.makedirs(os.path.join(args.out, folder), exist_ok=True)
    # --base_root pegs their data root to OUT/data: the batches go there.
    link = os.path.join(args.out, "data", "cifar")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(os.path.join(args.data, "cifar")), link)
    argv = train_flags(args)
    weights = os.path.join(args.out, "weights", "run")
    if os.path.exists(os.path.join(weights, "G.pth")):
        argv.append("--resume")
    with open(os.path.join(args.out, "command.json"), "w") as file:
        json.dump({"argv": argv, "changes": [c[3] for c in CHANGES]}, file)
    if _copy_of_step(weights, args.steps) is not None:
        print(f"{args.out}: at step {args.steps} already")
        return
    lock = os.path.join(args.out, "train.pid")
    if _running(lock):
        # Another queue trains this run: leave it to that one.
        print(f"{args.out}: trained by process {open(lock).read()} already")
        return
    with open(lock, "w") as file:
        file.write(str(os.getpid()))
    if "--resume" in argv:
        _count_last_copy(weights)
    command = [sys.executable, "train_aug.py", *argv]
    print(" ".join(command), flush=True)
    # Their loop runs whole epochs: it is stopped once the save of
    # --steps is written (G_ema is the last file of a save).
    process = subprocess.Popen(command, cwd=args.code)
    size = -1
    while process.poll() is None:
        time.sleep(10)
        index = _copy_of_step(weights, args.steps)
        if index is not None:
            last = os.path.join(weights, f"G_ema_copy{index}.pth")
            if os.path.getsize(last) == size:
                process.terminate()
                process.wait()
                print(f"{args.out}: stopped after the save of {args.steps}")
                return
            size = os.path.getsize(last)
    if process.returncode:
        raise SystemExit(f"their train_aug.py exited {process.returncode}")


def _running(lock):
    """Whether the process named in `lock` (a PID file) is alive."""
    try:
        os.kill(int(open(lock).read()), 0)
    except (OSError, ValueError):
        return False
    return True


def saved_step(path):
    """The `itr` of one of their state_dict files (a torch zip archive).

    Their state dict also holds their config object, so it is not
    unpickled: the pickle's opcodes are walked and the value following
    the key "itr" is read; nothing in the file is run.
    """
    import zipfile

    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith("data.pkl"))
        data = archive.read(name)
    key_seen = False
    for opcode, argument, _ in pickletools.genops(data):
        if key_seen and ("PUT" in opcode.name or opcode.name == "MEMOIZE"):
            continue  # the key's memo entry, between key and value
        if key_seen and opcode.name.startswith(("BININT", "LONG", "INT")):
            return int(argument)
        key_seen = argument == "itr" and "UNICODE" in opcode.name
    raise ValueError(f"{path}: no itr in their state dict")


def copies_by_step(weights, now=None):
    """{step: copy index} of their finished saved copies (`now`: the
    time to judge by, default `time.time()`).

    Which copy a save writes is their `save_num` counter, not the step
    (a resume once made a save overwrite the copy before it), so the
    step is read from each copy's state dict. A copy is being written
    while its G_ema (the last file of a save) is older than its state
    dict, and also while G_ema itself is written: one changed within
    `SETTLE_SECONDS` is left out, so that `convert` never reads it cut
    short.
    """
    now = time.time() if now is None else now
    copies = {}
    for index in range(COPIES):
        state = os.path.join(weights, f"state_dict_copy{index}.pth")
        ema = os.path.join(weights, f"G_ema_copy{index}.pth")
        if not (os.path.exists(state) and os.path.exists(ema)):
            continue
        written = os.path.getmtime(ema)
        if written < os.path.getmtime(state):
            continue
        if now - written < SETTLE_SECONDS:
            continue
        copies[saved_step(state)] = index
    return copies


def _copy_of_step(weights, step):
    return copies_by_step(weights).get(step) if os.path.isdir(weights) else None


def _count_last_copy(weights):
    """Makes a resumed run write its next copy beside the last one.

    Their loop writes the state dict, then the copy numbered `save_num`,
    then counts `save_num` on in memory only: resumed from the file, a run
    would overwrite its last copy with the next save. The count an
    uninterrupted run holds is restored (once: afterwards `save_num`
    points past the copy of the state's step).
    """
    import torch

    path = os.path.join(weights, "state_dict.pth")
    # Unpickled in full, against the project's rule, but no new risk: it
    # is this run's own file, written by their code, and their --resume
    # (run next) unpickles the same file anyway (see CHANGES, utils.py).
    state = torch.load(path, weights_only=False)
    current = os.path.join(weights, f"state_dict_copy{state['save_num']}.pth")
    if os.path.exists(current) and saved_step(current) == state["itr"]:
        state["save_num"] = (state["save_num"] + 1) % COPIES
        torch.save(state, path)
        print(f"{weights}: the next copy is {state['save_num']}", flush=True)


def convert(args):
    """Their saved copies as a GAN run directory, one checkpoint each."""
    import keras
    import tensorflow as tf

    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    from nda_tf import training
    from nda_tf.gan import monitoring
    from nda_tf.gan.recipe import GAN
    from nda_tf.io import pth
    from nda_tf.models import biggan_import
    from nda_tf.training import run_directory
    from nda_tf.training.recipe import DERIVED

    weights = os.path.join(args.run, "weights", "run")
    command = json.load(open(os.path.join(args.run, "command.json")))
    flags = dict(a[2:].split("=", 1) for a in command["argv"] if "=" in a)
    copies = copies_by_step(weights)
    config = GAN.resolve(
        {
            "dataset": "folder:"
            + os.path.join(os.path.abspath(args.split), "train"),
            "arch": "biggan",
            "ch": int(flags["G_ch"]),
            "conditional": "--conditional" in command["argv"],
            "num_classes": 10 if "--conditional" in command["argv"] else 1,
            "resolution": 32,
            "nda": "jigsaw(reassembly='column_major')",
            "lam": float(flags["alpha"]),
            "seed": int(flags["seed"]),
            "batch_size": int(flags["batch_size"]),
            "d_steps": int(flags["num_D_steps"]),
            "ema_decay": float(flags["ema_decay"]),
            "ema_start": int(flags["ema_start"]),
            "d_calls": 2,
            "init": "authors",
            "eval_metrics": ["none"],
        }
    )
    keras.mixed_precision.set_global_policy("float32")
    gan = GAN.build(config, compile=False)
    recorded = {o.name for o in GAN.all_options() if o.recorded}
    recorded |= set(DERIVED)
    run_directory.write_config(args.out, config, GAN, recorded)
    state = tf.train.Checkpoint(**GAN.checkpoint_items(gan, 2))
    keeper = training.CheckpointKeeper(
        os.path.join(args.out, "checkpoints"), state, max_to_keep=10**6
    )
    done = {e["step"] for e in keeper.entries()}
    for step, index in sorted(copies.items()):
        if step in done:
            continue

        def load(name, index=index):
            path = os.path.join(weights, f"{name}_copy{index}.pth")
            return pth.load_state_dict(path)

        biggan_import.load_generator(load("G"), gan.generator)
        biggan_import.load_generator(load("G_ema"), gan.ema_generator)
        biggan_import.load_discriminator(load("D"), gan.discriminator)
        gan.step.assign(step)
        keeper.save(step)
        # The grid our runs write, from the same seed (real_study's
        # samples.png compares them).
        grid = monitoring.image_grid(gan.generate(64, seed=config["seed"]))
        monitoring.save_png(
            os.path.join(args.out, "samples", f"step_{step:07d}.png"), grid
        )
        print(f"{args.out}: step {step} from copy {index}")


# The study's runs: (arm, nda) in RUNS_DIR/<arm>_s<seed>: ours started
# as the authors' code starts (ai_*, --init=authors), ours with zero
# biases (the first round, before --init existed), theirs. The NDA effect
# is each code's jigsaw arm minus its plain arm, paired by seed.
ARMS = {
    "ai_plain": "none",
    "ai_jigsaw": "jigsaw",
    "ai_jigsaw_cm": "jigsaw(reassembly='column_major')",
    "plain": "none",
    "jigsaw": "jigsaw",
    "authors_plain": "none",
    "authors_jigsaw": "jigsaw",
}
EFFECTS = {
    "ours: jigsaw - plain": ("ai_jigsaw", "ai_plain"),
    "ours, their jigsaw: jigsaw - plain": ("ai_jigsaw_cm", "ai_plain"),
    "ours, zero biases: jigsaw - plain": ("jigsaw", "plain"),
    "theirs: jigsaw - plain": ("authors_jigsaw", "authors_plain"),
}
CODES = {
    "plain: theirs - ours": ("authors_plain", "ai_plain"),
    "jigsaw: theirs - ours": ("authors_jigsaw", "ai_jigsaw"),
    "their jigsaw: theirs - ours": ("authors_jigsaw", "ai_jigsaw_cm"),
    "plain: theirs - ours, zero biases": ("authors_plain", "plain"),
    "jigsaw: theirs - ours, zero biases": ("authors_jigsaw", "jigsaw"),
}
# The curves compared, with their panel titles.
COMPARED = (
    ("fid", "FD (efficientnet_lite0; lower is better)"),
    ("precision", "precision (k=3)"),
    ("recall", "recall (k=3)"),
    ("auroc/corrupt", "AUROC, 19 corruptions (mean)"),
    ("auroc/average", "AUROC, average of all OOD sets"),
    ("auroc/nda:jigsaw", "AUROC, jigsaw(held-out)"),
    ("gap_median/jigsaw", "median D(x) - D(jigsaw x)"),
)


def report(args):
    """The four arms' curves (real_study's figures), the NDA effect in
    each code and the codes' difference (paired by seed, `effects.png`,
    `effects.md`), into --out."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    from nda_tf.studies.real_study import report as rs

    seeds = [int(s) for s in args.seeds.split(",")]
    values = rs.seed_values(args.runs, list(ARMS), seeds)
    curves = rs.curves_of(values)
    os.makedirs(args.out, exist_ok=True)
    rs.write_curves(curves, args.out)
    rs.write_corruptions(curves, args.out)
    rs.write_samples(rs.sample_grids(args.runs, list(ARMS), seeds), args.out)
    with open(os.path.join(args.out, "table.md"), "w") as file:
        file.write(rs.table(curves))
    text = []
    for title, pairs in (("NDA's effect", EFFECTS), ("Code", CODES)):
        differences = {
            name: {
                curve: rs.paired_differences(values, curve, arm, base)
                for curve, _ in COMPARED
            }
            for name, (arm, base) in pairs.items()
        }
        text.append(_difference_table(title, differences))
        file_name = "effects.png" if pairs is EFFECTS else "codes.png"
        _draw_differences(differences, os.path.join(args.out, file_name))
    with open(os.path.join(args.out, "effects.md"), "w") as file:
        file.write("\n".join(text))
    print("\n".join(text))


def _difference_table(title, differences):
    """Markdown: per curve and pair, the paired difference at every
    step (mean over seeds [lowest, highest]) and the share above 0."""
    lines = [
        f"### {title}, paired by seed\n",
        "| curve | difference | per step: mean [lowest, highest] | > 0 |",
        "| --- | --- | --- | ---: |",
    ]
    for curve, _ in COMPARED:
        for name, by_curve in differences.items():
            steps = by_curve[curve]
            if not steps:
                continue
            cells = "; ".join(
                f"{step}: {np.mean(d):+.3f} [{min(d):+.3f}, {max(d):+.3f}]"
                for step, d in steps.items()
            )
            pairs = [x for d in steps.values() for x in d]
            higher = sum(x > 0 for x in pairs)
            lines.append(
                f"| {curve} | {name} | {cells} | {higher} of {len(pairs)} |"
            )
    return "\n".join(lines) + "\n"


def _draw_differences(differences, path):
    """A panel per compared curve: each pair's paired difference over G
    steps (mean over seeds, their range shaded), zero dashed."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    columns = 4
    rows = -(-len(COMPARED) // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(3.6 * columns, 2.8 * rows), squeeze=False
    )
    for axis, (curve, title) in zip(axes.flat, COMPARED, strict=False):
        for name, by_curve in differences.items():
            steps = sorted(by_curve[curve])
            if not steps:
                continue
            d = [by_curve[curve][s] for s in steps]
            (line,) = axis.plot(
                steps, [np.mean(x) for x in d], marker=".", label=name
            )
            axis.fill_between(
                steps,
                [min(x) for x in d],
                [max(x) for x in d],
                color=line.get_color(),
                alpha=0.2,
            )
        axis.axhline(0, color="gray", linewidth=0.8, linestyle="--")
        axis.set_title(title, fontsize=8)
        axis.tick_params(labelsize=7)
    for axis in list(axes.flat)[len(COMPARED) :]:
        axis.axis("off")
    axes.flat[0].legend(fontsize=7)
    figure.suptitle(
        "paired differences over G steps; shaded: range over seeds",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


class _ArraysOnly(pickle.Unpickler):
    """Reads `data`'s batches (a dict of a uint8 array and a list): only
    numpy's array reconstruction may be named, so no code can run."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed")
        return super().find_class(module, name)


def starts(args):
    """D's first outputs on 64 real images, seeds 0..--seeds-1, into --out
    (JSON) and printed: their D (torch venv, with --code) as their code
    starts it and with its biases zeroed, or ours (TF venv, no --code)
    with `--init=authors` and `--init=zero_bias`. Real images: the first
    64 of `data`'s first batch (--data)."""
    path = os.path.join(
        args.data, "cifar", "cifar-10-batches-py", "data_batch_1"
    )
    with open(path, "rb") as file:
        record = _ArraysOnly(file, encoding="latin1").load()
    images = record["data"][:64].reshape(-1, 3, 32, 32) / 127.5 - 1.0
    seeds = range(int(args.seeds))
    if args.code:
        outputs = _their_starts(args, images.astype(np.float32), seeds)
    else:
        outputs = _our_starts(images.transpose(0, 2, 3, 1), seeds)
    rows = [
        f"| {name} | {seed} | {np.mean(d):+.2f} | {np.std(d):.2f} |"
        for name, by_seed in outputs.items()
        for seed, d in by_seed.items()
    ]
    print("| start | seed | mean D(x) | std D(x) |\n| --- | --- | --- | --- |")
    print("\n".join(rows))
    for name, by_seed in outputs.items():
        sizes = [abs(np.mean(d)) for d in by_seed.values()]
        print(
            f"{name}: median over seeds of |mean D(x)| {np.median(sizes):.1f}"
        )
    with open(args.out, "w") as file:
        json.dump(outputs, file)


def _their_starts(args, images, seeds):
    sys.path.insert(0, os.path.abspath(args.code))
    import torch
    import utils  # their utils.py

    here = os.getcwd()
    os.chdir(args.code)  # their model files are imported by name
    run = argparse.Namespace(
        **{**vars(args), "lam": 1.0, "conditional": False, "save_every": 500}
    )
    config = vars(utils.prepare_parser().parse_args(train_flags(run)))
    config["resolution"] = utils.imsize_dict[config["dataset"]]
    config["n_classes"] = utils.nclass_dict[config["dataset"]]
    config["G_activation"] = utils.activation_dict[config["G_nl"]]
    config["D_activation"] = utils.activation_dict[config["D_nl"]]
    model = __import__(config["model"])
    os.chdir(here)
    x = torch.tensor(images)
    y = torch.zeros(len(images), dtype=torch.long)
    outputs = {"theirs": {}, "theirs, biases zeroed": {}}
    for seed in seeds:
        # As train_aug.py: seeded, then G, then D.
        utils.seed_rng(seed)
        model.Generator(**config)
        D = model.Discriminator(**config)
        with torch.no_grad():
            outputs["theirs"][seed] = D(x, y).flatten().tolist()
            for name, parameter in D.named_parameters():
                if name.endswith("bias"):
                    parameter.zero_()
            zeroed = D(x, y).flatten().tolist()
            outputs["theirs, biases zeroed"][seed] = zeroed
    return outputs


def _our_starts(images, seeds):
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    import keras

    from nda_tf.models import biggan

    outputs = {}
    for init in biggan.INITS:
        outputs[f"ours, --init={init}"] = {}
        for seed in seeds:
            # As the GAN recipe: seeded, then G, then D.
            keras.utils.set_random_seed(seed)
            biggan.Generator(32, ch=SETTINGS["G_ch"], init=init)
            D = biggan.Discriminator(32, ch=SETTINGS["D_ch"], init=init)
            d = D(images.astype("float32"), training=True)
            outputs[f"ours, --init={init}"][seed] = (
                keras.ops.convert_to_numpy(d).ravel().tolist()
            )
    return outputs


def sampling(args):
    """Whether a checkpoint's generation scores come from its weights or
    from its batch-norm statistics: FD, precision, recall, density and
    coverage of G_ema and of G, each sampled with its moving statistics
    (as `real_study` scores) and with batch statistics, for each scored
    step of --at in --run (TF venv). The scorer and its settings are the
    step's score record's; JSON into --out, a table printed."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    from nda_tf import training
    from nda_tf.eval import pipeline
    from nda_tf.gan.recipe import GAN
    from nda_tf.studies.real_study import scores

    if not (args.run and args.at and args.split):
        raise SystemExit("sampling needs --run, --at and --split")
    try:
        steps = [int(step) for step in args.at.split(",")]
    except ValueError:
        raise SystemExit(
            f"--at must be steps such as 2000,5000; received {args.at!r}"
        ) from None
    if args.stats_batch < 2:  # one sample's batch norm erases it
        raise SystemExit(
            f"--stats_batch must be >= 2; received {args.stats_batch}"
        )
    for step in steps:  # every input before any work
        if scores.read_score(args.run, step) is None:
            raise SystemExit(f"{args.run}: step {step} is not scored yet")
    # The study's layout: the scorer's cache beside the runs.
    cache = os.path.join(os.path.dirname(os.path.abspath(args.run)), "cache")
    results = []
    print(
        "| step | generator | statistics | FD | precision | recall | density "
        "| coverage |\n| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"
    )
    for step in steps:
        settings = scores.read_score(args.run, step)["settings"]
        scorer = scores.Scorer(args.split, settings, cache)
        gan, config = training.load_run(GAN, args.run, step)
        real = scorer.reference(config["resolution"])
        for name, model in (("G_ema", gan.ema_generator), ("G", gan.generator)):
            for batch_statistics in (False, True):
                generated = pipeline.compute_statistics(
                    sampler(
                        gan,
                        model,
                        batch_statistics,
                        settings["seed"],
                        args.stats_batch,
                    ),
                    scorer.extractor(),
                    num_images=settings["num_generated"],
                    batch_size=args.stats_batch,
                    keep_features=True,
                    progress=False,
                )
                metrics = pipeline.score(
                    generated, real, scores.GENERATION_METRICS
                )
                statistics = "batch" if batch_statistics else "moving"
                row = {"step": step, "generator": name}
                results.append({**row, "statistics": statistics, **metrics})
                print(
                    f"| {step} | {name} | {statistics} | {metrics['fid']:.1f}"
                    + "".join(
                        f" | {metrics[k]:.3f}"
                        for k in ("precision", "recall", "density", "coverage")
                    )
                    + " |",
                    flush=True,
                )
    with open(args.out, "w") as file:
        json.dump({"run": os.path.abspath(args.run), "rows": results}, file)


# Images a generator call makes when sampling with batch statistics: the
# statistics are those of this many samples (--stats_batch; the tables of
# RESULTS before the authors' evaluation was followed used 250, their
# sample.py uses 64).
BATCH_STATISTICS_SIZE = 250


def sampler(gan, model, batch_statistics, seed, stats_batch=None):
    """`fn(size)`: `size` images of `model` (G or G_ema of `gan`) from
    seeded latents, batch statistics if `batch_statistics` (as
    `NDAGAN.generate` with `stats_batch`: nothing of the call is kept, so
    the model stays as it was loaded; a call of fewer than `stats_batch`
    images is drawn full and cut)."""
    import tensorflow as tf

    from nda_tf.gan.nda_gan import with_batch_statistics

    drawn = [0]

    def sample(size):
        full = max(size, stats_batch or 0) if batch_statistics else size
        z, labels = gan.sample_latents(
            full, tf.constant([seed + drawn[0], 0], tf.int64)
        )
        drawn[0] += size
        inputs = gan._generator_inputs(z, labels)
        if not batch_statistics:
            return np.asarray(model(inputs, training=False))
        return np.asarray(with_batch_statistics(model, inputs))[:size]

    return sample


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "stage",
        choices=(
            "code",
            "data",
            "train",
            "convert",
            "report",
            "starts",
            "sampling",
        ),
    )
    parser.add_argument("--authors", help="code: their checkout")
    parser.add_argument(
        "--code", help="train, starts: the changed copy of their code"
    )
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--split", help="data, convert, sampling: the study's split"
    )
    parser.add_argument("--data", help="train, starts: the batches of `data`")
    parser.add_argument(
        "--run", help="convert: a run of `train`; sampling: a scored run"
    )
    parser.add_argument("--at", help="sampling: scored steps, e.g. 2000,5000")
    parser.add_argument(
        "--stats_batch",
        type=int,
        default=BATCH_STATISTICS_SIZE,
        help="sampling: samples per generator call, whose statistics the "
        "batch norms use in the batch-statistics rows (the authors': 64)",
    )
    parser.add_argument("--lam", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--save_every", type=int, default=500)
    parser.add_argument("--conditional", action="store_true")
    parser.add_argument("--runs", help="report: the study's run folder")
    parser.add_argument(
        "--seeds", default="0,1", help="report: seeds; starts: how many"
    )
    args = parser.parse_args()
    stages = {
        "code": code,
        "data": data,
        "train": train,
        "convert": convert,
        "report": report,
        "starts": starts,
        "sampling": sampling,
    }
    stages[args.stage](args)


if __name__ == "__main__":
    main()
