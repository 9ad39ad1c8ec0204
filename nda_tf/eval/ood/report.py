"""Writes an anomaly-detection report: tables, pictures and TensorBoard.

`write(report, out_dir)` produces in `out_dir`:

- `ood.md` and `ood.csv`: AUROC, image count and mean score per set, the
  group means and the average;
- `roc.png`: ROC curves (in-distribution = positive class);
- `scores.png`: histograms of D(x), in-distribution against each entry;
- `difference.png`: the histogram of D(x) - D(T(x)) when the report has one,
  a panel per transform T (paper Figures 4 and 8);
- `differences.json` beside it: median, mean, std and share > 0 of
  D(x) - D(T(x)) per transform, and `differences.npz`: the values, from
  which `overlay_figure` draws plain and NDA runs together (Figure 8);
- `ood.json`: every measure per set and entry, and the averages (what
  `python -m nda_tf.experiments.gather` tabulates);
- TensorBoard events (the same pictures, score histograms and AUROC
  scalars) when `tensorboard=True`.

The figures are bare `matplotlib.figure.Figure`s, which render with Agg
when saved: no pyplot, so the user's matplotlib backend is never changed.
"""

import io
import json
import os
import re

import numpy as np

from nda_tf import extras
from nda_tf.eval.ood import detection

with extras.needs("ood", __name__):
    import matplotlib
    from matplotlib.figure import Figure

_BINS = 50


def write(report, out_dir, step=0, tensorboard=True, title=None):
    """Writes every output of `report` to `out_dir`; returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {
        "markdown": os.path.join(out_dir, "ood.md"),
        "csv": os.path.join(out_dir, "ood.csv"),
    }
    with open(paths["markdown"], "w") as f:
        if title:
            f.write(f"# {title}\n\n")
        f.write(report.to_markdown())
    with open(paths["csv"], "w") as f:
        f.write(report.to_csv())
    paths["json"] = os.path.join(out_dir, "ood.json")
    _write_json(paths["json"], dict(report.to_dict(), title=title, step=step))
    if report.all_differences:
        paths["differences"] = os.path.join(out_dir, "differences.json")
        _write_json(paths["differences"], report.difference_statistics())
        paths["difference_values"] = os.path.join(out_dir, "differences.npz")
        np.savez(
            paths["difference_values"],
            **{_key(name): v for name, v in report.all_differences.items()},
        )
    figures = figures_of(report)
    for name, figure in figures.items():
        paths[name] = os.path.join(out_dir, f"{name}.png")
        figure.savefig(paths[name], dpi=100)
    if tensorboard:
        _write_tensorboard(report, figures, out_dir, step)
    return paths


def figures_of(report):
    """`{name: matplotlib Figure}`: "roc", "scores" and, with a transform,
    "difference"."""
    figures = {"roc": roc_figure(report), "scores": scores_figure(report)}
    if report.all_differences:
        figures["difference"] = differences_figure(report.all_differences)
    return figures


def roc_figure(report):
    """ROC curves; the members of a group are drawn thin in one colour."""
    figure = Figure(figsize=(5.5, 5))
    axes = figure.subplots()
    cycle = matplotlib.rcParams["axes.prop_cycle"]
    colours = iter(cycle.by_key()["color"] * 10)
    entries = report.entries()
    names = report.by_entry({name: name for name in report.ood_scores})
    for entry, members in names.items():
        colour, grouped = next(colours), members != [entry]
        label = f"{entry} ({'mean ' if grouped else ''}{entries[entry]:.3f})"
        style = {"lw": 0.7, "alpha": 0.6} if grouped else {}
        for index, name in enumerate(members):
            scores = report.ood_scores[name]
            fpr, tpr = detection.roc_curve(report.in_scores, scores)
            axes.plot(
                fpr, tpr, color=colour, label=None if index else label, **style
            )
    axes.plot([0, 1], [0, 1], "k:", lw=0.8)
    axes.set_xlabel("false positive rate (OOD scored as normal)")
    axes.set_ylabel("true positive rate (normal scored as normal)")
    axes.set_title(f"ROC, average AUROC {report.average:.3f}")
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    return figure


def scores_figure(report):
    """One panel per entry: its D(x) histogram over the in-distribution
    one; a group's members are pooled."""
    pooled = report.by_entry(report.ood_scores)
    pooled = {k: np.concatenate(v) for k, v in pooled.items()}
    columns = min(3, len(pooled))
    rows = -(-len(pooled) // columns)
    figure = Figure(figsize=(4 * columns, 3 * rows))
    grid = figure.subplots(rows, columns, squeeze=False)
    entries = report.entries()
    for axes, (name, scores) in zip(grid.flat, pooled.items(), strict=False):
        both = np.concatenate([report.in_scores, scores])
        bins = np.linspace(both.min(), both.max() + 1e-9, _BINS + 1)
        axes.hist(
            report.in_scores,
            bins,
            alpha=0.6,
            density=True,
            label="in-distribution",
        )
        axes.hist(scores, bins, alpha=0.6, density=True, label=name)
        kind = "mean AUROC" if name in report.groups.values() else "AUROC"
        axes.set_title(f"{name}: {kind} {entries[name]:.3f}", fontsize=9)
        axes.set_xlabel("D(x)")
        axes.legend(fontsize=7)
    for axes in list(grid.flat)[len(pooled) :]:
        axes.axis("off")
    figure.tight_layout()
    return figure


def differences_figure(differences):
    """One panel per transform: the histogram of D(x) - D(T(x)).

    Args:
        differences: `{name of T: array}`.
    """
    return overlay_figure({None: differences})


def overlay_figure(runs, transforms=None):
    """Histograms of D(x) - D(T(x)) of several runs overlaid, a panel per
    transform: the paper's Figure 8 (plain and NDA BigGAN, D(clean) -
    D(corrupt) for Gaussian noise, speckle noise and JPEG compression).

    Args:
        runs: `{label: {name of T: array}}` (label None: a single run).
        transforms: the panels, in order; default: every transform of the
            first run.
    """
    runs = {label: dict(values) for label, values in runs.items()}
    if not runs:
        raise ValueError("overlay_figure needs at least one run")
    transforms = list(transforms or next(iter(runs.values())))
    for label, values in runs.items():
        missing = [t for t in transforms if t not in values]
        if missing:
            raise ValueError(
                f"run {label!r} has no D(x) - D(T(x)) for {missing}; it has "
                f"{sorted(values)}"
            )
    columns = min(3, len(transforms))
    rows = -(-len(transforms) // columns)
    figure = Figure(figsize=(4.5 * columns, 3.5 * rows))
    grid = figure.subplots(rows, columns, squeeze=False)
    for axes, name in zip(grid.flat, transforms, strict=False):
        pooled = np.concatenate([np.ravel(v[name]) for v in runs.values()])
        bins = np.linspace(pooled.min(), pooled.max() + 1e-9, _BINS + 1)
        lines = []
        for label, values in runs.items():
            data = np.asarray(values[name])
            share = float(np.mean(data > 0))
            summary = f"median {np.median(data):.3g}, {share:.0%} > 0"
            axes.hist(
                data,
                bins,
                alpha=0.55 if len(runs) > 1 else 0.8,
                color=None if len(runs) > 1 else "tab:purple",
                label=f"{label}: {summary}" if label is not None else None,
            )
            lines.append(summary)
        axes.axvline(0, color="k", lw=0.8)
        title = f"D(x) - D({name}(x))"
        if len(runs) == 1:
            title += f": {lines[0]}"
        axes.set_title(title, fontsize=9)
        axes.set_xlabel("score difference")
        axes.set_ylabel("images")
        if len(runs) > 1:
            axes.legend(fontsize=7)
    for axes in list(grid.flat)[len(transforms) :]:
        axes.axis("off")
    figure.tight_layout()
    return figure


def read_differences(out_dir):
    """`{name of T: array}` from the `differences.npz` that `write` left in
    `out_dir`."""
    path = os.path.join(out_dir, "differences.npz")
    if not os.path.isfile(path):
        raise ValueError(
            f"no {path}: run the OOD command with --transform on that run first"
        )
    with open(os.path.join(out_dir, "differences.json")) as file:
        names = list(json.load(file))
    with np.load(path) as values:
        return {name: values[_key(name)] for name in names}


def _key(name):
    # npz keys are file names inside a zip: keep them plain and unique.
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _write_json(path, value):
    with open(path, "w") as file:
        json.dump(value, file, indent=2)


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _write_tensorboard(report, figures, out_dir, step):
    import tensorflow as tf

    writer = tf.summary.create_file_writer(str(out_dir))
    with writer.as_default(step=step):
        for name, value in report.entries().items():
            tf.summary.scalar(f"auroc/{_tag(name)}", value)
        tf.summary.scalar("auroc/average", report.average)
        tf.summary.histogram("scores/in_distribution", report.in_scores)
        for name, scores in report.ood_scores.items():
            tf.summary.histogram(f"scores/{_tag(name)}", scores)
        for name, values in report.all_differences.items():
            tf.summary.histogram(f"score_difference/{_tag(name)}", values)
        for name, figure in figures.items():
            image = tf.image.decode_png(_png(figure), channels=4)
            tf.summary.image(f"ood/{name}", image[None])
    writer.close()


def _tag(name):
    # TensorBoard tags allow [A-Za-z0-9_./-]; folder paths need cleaning.
    return "".join(c if c.isalnum() or c in "_.-/" else "_" for c in name)
