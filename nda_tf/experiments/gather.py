r"""Gathers runs into the paper's tables (`nda_tf.studies.paper.tables`).

    python -m nda_tf.experiments.gather --runs=runs --out=results.md

GAN runs into Tables 1, 2, 3, 5 and 8 and a row per run, Pix2Pix runs
beside Table 4, video fine-tuning runs beside Table 7, detection runs
beside Section 6's VOC numbers (AP / AP50 / AP75); ours beside the
paper's numbers (`nda_tf.studies.paper.numbers`). Reads run directories
only. Takes seconds.
"""

from nda_tf.eval import names
from nda_tf.experiments import cli
from nda_tf.studies.paper import tables
from nda_tf.training import Option

OPTIONS = (
    Option("runs", "runs", "Folder holding run directories."),
    Option("out", None, "Markdown file to write (default: print).", kind="str"),
    # The metrics the runs' evaluations record (the metric registry).
    Option(
        "metric",
        "fid",
        "Metric of the per-run table.",
        choices=tuple(names.METRICS),
    ),
)


def main(fv):
    """Tabulates the runs as the parsed flags `fv` say."""
    if fv.out:
        cli.check_output_file("out", fv.out)
    kinds = ("gan", "pix2pix", "video_finetune", "detection")
    runs = tables.find_runs(fv.runs, kinds)
    if not runs:
        raise ValueError(
            f"no GAN, Pix2Pix, video fine-tuning or detection runs under "
            f"{fv.runs!r}"
        )
    text = tables.report(fv.runs, fv.metric)
    if fv.out:
        with open(fv.out, "w") as file:
            file.write(text)
        print(f"{len(runs)} runs -> {fv.out}")
    else:
        print(text, end="")


if __name__ == "__main__":
    cli.run_command(
        OPTIONS, main, "nda_tf.experiments.gather", tensorflow=False
    )
