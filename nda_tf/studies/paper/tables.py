"""The paper's tables from run directories, ours beside the paper's: GAN
runs in Tables 1, 2, 3, 5 and 8, Pix2Pix runs beside Table 4 (per-pixel /
per-class acc., mIoU), video fine-tuning runs beside Table 7 (top-1).

Every folder under the root that holds a `config.json` is a run. The
output is one markdown table per paper table (`TABLES`) and, last, a row
per run. A cell of a paper table with no run is a row with the paper's
number and empty measured cells; a cell with several runs has a row per
run.

Where the numbers come from:
- FID (and the other generative metrics): `LOGDIR/eval/metrics_*.json`
  written by `python -m nda_tf.experiments.evaluate` (the inception one
  first), else the best value recorded with the run's checkpoints
  (`best/`, else the newest checkpoint) with the backbone and image counts
  of `LOGDIR/eval/protocol.json`. Each number is printed with its backbone
  and its image counts (generated / reference); "?" where a run did not
  record them.
- AUROC, FPR at 95% TPR and AUPR (Table 5): `LOGDIR/ood/*/ood.json`
  written by `python -m nda_tf.experiments.ood`.

More tables join by appending a builder `fn(records) -> markdown` to
`TABLES`.
"""

import glob
import json
import os

from nda_tf.studies.paper import numbers as paper
from nda_tf.training.recipe import recipe_of

HEADER = (
    "| run | dataset | cond. | NDA | PDA | lam | steps | best step "
    "| {metric} (ours) | FID (paper) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)
# The NDA columns of Tables 2 and 3 (`paper.COLUMNS`) and their headings.
NDA_HEADINGS = {
    "none": "BigGAN",
    "jigsaw": "Jigsaw",
    "stitch": "Stitching",
    "mixup": "Mixup",
    "cutout": "Cutout",
    "cutmix": "Cutmix",
    "cr": "CR-BigGAN",
}
FID_COLUMNS = "FID (ours) | FID (paper) | run | backbone | images (gen. / ref.)"


def find_runs(root, recipes=None):
    """Run directories under `root` (readable `config.json`), sorted; only
    those of `recipes` (names, e.g. ("gan",)) when given."""
    found = []
    for folder, _, files in os.walk(root):
        path = os.path.join(folder, "config.json")
        config = _json(path) if "config.json" in files else None
        if config is not None and (
            recipes is None or recipe_of(config) in recipes
        ):
            found.append(folder)
    return sorted(found)


# ---------------------------------------------------------------- records


def load_record(logdir, metric="fid"):
    """What the tables need of one run: its config, its best `metric` with
    backbone and counts, and its OOD reports."""
    config = _json(os.path.join(logdir, "config.json"))
    latest = _manifest(os.path.join(logdir, "checkpoints"))
    return {
        "logdir": logdir,
        "run": os.path.basename(os.path.normpath(logdir)),
        "config": config,
        "steps": latest[-1]["step"] if latest else 0,
        "metric": measured(logdir, metric),
        "ood": ood_reports(logdir),
    }


def measured(logdir, metric="fid"):
    """`{"value", "step", "backbone", "generated", "reference", "source"}`
    of `metric` for the run in `logdir`, or None when it has none."""
    evaluations = []
    for path in sorted(glob.glob(os.path.join(logdir, "eval", "*.json"))):
        record = _json(path)
        if record and metric in record.get("results", {}):
            evaluations.append((record.get("backbone") != "inception", path))
    if evaluations:
        path = min(evaluations)[1]  # the inception one when there is one
        record = _json(path)
        return {
            "value": record["results"][metric],
            "step": record.get("step"),
            "backbone": record.get("backbone"),
            "generated": record.get("num_generated"),
            "reference": record.get("num_reference"),
            "source": os.path.relpath(path, logdir),
        }
    for kind in ("best", "checkpoints"):
        entries = _manifest(os.path.join(logdir, kind))
        scored = [e for e in entries if metric in e.get("metrics", {})]
        if scored:
            protocol = _json(os.path.join(logdir, "eval", "protocol.json"))
            protocol = protocol or {}
            return {
                "value": scored[-1]["metrics"][metric],
                "step": scored[-1]["step"],
                "backbone": protocol.get("backbone"),
                "generated": protocol.get("generated"),
                "reference": protocol.get("reference"),
                "source": kind,
            }
    return None


def ood_reports(logdir):
    """The `ood.json` reports under `LOGDIR/ood/`, each with its folder."""
    reports = []
    for path in sorted(glob.glob(os.path.join(logdir, "ood", "*", "ood.json"))):
        record = _json(path)
        if record:
            record["folder"] = os.path.relpath(os.path.dirname(path), logdir)
            reports.append(record)
    return reports


def _json(path):
    try:
        with open(path) as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


def _manifest(folder):
    record = _json(os.path.join(folder, "manifest.json")) or {}
    return record.get("checkpoints", [])


# ------------------------------------------------------- matching runs


def _setting(config):
    """The fields of a run that pick its paper cell."""
    return {
        "dataset": str(config.get("dataset", "")).split("/")[0],
        "conditional": bool(config.get("conditional", False)),
        "nda": paper.transform_name(config.get("nda")),
        "pda": paper.transform_name(config.get("pda")),
        "lam": float(config.get("lam", 1.0)),
        "cr": float(config.get("cr_weight", 0.0) or 0.0) > 0,
        "extras": str(config.get("diffaugment", "none")).lower() != "none"
        or bool(config.get("classes")),
    }


def _is_baseline(s):
    return (s["nda"] == "none" or s["lam"] == 1.0) and not s["cr"]


def _nda_column(s):
    """The Table 2/3 column of a run (None for a run in no column)."""
    if s["pda"] != "none" or s["extras"]:
        return None
    if s["cr"]:
        return "cr" if s["nda"] == "none" else None
    if _is_baseline(s):
        return "none"
    if s["lam"] != paper.paper_lam(s["dataset"]):
        return None
    return s["nda"] if s["nda"] in paper.COLUMNS else None


# ----------------------------------------------------------- rendering


def _table(title, header, rows):
    columns = header.count("|") - 1
    lines = [f"## {title}", "", header, "|" + " --- |" * columns]
    return "\n".join(lines + [_row(row) for row in rows]) + "\n"


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def _number(value, fmt="{:.2f}"):
    return "" if value is None else fmt.format(value)


def _fid_cells(record, paper_value):
    """`FID (ours) | FID (paper) | run | backbone | images` cells."""
    if record is None:
        return ["", _number(paper_value), "", "", ""]
    found = record["metric"]
    if found is None:
        return ["", _number(paper_value), record["run"], "", ""]
    counts = f"{_count(found['generated'])} / {_count(found['reference'])}"
    return [
        _number(found["value"]),
        _number(paper_value),
        record["run"],
        found["backbone"] or "?",
        counts,
    ]


def _count(value):
    return "?" if value is None else str(value)


def _cell_rows(prefix, records, paper_value):
    """One row per matching run, or one with only the paper's number."""
    if not records:
        return [prefix + _fid_cells(None, paper_value)]
    return [prefix + _fid_cells(r, paper_value) for r in records]


# -------------------------------------------------------------- tables


def _nda_table(records, conditional, title, datasets):
    by_cell = {}
    for record in records:
        s = _setting(record["config"])
        column = _nda_column(s)
        if s["conditional"] == conditional and column is not None:
            by_cell.setdefault((s["dataset"], column), []).append(record)
    rows = []
    for dataset in datasets:
        values = paper.TABLE_2.get((dataset, conditional))
        for column, heading in NDA_HEADINGS.items():
            if column == "cr":
                paper_value = paper.CR_BIGGAN.get((dataset, conditional))
            else:
                paper_value = values[paper.COLUMNS.index(column)]
            found = by_cell.get((dataset, column), [])
            if paper_value is None and not found:
                continue  # "—" in the paper and no run
            rows += _cell_rows([dataset, heading], found, paper_value)
    header = f"| dataset | model | {FID_COLUMNS} |"
    return _table(title, header, rows)


def table_2(records):
    """Table 2: unconditional FID per dataset and NDA (and CR-BigGAN)."""
    return _nda_table(
        records,
        False,
        "Table 2: unconditional BigGAN, FID",
        ("cifar10", "cifar100", "celeb_a", "stl10"),
    )


def table_3(records):
    """Table 3: conditional FID on CIFAR-10 and CIFAR-100."""
    return _nda_table(
        records,
        True,
        "Table 3: conditional BigGAN, FID",
        ("cifar10", "cifar100"),
    )


def _cifar10_unconditional(records):
    for record in records:
        s = _setting(record["config"])
        if s["dataset"] == "cifar10" and not s["conditional"]:
            if not s["cr"] and not s["extras"]:
                yield record, s


def table_1(records):
    """Table 1: each transform as PDA and as NDA, CIFAR-10 unconditional."""
    cells = {}
    for record, s in _cifar10_unconditional(records):
        if s["pda"] == "none" and _is_baseline(s):
            key = ("none", "w/o augmentation")
        elif s["pda"] != "none" and _is_baseline(s):
            key = (s["pda"], "PDA")
        elif s["pda"] == "none" and s["lam"] == paper.paper_lam("cifar10"):
            key = (s["nda"], "NDA")
        else:
            continue
        cells.setdefault(key, []).append(record)
    rows = _cell_rows(
        ["none", "w/o augmentation"],
        cells.get(("none", "w/o augmentation"), []),
        paper.TABLE_2[("cifar10", False)][0],
    )
    for transform, (as_pda, as_nda) in paper.TABLE_1.items():
        for kind, value in (("PDA", as_pda), ("NDA", as_nda)):
            found = cells.get((transform, kind), [])
            rows += _cell_rows([transform, kind], found, value)
    header = f"| transform | used as | {FID_COLUMNS} |"
    return _table("Table 1: PDA vs NDA, CIFAR-10, FID", header, rows)


def table_8(records):
    """Table 8: lam sweep, CIFAR-10 unconditional jigsaw."""
    cells = {}
    for record, s in _cifar10_unconditional(records):
        if s["pda"] != "none":
            continue
        if s["nda"] == "jigsaw":
            cells.setdefault(s["lam"], []).append(record)
        elif _is_baseline(s):  # plain BigGAN is lam 1
            cells.setdefault(1.0, []).append(record)
    rows = []
    for lam, value in paper.LAMBDA_SWEEP.items():
        rows += _cell_rows([f"{lam:g}"], cells.get(lam, []), value)
    header = f"| lam | {FID_COLUMNS} |"
    return _table("Table 8: lam, CIFAR-10 jigsaw, FID", header, rows)


# Table 5 rows -> how an OOD report names that set.
def _table_5_entry(name):
    lower = name.lower()
    if lower.startswith("cifar10_corrupted"):
        return "CIFAR-10-C"
    if "tiny" in lower:
        return "TinyImageNet"
    return {
        "dtd": "DTD",
        "svhn_cropped": "SVHN",
        "places365_small": "Places-365",
        "cifar100": "CIFAR-100",
    }.get(lower)


def table_5_values(report):
    """`{Table 5 row: (measures dict, OOD images or None)}` of one ood.json;
    "Average" is the mean over the OOD-1 sets found, with their count."""
    found = {}
    for entry, values in report.get("entries", {}).items():
        row = _table_5_entry(entry)
        if row is None:
            continue
        images = report.get("sets", {}).get(entry, {}).get("num_images")
        if row == "CIFAR-10-C":
            images = sum(
                s["num_images"]
                for s in report.get("sets", {}).values()
                if s.get("group") == entry
            )
        found[row] = (values, images)
    ood_1 = [found[r][0] for r in paper.TABLE_5_OOD_1 if r in found]
    if ood_1:
        average = {m: sum(v[m] for v in ood_1) / len(ood_1) for m in ood_1[0]}
        found["Average"] = (average, f"{len(ood_1)} of 5 sets")
    return found


def table_5(records):
    """Table 5: AUROC per OOD set, plain and jigsaw BigGAN on CIFAR-10,
    with FPR at 95% TPR and AUPR beside."""
    models = {"BigGAN": [], "Jigsaw": []}
    for record, s in _cifar10_unconditional(records):
        if s["pda"] != "none":
            continue
        if _is_baseline(s):
            models["BigGAN"].append(record)
        elif s["nda"] == "jigsaw" and s["lam"] == paper.paper_lam("cifar10"):
            models["Jigsaw"].append(record)
    rows = []
    for row, (plain, jigsaw, ebm) in paper.TABLE_5.items():
        for model, paper_value in (("BigGAN", plain), ("Jigsaw", jigsaw)):
            reports = [
                (record, report)
                for record in models[model]
                for report in record["ood"]
            ]
            prefix = [row, model]
            paper_cells = [_number(paper_value), _number(ebm)]
            if not reports:
                rows.append(prefix + ["", *paper_cells, "", "", "", "", ""])
                continue
            for record, report in reports:
                values, images = table_5_values(report).get(row, (None, None))
                values = values or {}
                in_images = report.get("in_distribution", {}).get("num_images")
                rows.append(
                    prefix
                    + [
                        _number(values.get("auroc")),
                        *paper_cells,
                        _number(values.get("fpr95")),
                        _number(values.get("aupr_in")),
                        _number(values.get("aupr_out")),
                        f"{record['run']}/{report['folder']}",
                        f"{_count(in_images)} / {_count(images)}"
                        if values
                        else "",
                    ]
                )
    header = (
        "| OOD set | model | AUROC (ours) | AUROC (paper) | EBM (paper) "
        "| FPR@95%TPR | AUPR-in | AUPR-out | run | images (in / OOD) |"
    )
    return _table(
        "Table 5: anomaly detection, CIFAR-10 test vs OOD sets", header, rows
    )


# The paper tables, in the order they are printed; other algorithms'
# helpers append their own builders (`fn(records) -> markdown`).
TABLES = [table_1, table_2, table_3, table_5, table_8]


# ------------------------------------------------------ per-run table


def run_row(logdir, metric):
    """One row (a dict) of the per-run table for the run in `logdir`."""
    record = load_record(logdir, metric)
    found = record["metric"] or {}
    return {
        "run": record["run"],
        "config": record["config"],
        "steps": record["steps"],
        "best_step": found.get("step"),
        "value": found.get("value"),
        "paper": paper.paper_fid(record["config"]),
    }


def markdown(rows, metric):
    """The per-run table: settings, steps, the best `metric`, the paper."""
    lines = [HEADER.format(metric=metric)]
    for row in rows:
        c = row["config"]
        cells = [
            row["run"],
            c["dataset"],
            "yes" if c["conditional"] else "no",
            paper.transform_name(c["nda"]),
            paper.transform_name(c["pda"]),
            f"{c['lam']:g}",
            f"{row['steps']}/{c['steps']}",
            _text(row["best_step"]),
            _text(row["value"], "{:.2f}"),
            _text(row["paper"], "{:.2f}"),
        ]
        lines.append(_row(cells))
    return "\n".join(lines) + "\n"


def _text(value, fmt="{}"):
    return "-" if value is None else fmt.format(value)


def report(root, metric="fid"):
    """Every table of `TABLES`, then the per-run table, as markdown."""
    gan_runs = find_runs(root, ("gan",))
    records = [load_record(r, metric) for r in gan_runs]
    parts = [build(records) for build in TABLES]
    rows = [run_row(r, metric) for r in gan_runs]
    parts.append("## Runs\n\n" + markdown(rows, metric))
    translation = find_runs(root, ("pix2pix",))
    if translation:
        rows = [pix2pix_row(r) for r in translation]
        parts.append("## Pix2Pix, Table 4\n\n" + pix2pix_markdown(rows))
    video, _ = video_table(find_runs(root, ("video_finetune",)))
    if video:
        parts.append("## Video (DPC), Table 7\n\n" + video)
    detection = find_runs(root, ("detection",))
    if detection:
        rows = [detection_row(r) for r in detection]
        parts.append("## Detection, Section 6\n\n" + detection_markdown(rows))
    return "\n".join(parts)


# Pix2Pix runs: their own table (separate from the GAN table above).
PIX2PIX_METRICS = ("pixel_accuracy", "class_accuracy", "miou")
PIX2PIX_HEADER = (
    "| run | dataset | loss | NDA | lam | steps | best step "
    "| Pp. / Pc. / mIoU (ours) | (paper) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def pix2pix_row(logdir):
    """One Pix2Pix table row: the best checkpoint's scores (by mIoU)."""
    config = _json(os.path.join(logdir, "config.json"))
    row = _best(logdir, "miou")
    scores = row.pop("scores")
    values = [scores.get(m) for m in PIX2PIX_METRICS] if scores else None
    return {**row, "config": config, "values": values,
            "paper": paper.pix2pix_paper(config)}  # fmt: skip


def pix2pix_markdown(rows):
    def setting(row):
        c = row["config"]
        return [c["loss"], paper.transform_name(c["nda"]), f"{c['lam']:g}"]

    return _scores_markdown(PIX2PIX_HEADER, rows, setting)


def _scores_markdown(header, rows, setting):
    """A table of best scores: run, dataset, `setting(row)`'s cells, steps,
    best step, ours and the paper's."""
    lines = [header]
    for row in rows:
        c = row["config"]
        cells = [
            row["run"],
            c["dataset"],
            *setting(row),
            f"{row['steps']}/{c['steps']}",
            _text(row["best_step"]),
            _triple(row["values"]),
            _triple(row["paper"]),
        ]
        lines.append(_row(cells))
    return "\n".join(lines) + "\n"


def _triple(values):
    if values is None:
        return "-"
    return " / ".join(_text(v, "{:.2f}") for v in values)


DETECTION_METRICS = ("ap", "ap50", "ap75")
DETECTION_HEADER = (
    "| run | dataset | encoder | encoder's NDA | steps | best step "
    "| AP / AP50 / AP75 (ours) | (paper) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- |"
)


def detection_row(logdir):
    """One detection row: the best checkpoint's AP, AP50, AP75 (by AP, in
    %), the encoder and its MoCo run's NDA, the paper's numbers."""
    config = _json(os.path.join(logdir, "config.json"))
    row = _best(logdir, "ap")
    scores = row.pop("scores")
    values = None
    if scores:
        values = [100 * scores[m] if m in scores else None
                  for m in DETECTION_METRICS]  # fmt: skip
    encoder, nda = config["encoder"], "-"
    if encoder not in ("none", "imagenet"):
        saved = _json(os.path.join(encoder, "config.json"))
        nda = "? (MoCo run not found)"
        if saved is not None:
            nda = paper.transform_name(saved.get("nda"))
        encoder = f"MoCo {os.path.basename(os.path.normpath(encoder))}"
    paper_values = paper.paper_detection(config["dataset"], nda)
    return {**row, "config": config, "encoder": encoder, "nda": nda,
            "values": values, "paper": paper_values}  # fmt: skip


def detection_markdown(rows):
    return _scores_markdown(
        DETECTION_HEADER, rows, lambda row: [row["encoder"], row["nda"]]
    )


VIDEO_HEADER = (
    "| run | fine-tuned on | pretraining NDA | mode | steps | best step "
    "| top-1 % (ours) | top-1 % (paper, Table 7) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- |"
)


def video_table(runs):
    """`(markdown, other runs)`: the video fine-tuning runs beside Table 7
    (clip-averaged top-1); DPC pretraining runs are left out of both."""
    rows, others = [], []
    for logdir in runs:
        config = _json(os.path.join(logdir, "config.json"))
        recipe = config.get("recipe")
        if recipe == "video_finetune":
            rows.append(_video_row(logdir, config))
        elif recipe != "dpc":
            others.append(logdir)
    if not rows:
        return "", others
    return "\n".join([VIDEO_HEADER, *rows]) + "\n", others


def _video_row(logdir, config):
    row = _best(logdir, "top1")
    nda = "none (random init)"
    if config.get("pretrained"):
        saved = _json(os.path.join(config["pretrained"], "config.json"))
        nda = "? (pretrained run not found)"
        if saved is not None:
            nda = paper.transform_name(saved.get("nda"))
    top1 = None if row["value"] is None else 100 * row["value"]
    cells = [
        row["run"],
        config["dataset"],
        nda,
        "linear" if config.get("linear_probe") else "fine-tune",
        f"{row['steps']}/{config['steps']}",
        _text(row["best_step"]),
        _text(top1, "{:.2f}"),
        _text(paper.paper_video_top1(config["dataset"], nda), "{:.2f}"),
    ]
    return _row(cells)


def _best(logdir, metric):
    """The run's name, last step, and best step, value and scores (all the
    metrics of that checkpoint) by `metric`."""
    row = {"run": os.path.basename(os.path.normpath(logdir))}
    row.update(best_step=None, value=None, scores=None)
    for kind in ("best", "checkpoints"):
        scored = [
            e
            for e in _manifest(os.path.join(logdir, kind))
            if metric in e.get("metrics", {})
        ]
        if scored:
            row["best_step"] = scored[-1]["step"]
            row["value"] = scored[-1]["metrics"][metric]
            row["scores"] = scored[-1]["metrics"]
            break
    latest = _manifest(os.path.join(logdir, "checkpoints"))
    row["steps"] = latest[-1]["step"] if latest else 0
    return row
