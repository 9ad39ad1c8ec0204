r"""Gathers GAN runs into a markdown table beside the paper's FIDs, and
Pix2Pix runs into one beside Table 4 (per-pixel / per-class acc., mIoU).

    python -m nda_tf.experiments.gather --runs=runs --out=results.md

Every folder under --runs that holds a `config.json` is a run. Its number
is the best value of --metric recorded with its checkpoints (`best/`, else
the newest checkpoint); runs without it show "-". Takes seconds.
"""

import json
import os

from nda_tf.experiments import cli, paper
from nda_tf.training import Option

OPTIONS = (
    Option("runs", "runs", "Folder holding run directories."),
    Option("out", None, "Markdown file to write (default: print).", kind="str"),
    Option("metric", "fid", "Metric key recorded at evaluation."),
)

HEADER = (
    "| run | dataset | cond. | NDA | PDA | lam | steps | best step "
    "| {metric} (ours) | FID (paper) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def find_runs(root):
    """Run directories under `root`, sorted."""
    found = []
    for folder, _, files in os.walk(root):
        if "config.json" in files:
            found.append(folder)
    return sorted(found)


def run_row(logdir, metric):
    """One table row (a dict) for the run in `logdir`."""
    with open(os.path.join(logdir, "config.json")) as file:
        config = json.load(file)
    best_step, value = None, None
    for kind in ("best", "checkpoints"):
        entries = _manifest(os.path.join(logdir, kind))
        scored = [e for e in entries if metric in e.get("metrics", {})]
        if scored:
            entry = scored[-1]
            best_step, value = entry["step"], entry["metrics"][metric]
            break
    latest = _manifest(os.path.join(logdir, "checkpoints"))
    return {
        "run": os.path.basename(os.path.normpath(logdir)),
        "config": config,
        "steps": latest[-1]["step"] if latest else 0,
        "best_step": best_step,
        "value": value,
        "paper": paper.paper_fid(config),
    }


def _manifest(folder):
    try:
        with open(os.path.join(folder, "manifest.json")) as file:
            return json.load(file).get("checkpoints", [])
    except (OSError, ValueError):
        return []


def markdown(rows, metric):
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
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _text(value, fmt="{}"):
    return "-" if value is None else fmt.format(value)


# Pix2Pix runs: their own table (separate from the GAN table above).
# Table 4, Cityscapes photos -> labels: (loss, NDA used) -> (per-pixel acc.,
# per-class acc., mIoU).
PIX2PIX_TABLE_4 = {
    ("cgan", False): (0.80, 0.24, 0.27),
    ("cgan", True): (0.84, 0.34, 0.28),
    ("l1_cgan", False): (0.72, 0.23, 0.18),
    ("l1_cgan", True): (0.75, 0.28, 0.22),
}
PIX2PIX_METRICS = ("pixel_accuracy", "class_accuracy", "miou")
PIX2PIX_HEADER = (
    "| run | dataset | loss | NDA | lam | steps | best step "
    "| Pp. / Pc. / mIoU (ours) | (paper) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def is_pix2pix(logdir):
    with open(os.path.join(logdir, "config.json")) as file:
        return json.load(file).get("recipe") == "pix2pix"


def pix2pix_paper(config):
    """Table 4's numbers for a Cityscapes run (jigsaw NDA as the paper's
    rows), or None."""
    if config["dataset"].split("/")[0] != "cityscapes":
        return None
    nda = paper.transform_name(config["nda"])
    uses_nda = nda != "none" and float(config["lam"]) < 1
    if uses_nda and nda != "jigsaw":
        return None
    return PIX2PIX_TABLE_4.get((config["loss"], uses_nda))


def pix2pix_row(logdir):
    """One Pix2Pix table row: the best checkpoint's scores (by mIoU)."""
    with open(os.path.join(logdir, "config.json")) as file:
        config = json.load(file)
    best = None
    for kind in ("best", "checkpoints"):
        scored = [
            e
            for e in _manifest(os.path.join(logdir, kind))
            if "miou" in e.get("metrics", {})
        ]
        if scored:
            best = scored[-1]
            break
    latest = _manifest(os.path.join(logdir, "checkpoints"))
    return {
        "run": os.path.basename(os.path.normpath(logdir)),
        "config": config,
        "steps": latest[-1]["step"] if latest else 0,
        "best_step": best["step"] if best else None,
        "values": (
            [best["metrics"].get(m) for m in PIX2PIX_METRICS] if best else None
        ),
        "paper": pix2pix_paper(config),
    }


def pix2pix_markdown(rows):
    lines = [PIX2PIX_HEADER]
    for row in rows:
        c = row["config"]
        cells = [
            row["run"],
            c["dataset"],
            c["loss"],
            paper.transform_name(c["nda"]),
            f"{c['lam']:g}",
            f"{row['steps']}/{c['steps']}",
            _text(row["best_step"]),
            _triple(row["values"]),
            _triple(row["paper"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _triple(values):
    if values is None:
        return "-"
    return " / ".join(_text(v, "{:.2f}") for v in values)


def main(fv):
    """Tabulates the runs as the parsed flags `fv` say."""
    runs = find_runs(fv.runs)
    if not runs:
        raise ValueError(f"no runs under {fv.runs!r}")
    translation = [r for r in runs if is_pix2pix(r)]
    runs = [r for r in runs if r not in translation]
    table = markdown([run_row(r, fv.metric) for r in runs], fv.metric)
    if translation:
        rows = [pix2pix_row(r) for r in translation]
        table = ("" if not runs else table + "\n") + pix2pix_markdown(rows)
    if fv.out:
        with open(fv.out, "w") as file:
            file.write(table)
        print(f"{len(runs)} runs -> {fv.out}")
    else:
        print(table, end="")


if __name__ == "__main__":
    cli.run_command(OPTIONS, main, "nda_tf.experiments.gather")
