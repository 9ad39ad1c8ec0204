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

import sys

from absl import app, flags

from nda_tf.experiments.common import quiet_logs

F = flags.FLAGS

flags.DEFINE_list("logdirs", None, "MoCo run directories.", required=True)
flags.DEFINE_list("labels", None, "Legend labels (default: folder names).")
flags.DEFINE_string("nda", "jigsaw", "Transform applied to the images.")
flags.DEFINE_integer("num_images", 1000, "Test images.")
flags.DEFINE_integer("seed", 0, "Image subset and transform seed.")
flags.DEFINE_string("out", "nda_distance.png", "Histogram PNG path.")


def main(argv):
    del argv
    import os

    from nda_tf.experiments import nda_distance_study

    quiet_logs()
    labels = F.labels or [os.path.basename(d.rstrip("/")) for d in F.logdirs]
    if len(labels) != len(F.logdirs) or len(set(labels)) != len(labels):
        sys.exit(
            "nda_tf.experiments.nda_distance: error: need one distinct label "
            f"per logdir; received labels {labels}"
        )
    try:
        _, summary = nda_distance_study.figure9(
            dict(zip(labels, F.logdirs, strict=True)),
            F.out,
            num_images=F.num_images,
            nda=F.nda,
            seed=F.seed,
        )
    except ValueError as error:
        sys.exit(f"nda_tf.experiments.nda_distance: error: {error}")
    for label, stats in summary["distance"].items():
        print(
            f"{label}: mean {stats['mean']:.4f}, median "
            f"{stats['median']:.4f} over {stats['images']} images"
        )
    print(f"Histogram: {os.path.abspath(F.out)}")


if __name__ == "__main__":
    app.run(main)
