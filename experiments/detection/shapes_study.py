r"""CPU-scale study: plain MoCo vs NDA-MoCo encoders transferred to object
detection on the synthetic shapes, against a random encoder.

    PYTHONPATH=. nice -n 10 python experiments/detection/shapes_study.py \
        --out=runs/detection_shapes_study [--seeds=0,1] [--nda=mixup] \
        [--moco_steps=800] [--detect_steps=200]

For each seed: MoCo-v2 without and with NDA (`--nda`, the paper's
detection row uses mixup) on 1,024 images of `shapes_detection` at 48
pixels (the training split's images; labels are the first object's class,
for the kNN monitor only), then a Faster R-CNN C4 fine-tune from each
encoder and from a random one of the same seed on the detection set
(256 training images, AP on its 64 test images every 50 steps). Every
run resumes where it stopped. Writes OUT/results.json and prints a
markdown table of AP50 and AP over fine-tuning; experiments/RESULTS.md
("Detection transfer on the synthetic shapes") records its numbers when
it has been run.
"""

import argparse
import json
import os

import numpy as np

from nda_tf import training
from nda_tf.contrastive.recipe import MOCO
from nda_tf.data import shapes_detection
from nda_tf.detection.recipe import DETECTION

SIZE = 48
PRETRAIN = dict(
    arch="small", width=8, batch_size=64, queue_size=1024, hidden_dim=128,
    lr=0.2, eval_every=400, knn_examples=512,
)  # fmt: skip
DETECT = dict(
    dataset=f"shapes_detection(images=256,size={SIZE},objects=(1,3))",
    batch_size=8, warmup_steps=0, rpn_batch_size=64, roi_batch_size=32,
    train_proposals=64, test_proposals=32, pooled_size=6, sampling_ratio=1,
    eval_every=50,
)  # fmt: skip


def pretraining_images(out):
    """The npz MoCo reads: the detection set's training images."""
    path = os.path.join(out, f"shapes{SIZE}.npz")
    if not os.path.exists(path):
        found = shapes_detection.render(0, "train", range(1024), SIZE, (1, 3))
        np.savez(path, images=found.images, labels=found.labels[:, 0])
    return path


def curve(logdir):
    """{step: {ap, ap50, ap75}} of a run's evaluations."""
    import tensorflow as tf

    values = {}
    folder = os.path.join(logdir, "eval")
    for name in sorted(os.listdir(folder)):
        for event in tf.compat.v1.train.summary_iterator(
            os.path.join(folder, name)
        ):
            for value in event.summary.value:
                if value.tag in ("ap", "ap50", "ap75"):
                    number = float(tf.make_ndarray(value.tensor))
                    values.setdefault(int(event.step), {})[value.tag] = number
    return values


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="runs/detection_shapes_study")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--nda", default="mixup")
    parser.add_argument("--moco_steps", type=int, default=800)
    parser.add_argument("--detect_steps", type=int, default=200)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    npz = pretraining_images(args.out)
    quiet = training.RunOptions(progress=False, log_every=100)
    results = {}
    for seed in [int(s) for s in args.seeds.split(",")]:
        encoders = {"random": "none"}
        for arm, nda in (("moco", "none"), ("nda_moco", args.nda)):
            logdir = os.path.join(args.out, f"{arm}_s{seed}")
            config = dict(PRETRAIN, dataset=f"npz:{npz}", nda=nda, seed=seed,
                          steps=args.moco_steps)  # fmt: skip
            training.train(MOCO, config, logdir, quiet)
            encoders[arm] = logdir
        for arm, encoder in encoders.items():
            logdir = os.path.join(args.out, f"detect_{arm}_s{seed}")
            config = dict(DETECT, encoder=encoder, seed=seed,
                          steps=args.detect_steps)  # fmt: skip
            if encoder == "none":
                config.update(arch="small", width=8)
            training.train(DETECTION, config, logdir, quiet)
            results[f"{arm}_s{seed}"] = curve(logdir)
    with open(os.path.join(args.out, "results.json"), "w") as file:
        json.dump({"nda": args.nda, "curves": results}, file, indent=1)
    print(table(results))


def table(results):
    """AP50 and AP (in %) at each evaluated step, a row per run."""
    steps = sorted({s for c in results.values() for s in c})
    head = " | ".join(f"{s}" for s in steps)
    lines = [
        f"| run | AP50 at step {head} | AP at the last step |",
        "| --- |" + " --- |" * (len(steps) + 1),
    ]
    for name, values in sorted(results.items()):
        ap50 = " | ".join(f"{100 * values[s]['ap50']:.1f}" for s in steps)
        lines.append(
            f"| {name} | {ap50} | {100 * values[steps[-1]]['ap']:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
