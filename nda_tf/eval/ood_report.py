"""Writes an anomaly-detection report: tables, pictures and TensorBoard.

`write(report, out_dir)` produces in `out_dir`:

- `ood.md` and `ood.csv`: AUROC, image count and mean score per set, the
  group means and the average;
- `roc.png`: ROC curves (in-distribution = positive class);
- `scores.png`: histograms of D(x), in-distribution against each entry;
- `difference.png`: the histogram of D(x) - D(T(x)) when the report has one
  (paper Figure 4);
- TensorBoard events (the same pictures, score histograms and AUROC
  scalars) when `tensorboard=True`.

The figures are bare `matplotlib.figure.Figure`s, which render with Agg
when saved: no pyplot, so the user's matplotlib backend is never changed.
"""

import io
import os

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from nda_tf.eval import ood as ood_lib

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
    if report.differences is not None:
        figures["difference"] = difference_figure(
            report.differences, report.transform
        )
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
            fpr, tpr = ood_lib.roc_curve(report.in_scores, scores)
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


def difference_figure(differences, transform):
    """Histogram of D(x) - D(T(x)) (paper Figure 4)."""
    figure = Figure(figsize=(5, 3.5))
    axes = figure.subplots()
    axes.hist(differences, _BINS, color="tab:purple", alpha=0.8)
    axes.axvline(0, color="k", lw=0.8)
    share = float(np.mean(np.asarray(differences) > 0))
    axes.set_title(
        f"D(x) - D({transform}(x)): mean {np.mean(differences):.3f}, "
        f"{share:.0%} > 0",
        fontsize=9,
    )
    axes.set_xlabel("score difference")
    axes.set_ylabel("images")
    figure.tight_layout()
    return figure


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
        if report.differences is not None:
            tf.summary.histogram("score_difference", report.differences)
        for name, figure in figures.items():
            image = tf.image.decode_png(_png(figure), channels=4)
            tf.summary.image(f"ood/{name}", image[None])
    writer.close()


def _tag(name):
    # TensorBoard tags allow [A-Za-z0-9_./-]; folder paths need cleaning.
    return "".join(c if c.isalnum() or c in "_.-/" else "_" for c in name)
