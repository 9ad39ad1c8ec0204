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
generation.png, curves.json, table.md). Measured numbers and runtimes:
experiments/RESULTS.md.
"""

import json
import os
import shutil

import numpy as np

SPLIT_FILE = "split.json"
PARTS = ("train", "val")


def split_counts(counts, held_out):
    """How many images of each class go to the held-out part.

    Proportional to the class sizes, rounded by largest remainder so that
    the total is exactly `held_out` (ties go to the earlier class).

    Args:
        counts: images per class, e.g. `[5000] * 10`.
        held_out: int, images held out in total, 0 < held_out < sum.

    Returns:
        list of ints, per class.

    >>> split_counts([5000] * 10, 5000)[:3]
    [500, 500, 500]
    """
    counts = [int(c) for c in counts]
    total = sum(counts)
    if not 0 < held_out < total:
        raise ValueError(
            f"held_out must be between 1 and {total - 1} (the folder has "
            f"{total} images); received {held_out}"
        )
    exact = [c * held_out / total for c in counts]
    chosen = [int(e) for e in exact]
    order = sorted(
        range(len(counts)), key=lambda i: (-(exact[i] - chosen[i]), i)
    )
    for i in order[: held_out - sum(chosen)]:
        chosen[i] += 1
    return chosen


def plan_split(paths, labels, held_out, seed):
    """`{"train": [...], "val": [...]}` indices of a class-stratified split.

    Each class's images (in sorted path order) are permuted by a generator
    seeded with `(seed, class)`, and the first `split_counts` of them are
    held out: the same folder and seed always give the same split, and
    adding a class does not move the other classes' images.
    """
    labels = np.asarray(labels)
    classes = sorted(set(labels.tolist()))
    members = {c: np.flatnonzero(labels == c) for c in classes}
    order = {c: members[c][np.argsort(np.asarray(paths)[members[c]])]
             for c in classes}  # fmt: skip
    quota = split_counts([len(order[c]) for c in classes], held_out)
    parts = {"train": [], "val": []}
    for c, count in zip(classes, quota, strict=True):
        rng = np.random.default_rng([int(seed), int(c)])
        shuffled = order[c][rng.permutation(len(order[c]))]
        parts["val"] += sorted(shuffled[:count].tolist())
        parts["train"] += sorted(shuffled[count:].tolist())
    return parts


def split_folder(source, out_dir, held_out, seed=0):
    """Splits an image folder into `out_dir/train` and `out_dir/val`.

    Files are hard links where the file system allows (else copies), under
    the same class subfolders and names, so that both parts are
    `folder:` sources. `out_dir/split.json` records the source, seed and
    every file of each part; splitting again with the same arguments finds
    it and does nothing, with other arguments it is an error.

    Args:
        source: an image folder with class subfolders (or a flat folder).
        out_dir: where the two parts go; must not hold another split.
        held_out: int, images in the validation part, stratified by class.
        seed: int, seed of the split.

    Returns:
        the split record (dict): `{"source", "seed", "held_out", "files":
        {"train": [...], "val": [...]}, "classes"}`, paths relative to
        `source`.

    Example:
        split_folder("cifar10_all", "cifar10_split", held_out=5000, seed=0)
        # then --dataset=folder:cifar10_split/train and
        # --in=folder:cifar10_split/val
    """
    from nda_tf.data import folder as folder_lib

    source = os.path.abspath(source)
    paths, labels, classes = folder_lib.list_images(source)
    parts = plan_split(paths, labels, int(held_out), int(seed))
    record = {
        "source": source,
        "seed": int(seed),
        "held_out": int(held_out),
        "classes": list(classes),
        "files": {
            part: [os.path.relpath(paths[i], source) for i in parts[part]]
            for part in PARTS
        },
    }
    record_path = os.path.join(out_dir, SPLIT_FILE)
    if os.path.exists(record_path):
        with open(record_path) as file:
            existing = json.load(file)
        if existing != record:
            raise ValueError(
                f"{out_dir} holds another split ({SPLIT_FILE}: seed "
                f"{existing.get('seed')}, held_out "
                f"{existing.get('held_out')}, source "
                f"{existing.get('source')}); choose another folder"
            )
        return record
    if os.path.exists(out_dir) and os.listdir(out_dir):
        raise ValueError(
            f"{out_dir} is not empty and holds no {SPLIT_FILE}: choose an "
            "empty or new folder"
        )
    for part in PARTS:
        for relative in record["files"][part]:
            target = os.path.join(out_dir, part, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            _link_or_copy(os.path.join(source, relative), target)
    # Written last: a split cut short has no record and is refused above.
    temporary = record_path + ".tmp"
    with open(temporary, "w") as file:
        json.dump(record, file, indent=1)
    os.replace(temporary, record_path)
    return record


def _link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


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


def run_dir(runs_dir, arm, seed):
    """The run directory of one arm and seed: `runs_dir/<arm>_s<seed>`."""
    return os.path.join(runs_dir, f"{arm}_s{int(seed)}")


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
    from nda_tf.gan.recipe import GAN

    _check_split(data_dir)
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


def _check_split(data_dir):
    if not os.path.isfile(os.path.join(data_dir, SPLIT_FILE)):
        raise ValueError(
            f"{data_dir} holds no {SPLIT_FILE}: make the split first "
            "(--action=split)"
        )


# ----------------------------------------------------------------- scoring

# The OOD sets: the 19 local corruptions at severity 5 (one group), two
# noises and NDA-made versions of the held-out images.
OOD_SETS = (
    "corrupt",
    "noise:gaussian",
    "noise:uniform",
    "nda:jigsaw",
    "nda:stitch",
    "nda:cutout",
)
# T of the D(x) - D(T(x)) statistics.
TRANSFORMS = ("jigsaw", "stitch", "cutout", "mixup", "cutmix")
GENERATION_METRICS = ("fid", "precision", "recall", "density", "coverage")
SCORES = "real_study"  # LOGDIR/real_study/ckpt-<step>/ and scores/


def scoring_settings(
    num_images=None,
    num_generated=2000,
    backbone="efficientnet_lite0",
    ood_sets=OOD_SETS,
    transforms=TRANSFORMS,
    seed=0,
):
    """What a checkpoint's scores depend on besides its weights; a cached
    score with other settings is scored again. `code` fingerprints the
    local corruptions' source, so that scores made before a change of
    their parameters are not mixed with scores made after it."""
    return {
        "num_images": num_images,
        "num_generated": int(num_generated),
        "backbone": backbone,
        "ood_sets": list(ood_sets),
        "transforms": list(transforms),
        "seed": int(seed),
        "code": corruption_code(),
    }


def corruption_code():
    """A short digest of the modules that make the local corruptions."""
    import hashlib

    from nda_tf.eval import cifar10c, ood_sets

    digest = hashlib.sha1()
    for module in (cifar10c, ood_sets):
        with open(module.__file__, "rb") as file:
            digest.update(file.read())
    return digest.hexdigest()[:12]


def checkpoint_steps(logdir, every=None):
    """Steps of the run's kept checkpoints, oldest first; with `every`,
    only the multiples of it (a checkpoint written at a stop in between
    is not a point shared by the other runs)."""
    from nda_tf.training import CheckpointKeeper

    keeper = CheckpointKeeper(os.path.join(logdir, "checkpoints"), None)
    steps = [e["step"] for e in keeper.entries()]
    return [s for s in steps if not every or s % int(every) == 0]


def score_path(logdir, step):
    return os.path.join(logdir, SCORES, "scores", f"ckpt-{int(step)}.json")


def read_score(logdir, step, settings=None):
    """The cached score of a checkpoint, or None (none, or other
    settings)."""
    path = score_path(logdir, step)
    if not os.path.isfile(path):
        return None
    with open(path) as file:
        record = json.load(file)
    if settings is not None and record.get("settings") != settings:
        return None
    return record


class Scorer:
    """Scores checkpoints on the held-out part; keeps what every
    checkpoint shares (the backbone, the held-out images' features).

    Args:
        data_dir: the split (`split_folder`'s output); `val/` is scored.
        settings: `scoring_settings(...)`.
        cache_dir: cache of corrupted sets and reference features; a
            subfolder per corruption code keeps old corrupted images out.
        batch_size: images per discriminator and backbone call.
        progress: show progress.
        extractor: optional `FeatureExtractor` instead of the one named by
            `settings["backbone"]` (its name must be that name).
    """

    def __init__(
        self,
        data_dir,
        settings,
        cache_dir,
        batch_size=256,
        progress=False,
        extractor=None,
    ):
        if extractor is not None and extractor.name != settings["backbone"]:
            raise ValueError(
                f"the extractor is {extractor.name!r} but the settings name "
                f"{settings['backbone']!r}"
            )
        _check_split(data_dir)
        self.val = "folder:" + os.path.join(os.path.abspath(data_dir), "val")
        self.settings = settings
        self.cache_dir = os.path.join(cache_dir, f"code-{settings['code']}")
        self.batch_size = int(batch_size)
        self.progress = progress
        self._extractor = extractor
        self._reference = {}

    def pending(self, logdir, every=None):
        """Steps of `logdir` with no score under these settings."""
        return [
            s
            for s in checkpoint_steps(logdir, every)
            if read_score(logdir, s, self.settings) is None
        ]

    def score_run(self, logdir, every=None):
        """Scores every kept checkpoint of `logdir` not scored yet (under
        these settings); returns the steps scored."""
        steps = self.pending(logdir, every)
        for step in steps:
            self.score(logdir, step)
        return steps

    def score(self, logdir, step):
        """Scores the checkpoint of `step`; writes and returns its record."""
        from nda_tf import training
        from nda_tf.eval import ood_run, pipeline
        from nda_tf.gan.recipe import GAN
        from nda_tf.training import write_json_atomic

        s = self.settings
        gan, config = training.load_run(GAN, logdir, int(step))
        out_dir = os.path.join(logdir, SCORES, f"ckpt-{int(step)}")
        report, _ = ood_run.evaluate_discriminator(
            gan.discriminator,
            self.val,
            list(s["ood_sets"]),
            out_dir,
            resolution=config["resolution"],
            num_images=s["num_images"],
            transform=list(s["transforms"]) or None,
            num_classes=config["num_classes"],
            batch_size=self.batch_size,
            seed=s["seed"],
            step=int(step),
            progress=self.progress,
            title=f"{logdir}, step {step}: held-out images against OOD sets",
            training_source=config["dataset"],
            cache_dir=self.cache_dir,
        )
        extractor = self.extractor()
        real = self.reference(config["resolution"])
        starts = iter(range(0, s["num_generated"], self.batch_size))
        generated = pipeline.compute_statistics(
            lambda size: gan.generate(size, seed=s["seed"] + next(starts)),
            extractor,
            num_images=s["num_generated"],
            batch_size=self.batch_size,
            keep_features=True,
            progress=self.progress,
        )
        record = {
            "step": int(step),
            "logdir": os.path.abspath(logdir),
            "nda": config["nda"],
            "seed": config["seed"],
            "settings": s,
            "ood": report.to_dict(),
            "generation": pipeline.score(generated, real, GENERATION_METRICS),
            "reference": f"{real.count} held-out images ({self.val})",
        }
        write_json_atomic(score_path(logdir, step), record)
        return record

    def extractor(self):
        if self._extractor is None:
            from nda_tf.eval import backbones

            self._extractor = backbones.from_name(
                self.settings["backbone"], None, self.cache_dir
            )
        return self._extractor

    def reference(self, resolution):
        """Features of the held-out images (all of them), once."""
        if resolution not in self._reference:
            from nda_tf import data
            from nda_tf.eval import reference

            images, info = data.load(self.val, resolution=resolution)
            self._reference[resolution] = reference.reference_statistics(
                self.val,
                self.extractor(),
                split=f"all-{resolution}",
                num_images=info.num_examples,
                source=images,
                cache_dir=self.cache_dir,
                batch_size=self.batch_size,
                progress=self.progress,
            )
        return self._reference[resolution]


# ------------------------------------------------------- curves and tables

CORRUPTION_MEAN = "corrupt"  # the 19 corruptions' group in the OOD report


def point_values(record):
    """The scalars of one score record, by curve name.

    `auroc/<entry>` (the corruption mean `auroc/corrupt`, each noise and
    NDA set), `auroc/average`, `corruption/<name>` (AUROC of each
    corruption), `gap_median/<T>` and `gap_positive/<T>` (D(x) - D(T(x))),
    and the generation metrics (`fid`, `precision`, ...).
    """
    ood = record["ood"]
    values = {f"auroc/{e}": v["auroc"] for e, v in ood["entries"].items()}
    values["auroc/average"] = ood["average"]["auroc"]
    for name, v in ood["sets"].items():
        if v.get("group") == CORRUPTION_MEAN:
            values[f"corruption/{name.split(':', 1)[1]}"] = v["auroc"]
    for t, v in ood["differences"].items():
        values[f"gap_median/{t}"] = v["median"]
        values[f"gap_positive/{t}"] = v["share_positive"]
    values.update(record["generation"])
    return values


def curve_data(runs_dir, arms, seeds, settings=None):
    """`{curve: {arm: {"steps", "mean", "low", "high", "seeds"}}}` from the
    cached scores (under `settings`, when given).

    At each step the mean, lowest and highest value over the seeds scored
    there; `seeds` counts them. Arms and curves without any score are
    left out.
    """
    curves = {}
    for arm in arms:
        by_step = {}
        for seed in seeds:
            logdir = run_dir(runs_dir, arm, seed)
            for step in checkpoint_steps(logdir) if os.path.isdir(logdir) \
                    else []:  # fmt: skip
                record = read_score(logdir, step, settings)
                if record is None:
                    continue
                for name, value in point_values(record).items():
                    by_step.setdefault(name, {}).setdefault(step, [])
                    by_step[name][step].append(float(value))
        for name, points in by_step.items():
            steps = sorted(points)
            curves.setdefault(name, {})[arm] = {
                "steps": steps,
                "mean": [float(np.mean(points[s])) for s in steps],
                "low": [float(np.min(points[s])) for s in steps],
                "high": [float(np.max(points[s])) for s in steps],
                "seeds": [len(points[s]) for s in steps],
            }
    return curves


# The panels of each figure: (file, title, [(curve, label)]).
FIGURES = (
    (
        "auroc.png",
        "AUROC of D on held-out images (higher: D rejects the set)",
        [
            ("auroc/corrupt", "19 corruptions, severity 5 (mean)"),
            ("auroc/noise:gaussian", "Gaussian noise"),
            ("auroc/noise:uniform", "uniform noise"),
            ("auroc/nda:jigsaw", "jigsaw(held-out)"),
            ("auroc/nda:stitch", "stitch(held-out)"),
            ("auroc/nda:cutout", "cutout(held-out)"),
        ],
    ),
    (
        "gap.png",
        "median D(x) - D(T(x)) on held-out images",
        [(f"gap_median/{t}", f"T = {t}") for t in TRANSFORMS],
    ),
    (
        "generation.png",
        "EMA generator against the held-out images",
        [
            ("fid", "FD (efficientnet_lite0; lower is better)"),
            ("precision", "precision (k=3)"),
            ("recall", "recall (k=3)"),
        ],
    ),
)


def write_curves(curves, out_dir):
    """One PNG per entry of `FIGURES`: a panel per curve, a line per arm
    (mean over seeds) with the seeds' range shaded. Returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for file_name, title, panels in FIGURES:
        panels = [(c, label) for c, label in panels if c in curves]
        if not panels:
            continue
        columns = min(3, len(panels))
        rows = -(-len(panels) // columns)
        figure, axes = plt.subplots(
            rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False
        )
        for axis, (curve, label) in zip(axes.flat, panels, strict=False):
            for arm, line in curves[curve].items():
                (drawn,) = axis.plot(
                    line["steps"], line["mean"], marker=".", label=arm
                )
                axis.fill_between(
                    line["steps"],
                    line["low"],
                    line["high"],
                    color=drawn.get_color(),
                    alpha=0.2,
                )
            axis.set_title(label, fontsize=9)
            axis.set_xlabel("G step")
            axis.legend(fontsize=8)
        for axis in list(axes.flat)[len(panels) :]:
            axis.axis("off")
        figure.suptitle(f"{title}; shaded: range over seeds", fontsize=10)
        figure.tight_layout()
        path = os.path.join(out_dir, file_name)
        figure.savefig(path, dpi=90)
        plt.close(figure)
        paths.append(path)
    return paths


def table(curves, step=None):
    """Markdown: each curve's value per arm at `step` (default: the last
    step that every arm has scored), mean over seeds and range."""
    arms = list(dict.fromkeys(a for c in curves.values() for a in c))
    if not arms:
        return "No checkpoint scored yet.\n"
    if step is None:
        shared = None
        for line in curves.get("auroc/average", {}).values():
            shared = set(line["steps"]) if shared is None else (
                shared & set(line["steps"]))  # fmt: skip
        if not shared:
            return "No step is scored for every arm yet.\n"
        step = max(shared)
    lines = [
        f"Step {step}; mean over seeds [lowest, highest] (seeds).\n",
        "| curve | " + " | ".join(arms) + " |",
        "| --- |" + " ---: |" * len(arms),
    ]
    for name in sorted(curves):
        cells = []
        for arm in arms:
            line = curves[name].get(arm)
            if line is None or step not in line["steps"]:
                cells.append("-")
                continue
            i = line["steps"].index(step)
            cells.append(
                f"{line['mean'][i]:.3f} [{line['low'][i]:.3f}, "
                f"{line['high'][i]:.3f}] ({line['seeds'][i]})"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(runs_dir, arms, seeds, out_dir, settings=None):
    """Curves (PNGs), `curves.json` and `table.md` into `out_dir`."""
    curves = curve_data(runs_dir, arms, seeds, settings)
    os.makedirs(out_dir, exist_ok=True)
    paths = write_curves(curves, out_dir)
    with open(os.path.join(out_dir, "curves.json"), "w") as file:
        json.dump(curves, file, indent=1)
    text = table(curves)
    with open(os.path.join(out_dir, "table.md"), "w") as file:
        file.write(text)
    return curves, paths + [os.path.join(out_dir, n)
                            for n in ("curves.json", "table.md")]  # fmt: skip


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

    cli.run_command(_options(), main, "nda_tf.experiments.real_study")
