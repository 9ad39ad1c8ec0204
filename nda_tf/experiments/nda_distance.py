r"""Figure 9: `python -m nda_tf.experiments.nda_distance`.

    python -m nda_tf.experiments.nda_distance \
        --logdirs=runs/moco_c10_none,runs/moco_c10_jigsaw \
        --labels=MoCo-v2,NDA --nda=jigsaw --out=fig9.png

computes, for each run, the cosine distance between the frozen encoder's
features of test images and of their jigsaw versions (the same 1000 images
and permutations for every run) and draws the histograms in `fig9.png`,
with the means, medians and spreads in `fig9.json`. Expected (paper Fig. 9):
the NDA run's distances are larger. Runtime: two encoder passes over
`--num_images` images per run (seconds for the small dots runs on a CPU).
"""

import os

from nda_tf.experiments import cli
from nda_tf.training import Option, shared

OPTIONS = (
    Option("logdirs", None, "MoCo run directories.", kind="list"),
    Option(
        "labels", None, "Legend labels (default: folder names).", kind="list"
    ),
    shared("nda", "Transform applied to the images.", default="jigsaw"),
    Option("num_images", 1000, "Test images.", low=2),
    shared("seed", "Image subset and transform seed."),
    Option("out", "nda_distance.png", "Histogram PNG path."),
)


def main(fv):
    """Draws Figure 9 as the parsed flags `fv` say; prints the distances."""
    from nda_tf.studies.nda_distance import study

    cli.check_output_file("out", fv.out)
    labels = fv.labels or [os.path.basename(d.rstrip("/")) for d in fv.logdirs]
    if len(labels) != len(fv.logdirs) or len(set(labels)) != len(labels):
        raise ValueError(
            f"need one distinct label per logdir; received labels {labels}"
        )
    _, summary = study.figure9(
        dict(zip(labels, fv.logdirs, strict=True)),
        fv.out,
        num_images=fv.num_images,
        nda=fv.nda,
        seed=fv.seed,
    )
    for label, stats in summary["distance"].items():
        print(
            f"{label}: mean {stats['mean']:.4f}, median "
            f"{stats['median']:.4f} over {stats['images']} images"
        )
    print(f"Histogram: {os.path.abspath(fv.out)}")


if __name__ == "__main__":
    cli.run_command(
        OPTIONS,
        main,
        "nda_tf.experiments.nda_distance",
        required=["logdirs"],
        extras=("studies",),
    )
