"""Anomaly detection with a GAN discriminator (paper Section 5, Table 5).

The in-distribution test images are the positives, each OOD set the
negatives, and the discriminator's logit the score: AUROC 1 means every
in-distribution image scores above every OOD image, 0.5 chance, 0 the
reverse. Sets that form a group (the 19 CIFAR-10-C corruptions) are
averaged into one entry, and the average over all entries (a group counting
once) is reported too.

With a stand-in discriminator that scores the mean pixel, bright
in-distribution images and a dark OOD set:

    >>> D = keras.Sequential(
    ...     [keras.Input((4, 4, 1)), keras.layers.GlobalAveragePooling2D()]
    ... )
    >>> bright = np.full([3, 4, 4, 1], 0.5, "float32")
    >>> report = evaluate(D, bright, {"dark": -bright, "same": bright})
    >>> report.aurocs
    {'dark': 1.0, 'same': 0.5}
    >>> print(report.to_markdown())
    | OOD set | AUROC | FPR@95%TPR | AUPR-in | AUPR-out | images | mean D(x) |
    | --- | ---: | ---: | ---: | ---: | ---: | ---: |
    | (in-distribution) | - | - | - | - | 3 | 0.5000 |
    | dark | 1.0000 | 0.0000 | 1.0000 | 1.0000 | 3 | -0.5000 |
    | same | 0.5000 | 1.0000 | 0.5000 | 0.5000 | 3 | 0.5000 |
    | average | 0.7500 | 0.5000 | 0.7500 | 0.7500 | - | - |
    <BLANKLINE>

Besides AUROC (the paper's Table 5), each set gets the false positive rate
at 95% true positive rate (the share of OOD images scored above the
threshold that keeps 95% of the in-distribution images) and the areas
under the precision-recall curves with the in-distribution images as the
positive class (AUPR-in) and with the OOD images as positive (AUPR-out),
as in Hendrycks & Gimpel (2017).
"""

import collections

import numpy as np

from nda_tf import extras
from nda_tf.eval.ood import scoring
from nda_tf.eval.ood import sets as sets_lib

Row = collections.namedtuple(
    "Row",
    ["name", "auroc", "num_images", "mean", "fpr95", "aupr_in", "aupr_out"],
)
Row.__doc__ = """One line of the report: a set, a group mean or the average.

Fields: name, auroc, num_images (None for summary rows), mean (mean
discriminator score of the set; None for summary rows), fpr95, aupr_in,
aupr_out (None for the in-distribution row).
"""
AVERAGE = "average"
# The per-set measures, in table order: name -> function(in, ood scores).
MEASURES = ("auroc", "fpr95", "aupr_in", "aupr_out")
TPR_LEVEL = 0.95


def auroc(in_scores, ood_scores):
    """Area under the ROC curve, in-distribution as the positive class.

    Args:
        in_scores: scores of in-distribution images (higher = more normal).
        ood_scores: scores of out-of-distribution images.

    Returns:
        float in [0, 1]: the probability that a random in-distribution image
        scores higher than a random OOD image (ties count half).
    """
    with extras.needs("ood", __name__):
        from sklearn import metrics  # slow to import; only needed here

    labels, scores = _labelled(in_scores, ood_scores)
    return float(metrics.roc_auc_score(labels, scores))


def fpr_at_tpr(in_scores, ood_scores, tpr_level=TPR_LEVEL):
    """False positive rate at the first ROC point whose true positive rate
    reaches `tpr_level` (in-distribution = positive): the share of OOD
    images that a threshold keeping `tpr_level` of the in-distribution
    images lets through. Lower is better; 0 is perfect."""
    fpr, tpr = roc_curve(in_scores, ood_scores)
    return float(fpr[np.searchsorted(tpr, tpr_level, side="left")])


def aupr(in_scores, ood_scores, positive="in"):
    """Area under the precision-recall curve (average precision), with the
    in-distribution (`positive="in"`) or the OOD images (`"out"`, scores
    negated) as the positive class."""
    with extras.needs("ood", __name__):
        from sklearn import metrics

    labels, scores = _labelled(in_scores, ood_scores)
    if positive == "out":
        labels, scores = 1 - labels, -scores
    elif positive != "in":
        raise ValueError(
            f"positive must be 'in' or 'out'; received {positive!r}"
        )
    return float(metrics.average_precision_score(labels, scores))


def measures(in_scores, ood_scores):
    """`{measure: value}` for every name of `MEASURES`."""
    return {
        "auroc": auroc(in_scores, ood_scores),
        "fpr95": fpr_at_tpr(in_scores, ood_scores),
        "aupr_in": aupr(in_scores, ood_scores, "in"),
        "aupr_out": aupr(in_scores, ood_scores, "out"),
    }


def roc_curve(in_scores, ood_scores):
    """`(false_positive_rate, true_positive_rate)` arrays of the ROC curve,
    where a positive is an in-distribution image."""
    with extras.needs("ood", __name__):
        from sklearn import metrics

    labels, scores = _labelled(in_scores, ood_scores)
    fpr, tpr, _ = metrics.roc_curve(labels, scores)
    return fpr, tpr


def _labelled(in_scores, ood_scores):
    in_scores = check_scores("in_scores", in_scores)
    ood_scores = check_scores("ood_scores", ood_scores)
    labels = np.concatenate(
        [np.ones(len(in_scores)), np.zeros(len(ood_scores))]
    )
    return labels, np.concatenate([in_scores, ood_scores])


def check_scores(name, scores):
    """`scores` as a float64 array; a ValueError unless 1-D, non-empty and
    finite."""
    scores = np.asarray(scores, np.float64)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array; received shape "
            f"{scores.shape}"
        )
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return scores


class OODReport:
    """Scores and AUROCs of one in-distribution set against OOD sets.

    Args:
        in_scores: float array, scores of the in-distribution images.
        ood_scores: dict `{set name: float array}`, in evaluation order.
        groups: dict `{set name: group name or None}`.
        differences: optional float array `D(x) - D(T(x))`, or a dict
            `{name of T: array}` for several transforms.
        transform: name of `T` when `differences` is an array.
    """

    def __init__(
        self,
        in_scores,
        ood_scores,
        groups=None,
        differences=None,
        transform=None,
    ):
        self.in_scores = check_scores("in_scores", in_scores)
        self.ood_scores = {
            name: check_scores(name, scores)
            for name, scores in ood_scores.items()
        }
        self.groups = {name: None for name in self.ood_scores}
        self.groups.update(groups or {})
        if differences is None:
            differences = {}
        elif not isinstance(differences, dict):
            differences = {transform or "T": differences}
        self.all_differences = {
            name: np.asarray(values, np.float64)
            for name, values in differences.items()
        }
        # The first transform, for code that shows one histogram.
        first = next(iter(self.all_differences.items()), (None, None))
        self.transform, self.differences = first
        self.measures = {
            name: measures(self.in_scores, scores)
            for name, scores in self.ood_scores.items()
        }
        self.aurocs = {
            name: values["auroc"] for name, values in self.measures.items()
        }

    def by_entry(self, values):
        """`{entry: [values[name] of each of its sets]}`, for `values` keyed
        by set name: a set outside any group is an entry, a group one."""
        members = {}
        for name, value in values.items():
            members.setdefault(self.groups[name] or name, []).append(value)
        return members

    def entries(self, measure="auroc"):
        """`{entry: value}` of `measure` (one of `MEASURES`): each ungrouped
        set, and each group's mean."""
        values = {name: m[measure] for name, m in self.measures.items()}
        members = self.by_entry(values)
        return {entry: float(np.mean(v)) for entry, v in members.items()}

    @property
    def average(self):
        """Mean AUROC over `entries()` (a group counts once)."""
        return self.averages()["auroc"]

    def averages(self):
        """`{measure: mean over entries()}` (a group counts once)."""
        return {
            measure: float(np.mean(list(self.entries(measure).values())))
            for measure in MEASURES
        }

    def difference_statistics(self):
        """`{transform: {"median", "mean", "std", "share_positive",
        "count"}}` of `D(x) - D(T(x))` for every transform scored."""
        return {
            name: {
                "median": float(np.median(values)),
                "mean": float(np.mean(values)),
                "std": float(np.std(values)),
                "share_positive": float(np.mean(values > 0)),
                "count": int(values.size),
            }
            for name, values in self.all_differences.items()
        }

    def to_dict(self):
        """Everything but the raw scores, JSON-able: per set, per entry (a
        group's mean), the averages and the difference statistics."""
        entries = {
            entry: {m: self.entries(m)[entry] for m in MEASURES}
            for entry in self.entries()
        }
        return {
            "in_distribution": {
                "num_images": int(self.in_scores.size),
                "mean": float(np.mean(self.in_scores)),
            },
            "sets": {
                name: dict(
                    self.measures[name],
                    num_images=int(scores.size),
                    mean=float(np.mean(scores)),
                    group=self.groups[name],
                )
                for name, scores in self.ood_scores.items()
            },
            "entries": entries,
            "average": self.averages(),
            "differences": self.difference_statistics(),
        }

    def rows(self):
        """Report rows: every set, then each group mean, then the average."""
        rows = [
            Row("(in-distribution)", None, len(self.in_scores),
                float(np.mean(self.in_scores)), None, None, None)
        ]  # fmt: skip
        for name, scores in self.ood_scores.items():
            values = self.measures[name]
            rows.append(
                Row(
                    name,
                    values["auroc"],
                    len(scores),
                    float(np.mean(scores)),
                    values["fpr95"],
                    values["aupr_in"],
                    values["aupr_out"],
                )
            )
        entries = {m: self.entries(m) for m in MEASURES}
        for group in dict.fromkeys(g for g in self.groups.values() if g):
            count = sum(g == group for g in self.groups.values())
            rows.append(
                Row(
                    f"{group} (mean of {count})",
                    entries["auroc"][group],
                    None,
                    None,
                    *(entries[m][group] for m in MEASURES[1:]),
                )
            )
        averages = self.averages()
        rows.append(
            Row(AVERAGE, averages["auroc"], None, None,
                *(averages[m] for m in MEASURES[1:]))
        )  # fmt: skip
        return rows

    def to_markdown(self):
        """The report as a markdown table."""
        lines = [
            "| OOD set | AUROC | FPR@95%TPR | AUPR-in | AUPR-out | images "
            "| mean D(x) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in self.rows():
            cells = [
                row.name,
                *(_fmt(v, ".4f") for v in _measures(row)),
                _fmt(row.num_images, "d"),
                _fmt(row.mean, ".4f"),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def to_csv(self):
        """The report as CSV text (empty fields for missing values)."""
        lines = ["ood_set,auroc,num_images,mean_score,fpr95,aupr_in,aupr_out"]
        for row in self.rows():
            values = [
                _fmt(row.auroc, ".6f", ""),
                _fmt(row.num_images, "d", ""),
                _fmt(row.mean, ".6f", ""),
                *(_fmt(v, ".6f", "") for v in _measures(row)[1:]),
            ]
            lines.append(",".join([_csv_field(row.name)] + values))
        return "\n".join(lines) + "\n"


def _measures(row):
    return (row.auroc, row.fpr95, row.aupr_in, row.aupr_out)


def _fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def _csv_field(text):
    if any(c in text for c in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def evaluate(
    discriminator,
    in_data,
    ood_sets,
    label=scoring.LABEL_MAX,
    num_classes=None,
    batch_size=256,
    num_images=None,
    transform=None,
    seed=0,
    progress=False,
    cache_dir=None,
    paired=None,
):
    """Scores in-distribution and OOD images and computes their AUROCs.

    Args:
        discriminator: a Keras discriminator (see
            `scoring.DiscriminatorScorer`).
        in_data: in-distribution test images: array or dataset.
        ood_sets: a list of `ood_sets.OODSet`, or a dict `{name: data}`.
        label: see `DiscriminatorScorer`.
        num_classes: see `DiscriminatorScorer`.
        batch_size: see `DiscriminatorScorer`.
        num_images: optional int, images scored per set (default: all).
        transform: optional `T` for the histogram of `D(x) - D(T(x))` over
            the in-distribution images, e.g. "jigsaw", "corrupt:snow_5"
            (computed here) or "cifar10_corrupted/snow_5" (tfds CIFAR-10-C,
            see `paired`; others: `DiscriminatorScorer.score_difference`),
            or several: a
            list or a comma-separated string
            ("corrupt:gaussian_noise_5,corrupt:speckle_noise_5").
        seed: int, seed of `T`.
        progress: bool, show a progress bar per set.
        cache_dir: optional cache of corrupted images: a `corrupt:` T is
            the `ood_sets.corrupted` set of the in-distribution images,
            computed once (or reused from an OOD set of the same name) and
            paired image by image.
        paired: optional `{name: dataset}` of sets whose image i is a
            corrupted copy of in-distribution image i, for transforms named
            `cifar10_corrupted/<name>_<severity>` (tfds CIFAR-10-C, Figure
            8) that are not among `ood_sets`; the labels must agree
            (`ood_sets.check_pairing`).

    Returns:
        An `OODReport`.
    """
    if isinstance(ood_sets, dict):
        ood_sets = [sets_lib.OODSet(n, d, None) for n, d in ood_sets.items()]
    if not ood_sets:
        raise ValueError("evaluate needs at least one OOD set")
    names = [s.name for s in ood_sets]
    if len(set(names)) != len(names):
        raise ValueError(f"OOD set names must be unique; received {names}")
    scorer = scoring.DiscriminatorScorer(
        discriminator, label, num_classes, batch_size
    )
    _say(progress, "in-distribution")
    in_scores = scorer.score(in_data, num_images, progress)
    ood_scores = {}
    for ood_set in ood_sets:
        _say(progress, ood_set.name)
        ood_scores[ood_set.name] = scorer.score(
            ood_set.data, num_images, progress
        )
    differences = {}
    in_labels = []  # read once, for every paired T
    for one in _transforms(transform):
        name = _name(one)
        _say(progress, f"D(x) - D(T(x)), T = {name}")
        if sets_lib.is_tfds_corruption(one):
            differences[name] = in_scores - _paired_scores(
                one, ood_sets, paired, ood_scores, scorer, in_data,
                in_labels, num_images, progress,
            )  # fmt: skip
        elif isinstance(one, str) and one.startswith("corrupt:"):
            differences[name] = in_scores - _corrupt_scores(
                one, ood_scores, scorer, in_data, num_images, seed, cache_dir,
                progress,
            )  # fmt: skip
        else:
            differences[name] = scorer.score_difference(
                in_data, one, num_images, seed, progress
            )
    return OODReport(
        in_scores, ood_scores, {s.name: s.group for s in ood_sets}, differences
    )


def _corrupt_scores(
    name, ood_scores, scorer, in_data, num_images, seed, cache_dir, progress
):
    """D of the corrupted in-distribution images, in their order."""
    if name in ood_scores:  # the OOD set of the same name: same images
        return ood_scores[name]
    corruption = sets_lib.parse_corruption(name[len("corrupt:") :])
    data = sets_lib.corrupted(in_data, *corruption, seed, cache_dir)
    return scorer.score(data, num_images, progress)


def _paired_scores(
    name,
    ood_sets,
    paired,
    ood_scores,
    scorer,
    in_data,
    in_labels,
    num_images,
    progress,
):
    """D of the CIFAR-10-C copies of the in-distribution images, in their
    order, after checking that the copies pair with them by label.
    `in_labels` is a list holding the in-distribution labels once read."""
    sets = {s.name: s.data for s in ood_sets}
    data = sets.get(name, (paired or {}).get(name))
    if data is None:
        raise ValueError(
            f"transform {name}: load that set (pass it in paired=) or use "
            f"corrupt:{name.partition('/')[2]} to compute it here"
        )
    if not in_labels:
        in_labels.append(sets_lib.labels_of(in_data))
    labels = sets_lib.labels_of(data)
    count = len(in_labels[0]) if num_images is None else num_images
    sets_lib.check_pairing(in_labels[0][:count], labels[:count], name)
    if name in ood_scores:  # the OOD set of the same name: same images
        return ood_scores[name]
    return scorer.score(data, num_images, progress)


def _transforms(transform):
    """None, one transform, a list, or a comma-separated string -> list."""
    if transform is None:
        return []
    if isinstance(transform, str):
        return [
            t.strip() for t in sets_lib.split_top_level(transform) if t.strip()
        ]
    if isinstance(transform, (list, tuple)):
        return list(transform)
    return [transform]


def _name(transform):
    return (
        transform
        if isinstance(transform, str)
        else getattr(transform, "name", type(transform).__name__)
    )


def _say(enabled, text):
    if enabled:
        print(f"Scoring {text}", flush=True)
