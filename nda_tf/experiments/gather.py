r"""Gathers GAN runs into a markdown table beside the paper's FIDs.

    python -m nda_tf.experiments.gather --runs=runs --out=results.md

Every folder under --runs that holds a `config.json` is a run. Its number
is the best value of --metric recorded with its checkpoints (`best/`, else
the newest checkpoint); runs without it show "-". Takes seconds.
"""

import json
import os
import sys

from absl import app, flags

from nda_tf.experiments import paper

flags.DEFINE_string("runs", "runs", "Folder holding run directories.")
flags.DEFINE_string("out", None, "Markdown file to write (default: print).")
flags.DEFINE_string("metric", "fid", "Metric key recorded at evaluation.")
F = flags.FLAGS

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


def main(argv):
    del argv
    runs = find_runs(F.runs)
    if not runs:
        sys.exit(f"nda_tf.experiments.gather: error: no runs under {F.runs!r}")
    table = markdown([run_row(r, F.metric) for r in runs], F.metric)
    if F.out:
        with open(F.out, "w") as file:
            file.write(table)
        print(f"{len(runs)} runs -> {F.out}")
    else:
        print(table, end="")


if __name__ == "__main__":
    app.run(main)
