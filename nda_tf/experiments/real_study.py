r"""Does NDA help on real images at CPU scale? A study over training (#18).

Plain and NDA GANs are trained with one configuration (`CONFIG`) and the
same seeds on the training part of a seeded, class-stratified split of an
image folder (CIFAR-10's training JPEGs); every kept checkpoint is then
scored on the held-out part only: the discriminator as an anomaly detector
(paper Table 5: AUROC against the local severity-5 corruptions, noise sets
and NDA-made sets), D(x) - D(T(x)) per transform (Figure 4), and the EMA
generator's FD and precision / recall against the held-out images on the
offline backbone. Scores are cached per checkpoint as JSON, so scoring
again only scores the new checkpoints; `write_report` turns the cache into
curves (PNGs, plain vs NDA with the seeds' range) and a markdown table.

    python -m nda_tf.experiments.real_study --action=split \
        --source=cifar10_all --data_dir=study/data --held_out=5000
    python -m nda_tf.experiments.real_study --action=train \
        --data_dir=study/data --runs_dir=study/runs --arms=plain,jigsaw \
        --seeds=0,1 --steps=20000 --save_every=1000
    python -m nda_tf.experiments.real_study --action=score,report \
        --data_dir=study/data --runs_dir=study/runs --arms=plain,jigsaw \
        --seeds=0,1 --save_every=1000

Training again resumes every run exactly (a larger --steps continues it);
scoring again scores only checkpoints without a score under the same
settings (a change of the local corruptions' code counts as a change).
Writes RUNS_DIR/<arm>_s<seed>/real_study/ (a report per checkpoint and
scores/ckpt-<step>.json) and RUNS_DIR/report/ (auroc.png, gap.png,
generation.png, samples.png, curves.json, table.md). Measured numbers and
runtimes: experiments/RESULTS.md.
"""

import os

from nda_tf.experiments.real_study_report import table, write_report
from nda_tf.experiments.real_study_scores import (
    OOD_SETS,
    TRANSFORMS,
    Scorer,
    checkpoint_steps,
    run_dir,
    scoring_settings,
)

# ---------------------------------------------------------------- training

# The study's configuration (what learns fastest per CPU-minute here; see
# experiments/RESULTS.md, "NDA on real CIFAR-10 over training"). Every run
# of every arm and seed uses it; only `nda` and `seed` differ.
CONFIG = {
    "arch": "sngan",
    "ch": 32,
    "batch_size": 32,
    "d_steps": 2,
    "lam": 0.25,
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


# ----------------------------------------------------------------- command

ACTIONS = ("split", "train", "score", "report")


def parse_overrides(items):
    """`["ch=4", "batch_size=8"]` -> `{"ch": 4, "batch_size": 8}`, each
    value read as its GAN recipe option's kind; the study's fixed keys
    (dataset, nda, seed, steps) cannot be set."""
    from nda_tf.gan.recipe import GAN

    options = {o.name: o for o in GAN.all_options()}
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


def _options():
    from nda_tf.training import DATA_ACCESS_OPTIONS, Option

    return (
        Option(
            "action",
            ["train", "score", "report"],
            f"What to do, in this order: any of {', '.join(ACTIONS)}.",
            kind="list",
        ),
        Option(
            "data_dir",
            None,
            "The split: train/ (trained on) and val/ (held out, scored).",
            kind="str",
        ),
        Option(
            "source",
            None,
            "--action=split: the image folder to split (class subfolders).",
            kind="str",
        ),
        Option("held_out", 5000, "--action=split: images held out.", low=1),
        Option("split_seed", 0, "--action=split: seed of the split.", low=0),
        Option("runs_dir", None, "Run directories: <arm>_s<seed>.", kind="str"),
        Option(
            "arms",
            ["plain", "jigsaw"],
            "NAME or NAME=NDA (plain: none), e.g. mix=jigsaw|stitch|cutout.",
            kind="list",
        ),
        Option("seeds", ["0", "1"], "Seeds of every arm.", kind="list"),
        Option("steps", 20000, "Train every run up to this G step.", low=1),
        Option(
            "save_every",
            1000,
            "Steps between checkpoints (all kept) and scored points.",
            low=1,
        ),
        Option("log_every", 100, "Steps between logged losses.", low=1),
        Option(
            "turn",
            None,
            "Runs take turns of this many steps (default: one run after "
            "the other to --steps).",
            kind="int",
        ),
        Option(
            "set",
            [],
            "KEY=VALUE GAN options over the study's CONFIG (every run), "
            "list values joined by +.",
            kind="list",
        ),
        Option(
            "num_images",
            None,
            "Held-out images scored per set (default: all).",
            kind="int",
        ),
        Option("num_generated", 2000, "Generated images for FD, P/R.", low=2),
        Option(
            "backbone",
            "efficientnet_lite0",
            "Feature backbone of FD and precision / recall.",
            choices=lambda: (
                __import__(
                    "nda_tf.eval.names", fromlist=["BACKBONES"]
                ).BACKBONES
            ),
        ),
        Option("ood", list(OOD_SETS), "OOD sets.", kind="list"),
        Option(
            "transforms", list(TRANSFORMS), "T of D(x)-D(T(x)).", kind="list"
        ),  # fmt: skip
        Option("score_seed", 0, "Seed of noise, corruptions, T.", low=0),
        Option("batch_size", 256, "Images per D and backbone call.", low=1),
        Option(
            "cache_dir",
            None,
            "Corrupted sets and held-out features (default: RUNS_DIR/cache).",
            kind="str",
        ),
        Option(
            "out",
            None,
            "Curves and table (default: RUNS_DIR/report).",
            kind="str",
        ),
        Option("progress", True, "Show progress."),
        *DATA_ACCESS_OPTIONS,
    )


def main(fv):
    """Runs the study's actions as the parsed flags `fv` say."""
    from nda_tf import training
    from nda_tf.experiments import cli

    training.apply_data_access(cli.values(_access_options(), fv))
    actions = list(fv.action)
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown or not actions:
        raise ValueError(
            f"--action must be some of {', '.join(ACTIONS)}; received "
            f"{','.join(actions)}"
        )
    if not fv.data_dir:
        raise ValueError("--data_dir is required")
    arms = parse_arms(fv.arms)
    seeds = _seeds(fv.seeds)
    overrides = parse_overrides(fv.set)
    if "split" in actions:
        if not fv.source:
            raise ValueError("--action=split needs --source")
        # Imported here: nda_tf.data loads TensorFlow, --help must not.
        from nda_tf.data.split import split_folder

        record = split_folder(
            fv.source, fv.data_dir, fv.held_out, fv.split_seed
        )
        print(
            f"split: {len(record['files']['train'])} training and "
            f"{len(record['files']['val'])} held-out images in {fv.data_dir}"
        )
    if set(actions) - {"split"} and not fv.runs_dir:
        raise ValueError("--runs_dir is required for train, score, report")
    if "train" in actions:
        done = train_runs(
            fv.data_dir, fv.runs_dir, arms, seeds, fv.steps, fv.save_every,
            overrides, fv.log_every, fv.progress, fv.turn,
        )  # fmt: skip
        for logdir, step in done.items():
            print(f"trained: {logdir} at step {step}")
    settings = scoring_settings(
        fv.num_images, fv.num_generated, fv.backbone, fv.ood, fv.transforms,
        fv.score_seed,
    )  # fmt: skip
    if "score" in actions:
        scorer = Scorer(
            fv.data_dir,
            settings,
            fv.cache_dir or os.path.join(fv.runs_dir, "cache"),
            fv.batch_size,
            fv.progress,
        )
        for arm in arms:
            for seed in seeds:
                logdir = run_dir(fv.runs_dir, arm, seed)
                if not os.path.isdir(logdir):
                    print(f"scored: {logdir} has no run yet")
                    continue
                steps = scorer.score_run(logdir, fv.save_every)
                print(f"scored: {logdir} steps {steps or 'none new'}")
    if "report" in actions:
        out = fv.out or os.path.join(fv.runs_dir, "report")
        curves, paths = write_report(fv.runs_dir, arms, seeds, out, settings)
        print(table(curves))
        print(f"Written: {', '.join(paths)}")


def _access_options():
    from nda_tf.training import DATA_ACCESS_OPTIONS

    return DATA_ACCESS_OPTIONS


def _seeds(items):
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


if __name__ == "__main__":
    from nda_tf.experiments import cli

    cli.run_command(
        _options(),
        main,
        "nda_tf.experiments.real_study",
        extras=("ood", "studies"),
    )
