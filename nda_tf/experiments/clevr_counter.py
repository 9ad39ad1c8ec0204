r"""Accuracy of the CLEVR object counter on real scenes of known count.

Appendix A's CLEVR run (Figure 6(b)) counts the objects of generated
scenes with `nda_tf.eval.counting.count_objects`, a counter without
learned parts. This command (`nda_tf.studies.numerosity.counter`) measures
it where the truth is known: tfds `clevr` scenes, counted from their
metadata, at the resolution the GAN sees them:

    python -m nda_tf.experiments.clevr_counter --data_dir=DIR \
        --split=validation --per_count=200 --out=runs/clevr_counter

prints (and with --out writes `counter.md`, `counter.json`) the confusion
table by true count, the exact accuracy and the within-one accuracy. It
needs the prepared tfds `clevr` dataset (`tfds build clevr`, about 18 GB)
or a CLEVR folder (--folder, below). No number on the released CLEVR
images is recorded in this repository (they could not be downloaded where
it was written); the numbers on scenes rendered there with the official
generator are in experiments/RESULTS.md.

CLEVR v1.0 scenes hold 3 to 10 objects (--counts picks among them; the
default is all eight). A count outside 3..10 is refused at once (the
paper's 1- to 3-object renders are not in tfds); a count of which the
split holds no scene stops with an error naming it.

--folder reads a CLEVR folder instead (the CLEVR_v1.0 zip unpacked, or
scenes rendered by the official generator in that layout; see
`nda_tf.data.clevr`), with any counts, e.g. the paper's one to three:

    python -m nda_tf.experiments.clevr_counter --folder=/work/clevr_render \
        --split=train --counts=1,2,3 --per_count=80 --out=runs/counter_k123
"""

import os

from nda_tf.experiments import cli
from nda_tf.training import DATA_ACCESS_OPTIONS, Option, shared

OPTIONS = (
    Option(
        "counts",
        [str(c) for c in range(3, 11)],
        "True object counts to test (CLEVR v1.0 has 3 to 10).",
        kind="list",
    ),
    Option("per_count", 200, "Scenes per count (the first found).", low=1),
    Option(
        "split",
        "validation",
        "tfds split of clevr (or the --folder's split; validation reads "
        "the zip's val).",
    ),
    Option(
        "folder",
        None,
        "CLEVR folder (images/<split>/, scenes/CLEVR_<split>_scenes.json) "
        "read instead of tfds; any counts.",
        kind="str",
    ),
    Option("resolution", 64, "Image size the counter sees.", low=8),
    shared("data_dir"),
    Option("threshold", 40.0, "Counter: colour difference from the floor."),
    Option(
        "min_area_fraction",
        0.004,
        "Counter: smallest object, share of the image.",
        low=0.0,
        high=1.0,
        low_open=True,
        high_open=True,
    ),
    Option("out", None, "Folder for counter.md and counter.json.", kind="str"),
    *DATA_ACCESS_OPTIONS,
)


def main(fv):
    """Counts the scenes as the parsed flags `fv` say; prints the table."""
    from nda_tf import training
    from nda_tf.studies.numerosity.counter import check_counter

    if fv.out:
        cli.check_output_dir("out", fv.out)  # a URL or a file in the way
    training.apply_data_access(cli.values(DATA_ACCESS_OPTIONS, fv))
    try:
        counts = [int(c) for c in fv.counts]
    except ValueError:
        raise ValueError(
            f"--counts must be integers, received {fv.counts}"
        ) from None
    text = check_counter(
        counts, fv.per_count, fv.split, fv.resolution, fv.data_dir,
        fv.folder, fv.threshold, fv.min_area_fraction, fv.out,
    )  # fmt: skip
    print(text, end="")
    if fv.out:
        print(f"Written: {os.path.join(fv.out, 'counter.json')}")


if __name__ == "__main__":
    cli.run_command(
        OPTIONS, main, "nda_tf.experiments.clevr_counter", extras=("studies",)
    )
