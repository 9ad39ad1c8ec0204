"""Pilot quality for issue 18's configuration choice: FD, precision and
recall (k = 3) of each pilot's EMA generator (its last checkpoint), 1,000
samples against 1,000 images of the TRAINING part of the split (never the
held-out part), efficientnet_lite0 features. One JSON line per pilot.

    PYTHONPATH=. python experiments/real_study/pilot_fd.py \
        $STUDY/pilots/sn16_b32_d2 $STUDY/pilots/sn32_b32_d2
"""

import json
import os
import sys

from nda_tf import data, training
from nda_tf.eval import backbones, pipeline, reference
from nda_tf.eval.ood import sets as ood_sets
from nda_tf.gan.recipe import GAN

STUDY = os.environ.get("STUDY", "/work/study18")
TRAIN = f"folder:{STUDY}/data/cifar10_split_s0/train"
COUNT = 1000
BATCH = 100


def score(logdir, extractor, real):
    gan, config = training.load_run(GAN, logdir)
    starts = iter(range(0, COUNT, BATCH))
    generated = pipeline.compute_statistics(
        # Moving statistics, as when the pilot's numbers were recorded.
        lambda size: gan.generate(size, seed=next(starts), stats_batch=0),
        extractor,
        num_images=COUNT,
        batch_size=BATCH,
        progress=False,
    )
    result = pipeline.score(generated, real, ("fid", "precision", "recall"))
    return {"run": logdir, "step": config["step"], **result}


def main(logdirs):
    extractor = backbones.from_name("efficientnet_lite0")
    images, _ = data.load(TRAIN, resolution=32)
    real = reference.reference_statistics(
        TRAIN,
        extractor,
        split="pilot",
        num_images=COUNT,
        source=ood_sets.subset(images, COUNT, 0),
        cache_dir=f"{STUDY}/pilots/cache",
        progress=False,
    )
    for logdir in logdirs:
        print(json.dumps(score(logdir, extractor, real)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
