"""Training of the real-image study: one configuration (`CONFIG`), arms
of NDA transforms, seeds, runs that take turns (`train_runs`)."""

import os

from nda_tf.gan.options import OPTIONS as GAN_OPTIONS
from nda_tf.studies.real_study.scores import checkpoint_steps, run_dir
from nda_tf.training.recipe import with_common

# The study's configuration (what learns fastest per CPU-minute here; see
# experiments/RESULTS.md, "NDA on real CIFAR-10 over training"). Every run
# of every arm and seed uses it; only `nda` and `seed` differ. The other
# settings (lam 0.25, ...) are the GAN recipe's defaults.
CONFIG = {
    "arch": "sngan",
    "ch": 32,
    "batch_size": 32,
    "d_steps": 2,
    # Over tens of thousands of steps 0.9999 would average a generator
    # that is still changing fast; 0.999 keeps about the last 1000 steps.
    "ema_decay": 0.999,
    "ema_start": 1000,
    # The study scores its checkpoints itself, on the held-out part.
    "eval_metrics": ["none"],
}
ARMS = {"plain": "none", "jigsaw": "jigsaw"}
# Every checkpoint is a point of the curves: none is rotated out.
KEEP_ALL = 1_000_000


def parse_arms(items):
    """`["plain=none", "jigsaw", "mix=jigsaw|stitch|cutout"]` -> `{name:
    nda}`; a bare name is its own transform ("plain" means none)."""
    arms = {}
    for item in items:
        name, _, nda = item.partition("=")
        name, nda = name.strip(), nda.strip()
        if not nda:
            nda = ARMS.get(name, name)
        if not name or not all(c.isalnum() or c in "_-" for c in name):
            raise ValueError(
                f"an arm is NAME or NAME=NDA with NAME of letters, digits, _ "
                f"or -; received {item!r}"
            )
        if name in arms:
            raise ValueError(f"arm {name!r} is given twice")
        arms[name] = nda
    if not arms:
        raise ValueError("give at least one arm")
    return arms


def run_config(data_dir, nda, seed, steps, overrides=None):
    """The GAN recipe options of one run: `CONFIG`, the training part of
    `data_dir`, and `overrides` (the same for every run)."""
    return {
        **CONFIG,
        **(overrides or {}),
        "dataset": "folder:" + os.path.join(os.path.abspath(data_dir), "train"),
        "nda": nda,
        "seed": int(seed),
        "steps": int(steps),
    }


def train_runs(
    data_dir,
    runs_dir,
    arms,
    seeds,
    steps,
    save_every,
    overrides=None,
    log_every=100,
    progress=True,
    turn=None,
):
    """Trains, or resumes, every (arm, seed) run up to `steps`, keeping a
    checkpoint every `save_every` steps (all of them).

    The runs take turns of `turn` steps (default: all `steps` at once):
    every run reaches `turn`, then `2 * turn`, ..., so that the arms'
    curves grow together and a study stopped at any time has comparable
    points. A stopped run resumes exactly (`nda_tf.training.train`); a run
    already at a target returns at once; a larger `steps` continues it.

    Returns:
        `{run directory: final step}`.
    """
    from nda_tf import training
    from nda_tf.data.split import check_split
    from nda_tf.gan.recipe import GAN

    check_split(data_dir)
    options = training.RunOptions(
        save_every=int(save_every),
        keep=KEEP_ALL,
        log_every=int(log_every),
        progress=progress,
    )
    turn = int(turn or steps)
    targets = list(range(turn, int(steps), turn)) + [int(steps)]
    done = {}
    for target in targets:
        for arm, nda in arms.items():
            for seed in seeds:
                logdir = run_dir(runs_dir, arm, seed)
                reached = checkpoint_steps(logdir)
                if reached and reached[-1] >= target:
                    # Past this turn: skip the model's build and restore.
                    done[logdir] = reached[-1]
                    continue
                config = run_config(data_dir, nda, seed, target, overrides)
                _, summary = training.train(GAN, config, logdir, options)
                done[logdir] = summary["step"]
                if summary.get("interrupted"):
                    return done  # Ctrl-C / SIGTERM: the other runs wait too
    return done


def parse_overrides(items):
    """`["ch=4", "batch_size=8"]` -> `{"ch": 4, "batch_size": 8}`, each
    value read as its GAN recipe option's kind; the study's fixed keys
    (dataset, nda, seed, steps) cannot be set."""
    options = {o.name: o for o in with_common(GAN_OPTIONS)}
    fixed = ("dataset", "nda", "seed", "steps")
    overrides = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or key not in options or key in fixed:
            raise ValueError(
                f"--set takes KEY=VALUE with KEY a GAN option other than "
                f"{', '.join(fixed)}; received {item!r}"
            )
        kind = options[key].kind
        try:
            if kind == "int":
                value = int(text)
            elif kind == "float":
                value = float(text)
            elif kind == "bool":
                value = {"true": True, "false": False}[text.lower()]
            elif kind == "list":
                value = [v for v in text.split("+") if v]
            else:
                value = text
        except (ValueError, KeyError):
            raise ValueError(f"--set {key}: {text!r} is not a {kind}") from None
        options[key].check(value)
        overrides[key] = value
    return overrides


def parse_seeds(items):
    try:
        seeds = [int(s) for s in items]
    except ValueError:
        raise ValueError(
            f"--seeds must be integers; received {items}"
        ) from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ValueError(
            f"--seeds must be distinct integers >= 0; received {items}"
        )
    return seeds
