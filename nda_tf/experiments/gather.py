r"""Gathers GAN runs into a markdown table beside the paper's FIDs.

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
        with open(os.path.join(logdir, "config.json")) as file:
            config = json.load(file)
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
        try:
            with open(os.path.join(config["pretrained"], "config.json")) as f:
                nda = paper.transform_name(json.load(f).get("nda"))
        except OSError:
            nda = "? (pretrained run not found)"
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
    return "| " + " | ".join(cells) + " |"


def _best(logdir, metric):
    """The run's name, last step, and best (step, value) of `metric`."""
    row = {"run": os.path.basename(os.path.normpath(logdir))}
    row["best_step"], row["value"] = None, None
    for kind in ("best", "checkpoints"):
        scored = [
            e
            for e in _manifest(os.path.join(logdir, kind))
            if metric in e.get("metrics", {})
        ]
        if scored:
            row["best_step"] = scored[-1]["step"]
            row["value"] = scored[-1]["metrics"][metric]
            break
    latest = _manifest(os.path.join(logdir, "checkpoints"))
    row["steps"] = latest[-1]["step"] if latest else 0
    return row


def main(fv):
    """Tabulates the runs as the parsed flags `fv` say."""
    runs = find_runs(fv.runs)
    if not runs:
        raise ValueError(f"no runs under {fv.runs!r}")
    table, runs = video_table(runs)
    if runs:
        table = markdown([run_row(r, fv.metric) for r in runs], fv.metric) + (
            table and "\n" + table
        )
    if fv.out:
        with open(fv.out, "w") as file:
            file.write(table)
        print(f"{len(runs)} runs -> {fv.out}")
    else:
        print(table, end="")


if __name__ == "__main__":
    cli.run_command(OPTIONS, main, "nda_tf.experiments.gather")
