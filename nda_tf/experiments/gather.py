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
    """GAN run directories under `root`, sorted (the table compares GAN
    runs; MoCo runs and unreadable configs are left out)."""
    found = []
    for folder, _, files in os.walk(root):
        if "config.json" in files and _is_gan_run(folder):
            found.append(folder)
    return sorted(found)


def _is_gan_run(folder):
    try:
        with open(os.path.join(folder, "config.json")) as file:
            config = json.load(file)
    except (OSError, ValueError):
        return False
    # Layout 0 recorded no recipe; its MoCo runs are told by their queue.
    recipe = config.get("recipe", "moco" if "queue_size" in config else "gan")
    return recipe == "gan"


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


def main(fv):
    """Tabulates the runs as the parsed flags `fv` say."""
    if fv.out:
        cli.check_output_file("out", fv.out)
    runs = find_runs(fv.runs)
    if not runs:
        raise ValueError(f"no runs under {fv.runs!r}")
    table = markdown([run_row(r, fv.metric) for r in runs], fv.metric)
    if fv.out:
        with open(fv.out, "w") as file:
            file.write(table)
        print(f"{len(runs)} runs -> {fv.out}")
    else:
        print(table, end="")


if __name__ == "__main__":
    cli.run_command(
        OPTIONS, main, "nda_tf.experiments.gather", tensorflow=False
    )
