"""Curves and tables of the real-image study
(`nda_tf.experiments.real_study`) from its cached checkpoint scores:
plain vs NDA over training, with the seeds' range (`write_report`).
"""

import json
import os

import numpy as np

from nda_tf.experiments.real_study_scores import (
    TRANSFORMS,
    checkpoint_steps,
    read_score,
    run_dir,
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
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(
        1, len(grids), figsize=(3.2 * len(grids), 3.5), squeeze=False
    )
    runs = sorted(grids.items())
    for axis, (name, (step, path)) in zip(axes.flat, runs, strict=True):
        axis.imshow(plt.imread(path))
        axis.set_title(f"{name}, step {step}", fontsize=9)
        axis.axis("off")
    figure.tight_layout()
    out = os.path.join(out_dir, "samples.png")
    figure.savefig(out, dpi=90)
    plt.close(figure)
    return out


def write_report(runs_dir, arms, seeds, out_dir, settings=None):
    """Curves (PNGs), the runs' sample grids (`samples.png`),
    `curves.json` and `table.md` into `out_dir`."""
    curves = curve_data(runs_dir, arms, seeds, settings)
    os.makedirs(out_dir, exist_ok=True)
    paths = write_curves(curves, out_dir)
    samples = write_samples(sample_grids(runs_dir, arms, seeds), out_dir)
    paths += [samples] if samples else []
    with open(os.path.join(out_dir, "curves.json"), "w") as file:
        json.dump(curves, file, indent=1)
    text = table(curves)
    with open(os.path.join(out_dir, "table.md"), "w") as file:
        file.write(text)
    return curves, paths + [os.path.join(out_dir, n)
                            for n in ("curves.json", "table.md")]  # fmt: skip
