"""Curves and tables of the real-image study
(`nda_tf.studies.real_study`) from its cached checkpoint scores:
plain vs NDA over training, with the seeds' range (`write_report`).
"""

import json
import os

import numpy as np

from nda_tf import extras
from nda_tf.studies.real_study.scores import (
    TRANSFORMS,
    read_score,
    run_dir,
    scored_steps,
)

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


def seed_values(runs_dir, arms, seeds, settings=None):
    """`{curve: {arm: {seed: {step: value}}}}`: every cached score (under
    `settings`, when given), one value per run and scored step, whether
    or not the checkpoint is still there."""
    values = {}
    for arm in arms:
        for seed in seeds:
            logdir = run_dir(runs_dir, arm, seed)
            for step in scored_steps(logdir, settings):
                record = read_score(logdir, step, settings)
                if record is None:
                    continue
                for name, value in point_values(record).items():
                    runs = values.setdefault(name, {}).setdefault(arm, {})
                    runs.setdefault(int(seed), {})[step] = float(value)
    return values


def curve_data(runs_dir, arms, seeds, settings=None):
    """`{curve: {arm: {"steps", "mean", "low", "high", "seeds"}}}` from the
    cached scores (under `settings`, when given).

    At each step the mean, lowest and highest value over the seeds scored
    there; `seeds` counts them. Arms and curves without any score are
    left out.
    """
    return curves_of(seed_values(runs_dir, arms, seeds, settings))


def curves_of(values):
    """`curve_data` from `seed_values`' output."""
    curves = {}
    for name, by_arm in values.items():
        for arm, by_seed in by_arm.items():
            points = {}
            for by_step in by_seed.values():
                for step, value in by_step.items():
                    points.setdefault(step, []).append(value)
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


def _figure(rows, columns, size):
    """A figure and its `[rows, columns]` axes. A bare `Figure` renders
    with Agg when saved: the user's matplotlib backend stays as it was."""
    with extras.needs("studies", __name__):
        from matplotlib.figure import Figure

    figure = Figure(figsize=size)
    return figure, figure.subplots(rows, columns, squeeze=False)


def draw_arms(axis, lines):
    """One line per arm (`{arm: curve_data line}`): the mean over seeds,
    the seeds' range shaded in the line's colour."""
    for arm, line in lines.items():
        (drawn,) = axis.plot(line["steps"], line["mean"], marker=".", label=arm)
        axis.fill_between(
            line["steps"],
            line["low"],
            line["high"],
            color=drawn.get_color(),
            alpha=0.2,
        )


def write_curves(curves, out_dir):
    """One PNG per entry of `FIGURES`: a panel per curve, a line per arm
    (mean over seeds) with the seeds' range shaded. Returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for file_name, title, panels in FIGURES:
        panels = [(c, label) for c, label in panels if c in curves]
        if not panels:
            continue
        columns = min(3, len(panels))
        rows = -(-len(panels) // columns)
        figure, axes = _figure(rows, columns, (4.2 * columns, 3.2 * rows))
        for axis, (curve, label) in zip(axes.flat, panels, strict=False):
            draw_arms(axis, curves[curve])
            axis.set_title(label, fontsize=9)
            axis.set_xlabel("G step")
            axis.legend(fontsize=8)
        for axis in list(axes.flat)[len(panels) :]:
            axis.axis("off")
        figure.suptitle(f"{title}; shaded: range over seeds", fontsize=10)
        figure.tight_layout()
        path = os.path.join(out_dir, file_name)
        figure.savefig(path, dpi=90)
        paths.append(path)
    return paths


def corruption_names(curves):
    """The corruptions with a curve, sorted by name."""
    prefix = "corruption/"
    return sorted(c[len(prefix) :] for c in curves if c.startswith(prefix))


def write_corruptions(curves, out_dir, step=None):
    """`corruptions.png`: each corruption's AUROC per arm at `step`
    (default: `last_shared_step`; not drawn without one), bars at the
    seeds' mean with their range; `corruption_curves.png`: each
    corruption's AUROC over training. Returns the paths written (none
    without corruption curves)."""
    names = corruption_names(curves)
    if not names:
        return []
    lines = {name: curves[f"corruption/{name}"] for name in names}
    step = last_shared_step(curves) if step is None else step
    figures = []
    if step is not None:
        figures.append(("corruptions.png", _corruption_bars(lines, step)))
    figures.append(("corruption_curves.png", _corruption_curves(lines)))
    paths = []
    for file_name, figure in figures:
        paths.append(os.path.join(out_dir, file_name))
        figure.savefig(paths[-1], dpi=90)
    return paths


def _at(line, step, key):
    """`line[key]` at `step`, NaN where the line has no point there."""
    if line is None or step not in line["steps"]:
        return np.nan
    return line[key][line["steps"].index(step)]


def _corruption_bars(lines, step):
    """Horizontal bars per corruption (`{name: {arm: line}}`), one per arm,
    at `step`; whiskers span the seeds."""
    names = list(lines)
    arms = list(dict.fromkeys(a for by_arm in lines.values() for a in by_arm))
    figure, axes = _figure(1, 1, (7, 0.32 * len(names) + 1.2))
    axis = axes[0, 0]
    height = 0.8 / len(arms)
    for k, arm in enumerate(arms):
        mean, low, high = (
            np.array([_at(lines[n].get(arm), step, key) for n in names])
            for key in ("mean", "low", "high")
        )
        rows = np.arange(len(names)) + k * height
        axis.barh(rows, mean, height, xerr=[mean - low, high - mean], label=arm)
    axis.axvline(0.5, color="gray", linewidth=0.8, linestyle="--")
    axis.set_yticks(np.arange(len(names)) + 0.4 - height / 2)
    axis.set_yticklabels(names, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.set_xlabel(
        "AUROC (held-out vs corrupted; < 0.5: D prefers the corrupted image)"
    )
    axis.set_title(
        f"step {step}; bars: mean over seeds, whiskers: range", fontsize=9
    )
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _corruption_curves(lines, columns=5):
    """A panel per corruption (`{name: {arm: line}}`) over training."""
    rows = -(-len(lines) // columns)
    figure, axes = _figure(rows, columns, (3.0 * columns, 2.3 * rows))
    for axis, (name, by_arm) in zip(axes.flat, lines.items(), strict=False):
        draw_arms(axis, by_arm)
        axis.axhline(0.5, color="gray", linewidth=0.8, linestyle="--")
        axis.set_ylim(0, 1)
        axis.set_title(name, fontsize=8)
        axis.tick_params(labelsize=7)
    for axis in list(axes.flat)[len(lines) :]:
        axis.axis("off")
    axes.flat[0].legend(fontsize=7)
    figure.suptitle(
        "AUROC per corruption over G steps; shaded: range over seeds",
        fontsize=10,
    )
    figure.tight_layout()
    return figure


def last_shared_step(curves, curve="auroc/average"):
    """The last step at which every arm has `curve` from as many seeds as
    any arm has anywhere (a full point), or None."""
    lines = list(curves.get(curve, {}).values())
    if not lines:
        return None
    full = max(max(line["seeds"]) for line in lines)

    def full_steps(line):
        pairs = zip(line["steps"], line["seeds"], strict=True)
        return {step for step, count in pairs if count == full}

    shared = set.intersection(*(full_steps(line) for line in lines))
    return max(shared) if shared else None


def table(curves, step=None):
    """Markdown: each curve's value per arm at `step` (default:
    `last_shared_step`), mean over seeds and range."""
    arms = list(dict.fromkeys(a for c in curves.values() for a in c))
    if not arms:
        return "No checkpoint scored yet.\n"
    step = last_shared_step(curves) if step is None else step
    if step is None:
        return "No step is scored for every arm yet.\n"
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


# The curves `comparison` pairs, by seed, against the baseline arm.
COMPARED = (
    "auroc/corrupt",
    "auroc/noise:gaussian",
    "auroc/noise:uniform",
    "auroc/nda:jigsaw",
    "auroc/nda:stitch",
    "auroc/nda:cutout",
    "gap_median/jigsaw",
    "gap_median/mixup",
    "fid",
    "precision",
    "recall",
)


def paired_differences(values, curve, arm, baseline):
    """`{step: [arm - baseline, per seed]}`: `values` (`seed_values`) of
    `curve`, paired by seed and step; pairs missing a side are left out."""
    by_seed = values.get(curve, {})
    differences = {}
    for seed, steps in sorted(by_seed.get(arm, {}).items()):
        base = by_seed.get(baseline, {}).get(seed, {})
        for step, value in steps.items():
            if step in base:
                differences.setdefault(step, []).append(value - base[step])
    return dict(sorted(differences.items()))


def comparison(values, baseline="plain", curves=COMPARED):
    """Markdown: for each other arm and each of `curves`, the paired
    difference arm - `baseline` at every step (mean over seeds and its
    range) and how many (step, seed) pairs it is above zero."""
    arms = list(dict.fromkeys(a for c in values.values() for a in c))
    if baseline not in arms:
        return f"No run of the baseline arm {baseline!r} is scored yet.\n"
    if len(arms) < 2:
        return f"Only the baseline arm {baseline!r} is scored yet.\n"
    lines = []
    for arm in (a for a in arms if a != baseline):
        lines += [
            f"{arm} - {baseline}, paired by seed: mean [lowest, highest] "
            "of the difference at each step; last column: pairs where "
            f"{arm} is higher.\n",
            "| curve | steps | differences | higher |",
            "| --- | --- | --- | ---: |",
        ]
        for curve in curves:
            differences = paired_differences(values, curve, arm, baseline)
            if not differences:
                continue
            cells = "; ".join(
                f"{step}: {np.mean(d):+.3f} [{min(d):+.3f}, {max(d):+.3f}]"
                for step, d in differences.items()
            )
            pairs = [x for d in differences.values() for x in d]
            higher = sum(x > 0 for x in pairs)
            first, last = min(differences), max(differences)
            span = f"{first}-{last}" if last > first else f"{first}"
            lines.append(
                f"| {curve} | {span} | {cells} | {higher} of {len(pairs)} |"
            )
        lines.append("")
    return "\n".join(lines)


def sample_grids(runs_dir, arms, seeds):
    """`{run name: (step, path)}`: each run's sample grid (written by the
    GAN recipe at the end of every turn, `samples/step_<step>.png`) at the
    latest step that every run has, so that the grids compare like with
    like; each run's latest when they share none. Runs without grids are
    left out."""
    found = {}
    for arm in arms:
        for seed in seeds:
            folder = os.path.join(run_dir(runs_dir, arm, seed), "samples")
            names = os.listdir(folder) if os.path.isdir(folder) else []
            steps = sorted(
                int(n[len("step_") : -len(".png")])
                for n in names
                if n.startswith("step_") and n.endswith(".png")
            )
            if steps:
                found[f"{arm}_s{int(seed)}"] = (folder, steps)
    shared = (
        set.intersection(*(set(s) for _, s in found.values()))
        if found
        else set()
    )
    grids = {}
    for name, (folder, steps) in found.items():
        step = max(shared) if shared else steps[-1]
        grids[name] = (step, os.path.join(folder, f"step_{step:07d}.png"))
    return grids


def write_samples(grids, out_dir):
    """`samples.png`: the grids of `sample_grids` side by side, each
    titled with its run and step. Returns its path, or None without
    grids."""
    if not grids:
        return None
    with extras.needs("studies", __name__):
        from matplotlib.image import imread

    figure, axes = _figure(1, len(grids), (3.2 * len(grids), 3.5))
    runs = sorted(grids.items())
    for axis, (name, (step, path)) in zip(axes.flat, runs, strict=True):
        axis.imshow(imread(path))
        axis.set_title(f"{name}, step {step}", fontsize=9)
        axis.axis("off")
    figure.tight_layout()
    out = os.path.join(out_dir, "samples.png")
    figure.savefig(out, dpi=90)
    return out


def write_report(runs_dir, arms, seeds, out_dir, settings=None):
    """Curves (PNGs, per corruption too), the runs' sample grids
    (`samples.png`), `curves.json`, `table.md` and the paired
    `comparison.md` into `out_dir`."""
    values = seed_values(runs_dir, arms, seeds, settings)
    curves = curves_of(values)
    os.makedirs(out_dir, exist_ok=True)
    paths = write_curves(curves, out_dir) + write_corruptions(curves, out_dir)
    samples = write_samples(sample_grids(runs_dir, arms, seeds), out_dir)
    paths += [samples] if samples else []
    with open(os.path.join(out_dir, "curves.json"), "w") as file:
        json.dump(curves, file, indent=1)
    text = table(curves)
    with open(os.path.join(out_dir, "table.md"), "w") as file:
        file.write(text)
    with open(os.path.join(out_dir, "comparison.md"), "w") as file:
        file.write(comparison(values, baseline=baseline_arm(arms)))
    return curves, paths + [
        os.path.join(out_dir, n)
        for n in ("curves.json", "table.md", "comparison.md")
    ]


def baseline_arm(arms):
    """The arm the others are compared with: `plain` if there is one,
    else the first."""
    arms = list(arms)
    return "plain" if "plain" in arms else arms[0]
