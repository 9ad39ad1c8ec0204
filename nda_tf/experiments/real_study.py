r"""The real-image study (`nda_tf.studies.real_study`): plain vs NDA GANs
on a held-out split of an image folder, scored per checkpoint.

    python -m nda_tf.experiments.real_study --action=split \
        --source=cifar10_all --data_dir=study/data --held_out=5000
    python -m nda_tf.experiments.real_study --action=train \
        --data_dir=study/data --runs_dir=study/runs --arms=plain,jigsaw \
        --seeds=0,1 --steps=20000 --save_every=1000
    python -m nda_tf.experiments.real_study --action=score,report \
        --data_dir=study/data --runs_dir=study/runs --arms=plain,jigsaw \
        --seeds=0,1 --save_every=1000

Training again resumes every run exactly (a larger --steps continues it);
scoring again scores only checkpoints without a score under the same
settings (a change of the local corruptions' code counts as a change).
Writes RUNS_DIR/<arm>_s<seed>/real_study/ (a report per checkpoint and
scores/ckpt-<step>.json) and RUNS_DIR/report/ (auroc.png, gap.png,
generation.png, samples.png, curves.json, table.md). The shell recipe:
experiments/real_study/cifar10.sh. Measured numbers and runtimes:
experiments/RESULTS.md.
"""

import os

from nda_tf.eval import names
from nda_tf.experiments import cli
from nda_tf.studies.real_study import runs
from nda_tf.studies.real_study.report import table, write_report
from nda_tf.studies.real_study.scores import (
    OOD_SETS,
    TRANSFORMS,
    Scorer,
    run_dir,
    scoring_settings,
)
from nda_tf.training import DATA_ACCESS_OPTIONS, Option

ACTIONS = ("split", "train", "score", "report")


OPTIONS = (
    Option(
        "action",
        ["train", "score", "report"],
        "What to do, in this order.",
        kind="list",
        choices=ACTIONS,
    ),
    Option(
        "data_dir",
        None,
        "The split: train/ (trained on) and val/ (held out, scored).",
        kind="str",
    ),
    Option(
        "source",
        None,
        "--action=split: the image folder to split (class subfolders).",
        kind="str",
    ),
    Option("held_out", 5000, "--action=split: images held out.", low=1),
    Option("split_seed", 0, "--action=split: seed of the split.", low=0),
    Option("runs_dir", None, "Run directories: <arm>_s<seed>.", kind="str"),
    Option(
        "arms",
        ["plain", "jigsaw"],
        "NAME or NAME=NDA (plain: none), e.g. mix=jigsaw|stitch|cutout.",
        kind="list",
    ),
    Option("seeds", ["0", "1"], "Seeds of every arm.", kind="list"),
    Option("steps", 20000, "Train every run up to this G step.", low=1),
    Option(
        "save_every",
        1000,
        "Steps between checkpoints (all kept) and scored points.",
        low=1,
    ),
    Option("log_every", 100, "Steps between logged losses.", low=1),
    Option(
        "turn",
        None,
        "Runs take turns of this many steps (default: one run after "
        "the other to --steps).",
        kind="int",
    ),
    Option(
        "set",
        [],
        "KEY=VALUE GAN options over the study's CONFIG (every run), "
        "list values joined by +.",
        kind="list",
    ),
    Option(
        "num_images",
        None,
        "Held-out images scored per set (default: all).",
        kind="int",
    ),
    Option("num_generated", 2000, "Generated images for FD, P/R.", low=2),
    Option(
        "sample_stats_batch",
        0,
        "How G_ema's batch norms run for FD, P/R: 0 with their moving "
        "statistics; N with those of each batch of N samples (the authors' "
        "BigGAN evaluation: 64). Recorded in the scores when not 0.",
        low=0,
    ),
    Option(
        "backbone",
        "efficientnet_lite0",
        "Feature backbone of FD and precision / recall.",
        choices=names.BACKBONES,
    ),
    Option("ood", list(OOD_SETS), "OOD sets.", kind="list"),
    Option(
        "transforms", list(TRANSFORMS), "T of D(x)-D(T(x)).", kind="list"
    ),  # fmt: skip
    Option("score_seed", 0, "Seed of noise, corruptions, T.", low=0),
    Option("batch_size", 256, "Images per D and backbone call.", low=1),
    Option(
        "cache_dir",
        None,
        "Corrupted sets and held-out features (default: RUNS_DIR/cache).",
        kind="str",
    ),
    Option(
        "out",
        None,
        "Curves and table (default: RUNS_DIR/report).",
        kind="str",
    ),
    Option("progress", True, "Show progress."),
    *DATA_ACCESS_OPTIONS,
)


def main(fv):
    """Runs the study's actions as the parsed flags `fv` say."""
    from nda_tf import training

    training.apply_data_access(cli.values(DATA_ACCESS_OPTIONS, fv))
    actions = list(fv.action)
    if not actions:
        raise ValueError(f"--action must name some of {', '.join(ACTIONS)}")
    if not fv.data_dir:
        raise ValueError("--data_dir is required")
    arms = runs.parse_arms(fv.arms)
    seeds = runs.parse_seeds(fv.seeds)
    overrides = runs.parse_overrides(fv.set)
    if "split" in actions:
        if not fv.source:
            raise ValueError("--action=split needs --source")
        # Imported here: nda_tf.data loads TensorFlow, --help must not.
        from nda_tf.data.split import split_folder

        record = split_folder(
            fv.source, fv.data_dir, fv.held_out, fv.split_seed
        )
        print(
            f"split: {len(record['files']['train'])} training and "
            f"{len(record['files']['val'])} held-out images in {fv.data_dir}"
        )
    if set(actions) - {"split"} and not fv.runs_dir:
        raise ValueError("--runs_dir is required for train, score, report")
    if "train" in actions:
        done = runs.train_runs(
            fv.data_dir, fv.runs_dir, arms, seeds, fv.steps, fv.save_every,
            overrides, fv.log_every, fv.progress, fv.turn,
        )  # fmt: skip
        for logdir, step in done.items():
            print(f"trained: {logdir} at step {step}")
    settings = scoring_settings(
        fv.num_images, fv.num_generated, fv.backbone, fv.ood, fv.transforms,
        fv.score_seed, fv.sample_stats_batch,
    )  # fmt: skip
    if "score" in actions:
        scorer = Scorer(
            fv.data_dir,
            settings,
            fv.cache_dir or os.path.join(fv.runs_dir, "cache"),
            fv.batch_size,
            fv.progress,
        )
        for arm in arms:
            for seed in seeds:
                logdir = run_dir(fv.runs_dir, arm, seed)
                if not os.path.isdir(logdir):
                    print(f"scored: {logdir} has no run yet")
                    continue
                steps = scorer.score_run(logdir, fv.save_every)
                print(f"scored: {logdir} steps {steps or 'none new'}")
    if "report" in actions:
        out = fv.out or os.path.join(fv.runs_dir, "report")
        curves, paths = write_report(fv.runs_dir, arms, seeds, out, settings)
        print(table(curves))
        print(f"Written: {', '.join(paths)}")


if __name__ == "__main__":
    cli.run_command(
        OPTIONS,
        main,
        "nda_tf.experiments.real_study",
        extras=("ood", "studies"),
    )
