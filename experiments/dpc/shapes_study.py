r"""CPU-scale study: DPC vs DPC + NDA on moving_shapes, several seeds.

    PYTHONPATH=. nice -n 15 python experiments/dpc/shapes_study.py \
        --out=runs/dpc_shapes_study [--steps=200] [--seeds=0,1,2] \
        [--nda=jigsaw] [--dataset=...] [--colour_jitter]

For each seed: the linear-probe accuracy of the randomly initialised
network (the same initial weights the runs start from: the floor), then
a DPC run and a DPC + NDA run of --steps steps with the same seed, probed
the same way (logistic regression on the clip-averaged GRU embedding;
400 train videos, 100 test videos, 8 motions, chance 0.125). Videos are
white bars on black and clips get DPC's random crop but no colour jitter,
so that no colour of a clip tells it from the others of a batch.
`--dataset="moving_shapes(videos=400,size=32,frames=24,colours=True)"
--colour_jitter` is the setting before that fix. Prints a markdown
table; the numbers recorded in experiments/RESULTS.md came from this
script.
"""

import argparse
import json
import os
import time

import keras
import numpy as np

from nda_tf import training
from nda_tf.video import evaluation
from nda_tf.video.recipe import DPC_RECIPE, probe_sets

BASE = {
    "dataset": "moving_shapes(videos=400,size=32,frames=24)",
    "arch": "small",
    "width": 8,
    "num_blocks": 4,
    "block_frames": 4,
    "pred_steps": 2,
    "stride": 1,
    "batch_size": 16,
    "probe_videos": 400,
    "probe_clips": 2,
    # No colour jitter or grayscale: on white bars, a clip's jitter (its
    # bars' brightness) tells it from the batch's other clips without any
    # motion, as coloured bars did (pilots in experiments/RESULTS.md).
    "jitter_p": 0.0,
    "gray_p": 0.0,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="runs/dpc_shapes_study")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--nda", default="jigsaw")
    parser.add_argument("--dataset", default=BASE["dataset"])
    parser.add_argument(
        "--colour_jitter",
        action="store_true",
        help="DPC's colour jitter (p 1) and grayscale (p 0.5)",
    )
    args = parser.parse_args()
    base = dict(BASE, dataset=args.dataset)
    if args.colour_jitter:
        base.update(jitter_p=1.0, gray_p=0.5)
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        config = dict(base, seed=seed, steps=args.steps)
        config["eval_every"] = args.steps
        resolved = DPC_RECIPE.resolve(
            config, DPC_RECIPE.stream(DPC_RECIPE.resolve(config)).info
        )
        sets = probe_sets(resolved)
        keras.utils.set_random_seed(seed)  # as the run loop before build
        random_model = DPC_RECIPE.build(resolved, compile=False)
        row = {
            "seed": seed,
            "random": evaluation.linear_probe(
                random_model, sets["train"], sets["test"], seed
            ),
        }
        for nda in ("none", args.nda):
            start = time.time()
            logdir = os.path.join(args.out, f"{nda}_seed{seed}")
            _, summary = training.train(
                DPC_RECIPE,
                dict(config, nda=nda),
                logdir,
                training.RunOptions(progress=False, log_every=50),
            )
            row[nda] = summary["logs"]["probe_accuracy"]
            row[f"{nda}_loss"] = summary["logs"]["loss"]
            row[f"{nda}_seconds"] = time.time() - start
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n| seed | random encoder | DPC | DPC + {args.nda} NDA |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['seed']} | {r['random']:.3f} | {r['none']:.3f} "
            f"| {r[args.nda]:.3f} |"
        )
    for key in ("random", "none", args.nda):
        values = np.array([r[key] for r in rows])
        print(f"{key}: mean {values.mean():.3f} sd {values.std(ddof=1):.3f}")


if __name__ == "__main__":
    main()
