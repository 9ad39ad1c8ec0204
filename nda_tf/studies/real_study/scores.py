"""Scores of the real-image study's checkpoints on the held-out part
(`nda_tf.studies.real_study`): the discriminator as an anomaly detector
(OOD sets, D(x) - D(T(x)) per transform) and the EMA generator's FD and
support metrics, cached as JSON per checkpoint (`Scorer`, `read_score`).
"""

import json
import os
import re

# The OOD sets: the 19 local corruptions at severity 5 (one group), two
# noises and NDA-made versions of the held-out images.
OOD_SETS = (
    "corrupt",
    "noise:gaussian",
    "noise:uniform",
    "nda:jigsaw",
    "nda:stitch",
    "nda:cutout",
)
# T of the D(x) - D(T(x)) statistics.
TRANSFORMS = ("jigsaw", "stitch", "cutout", "mixup", "cutmix")
GENERATION_METRICS = ("fid", "precision", "recall", "density", "coverage")
SCORES = "real_study"  # LOGDIR/real_study/ckpt-<step>/ and scores/


def scoring_settings(
    num_images=None,
    num_generated=2000,
    backbone="efficientnet_lite0",
    ood_sets=OOD_SETS,
    transforms=TRANSFORMS,
    seed=0,
    sample_stats_batch=0,
):
    """What a checkpoint's scores depend on besides its weights; a cached
    score with other settings is scored again. `code` fingerprints the
    local corruptions' source, so that scores made before a change of
    their parameters are not mixed with scores made after it.
    `sample_stats_batch` is `NDAGAN.generate`'s `stats_batch` for G_ema's
    samples; recorded only when not 0, so that the scores made before it
    existed (moving statistics) keep their settings."""
    settings = {
        "num_images": num_images,
        "num_generated": int(num_generated),
        "backbone": backbone,
        "ood_sets": list(ood_sets),
        "transforms": list(transforms),
        "seed": int(seed),
        "code": corruption_code(),
    }
    from nda_tf.gan.nda_gan import check_stats_batch

    if check_stats_batch("sample_stats_batch", sample_stats_batch):
        settings["sample_stats_batch"] = int(sample_stats_batch)
    return settings


def corruption_code():
    """A short digest of the modules that make the local corruptions."""
    import hashlib

    from nda_tf.eval.ood import corruptions, sets

    digest = hashlib.sha1()
    for module in (corruptions, sets):
        with open(module.__file__, "rb") as file:
            digest.update(file.read())
    return digest.hexdigest()[:12]


def run_dir(runs_dir, arm, seed):
    """The run directory of one arm and seed: `runs_dir/<arm>_s<seed>`."""
    return os.path.join(runs_dir, f"{arm}_s{int(seed)}")


def checkpoint_steps(logdir, every=None):
    """Steps of the run's kept checkpoints, oldest first; with `every`,
    only the multiples of it (a checkpoint written at a stop in between
    is not a point shared by the other runs)."""
    from nda_tf.training import CheckpointKeeper

    keeper = CheckpointKeeper(os.path.join(logdir, "checkpoints"), None)
    steps = [e["step"] for e in keeper.entries()]
    return [s for s in steps if not every or s % int(every) == 0]


def scored_steps(logdir, settings=None):
    """Steps with a cached score file (in the folder of `settings`),
    oldest first: a score outlives its checkpoint (a rotated or lost
    checkpoint keeps its measured point)."""
    folder = os.path.dirname(score_path(logdir, 0, settings))
    names = os.listdir(folder) if os.path.isdir(folder) else []
    return sorted(
        int(n[len("ckpt-") : -len(".json")])
        for n in names
        if re.fullmatch(r"ckpt-\d+\.json", n)
    )


def score_path(logdir, step, settings=None):
    """Where a checkpoint's score is kept: `scores/`, or, for G_ema
    sampled with batch statistics, `scores-stats<N>/`, so that the two
    kinds never overwrite each other."""
    stats_batch = (settings or {}).get("sample_stats_batch")
    folder = f"scores-stats{stats_batch}" if stats_batch else "scores"
    return os.path.join(logdir, SCORES, folder, f"ckpt-{int(step)}.json")


def read_score(logdir, step, settings=None):
    """The cached score of a checkpoint, or None (none, or other
    settings)."""
    path = score_path(logdir, step, settings)
    if not os.path.isfile(path):
        return None
    with open(path) as file:
        record = json.load(file)
    if settings is not None and record.get("settings") != settings:
        return None
    return record


class Scorer:
    """Scores checkpoints on the held-out part; keeps what every
    checkpoint shares (the backbone, the held-out images' features).

    Args:
        data_dir: the split (`split_folder`'s output); `val/` is scored.
        settings: `scoring_settings(...)`.
        cache_dir: cache of corrupted sets and reference features; a
            subfolder per corruption code keeps old corrupted images out.
        batch_size: images per discriminator and backbone call.
        progress: show progress.
        extractor: optional `FeatureExtractor` instead of the one named by
            `settings["backbone"]` (its name must be that name).
    """

    def __init__(
        self,
        data_dir,
        settings,
        cache_dir,
        batch_size=256,
        progress=False,
        extractor=None,
    ):
        if extractor is not None and extractor.name != settings["backbone"]:
            raise ValueError(
                f"the extractor is {extractor.name!r} but the settings name "
                f"{settings['backbone']!r}"
            )
        from nda_tf.data.split import check_split

        check_split(data_dir)
        self.val = "folder:" + os.path.join(os.path.abspath(data_dir), "val")
        self.settings = settings
        self.cache_dir = os.path.join(cache_dir, f"code-{settings['code']}")
        self.batch_size = int(batch_size)
        self.progress = progress
        self._extractor = extractor
        self._reference = {}

    def pending(self, logdir, every=None):
        """Steps of `logdir` with no score under these settings."""
        return [
            s
            for s in checkpoint_steps(logdir, every)
            if read_score(logdir, s, self.settings) is None
        ]

    def score_run(self, logdir, every=None):
        """Scores every kept checkpoint of `logdir` not scored yet (under
        these settings); returns the steps scored."""
        steps = self.pending(logdir, every)
        for step in steps:
            self.score(logdir, step)
        return steps

    def score(self, logdir, step):
        """Scores the checkpoint of `step`; writes and returns its record."""
        from nda_tf import training
        from nda_tf.eval import batching, pipeline
        from nda_tf.eval.ood import run as ood_run
        from nda_tf.gan.recipe import GAN
        from nda_tf.training import write_json_atomic

        s = self.settings
        gan, config = training.load_run(GAN, logdir, int(step))
        out_dir = os.path.join(logdir, SCORES, f"ckpt-{int(step)}")
        report, _ = ood_run.evaluate_discriminator(
            gan.discriminator,
            self.val,
            list(s["ood_sets"]),
            out_dir,
            resolution=config["resolution"],
            num_images=s["num_images"],
            transform=list(s["transforms"]) or None,
            num_classes=config["num_classes"],
            batch_size=self.batch_size,
            seed=s["seed"],
            step=int(step),
            progress=self.progress,
            title=f"{logdir}, step {step}: held-out images against OOD sets",
            training_source=config["dataset"],
            cache_dir=self.cache_dir,
        )
        extractor = self.extractor()
        real = self.reference(config["resolution"])
        stats_batch = s.get("sample_stats_batch", 0)
        # Whole batches of `stats_batch` with batch statistics; with the
        # moving ones (0) each batch is one draw of seed + its start, as
        # the kept scores were made.
        generated = pipeline.compute_statistics(
            batching.drawn_in_units(
                lambda count, start: gan.generate(
                    count, seed=s["seed"] + start, stats_batch=stats_batch
                ),
                stats_batch,
            ),
            extractor,
            num_images=s["num_generated"],
            batch_size=self.batch_size,
            keep_features=True,
            progress=self.progress,
        )
        record = {
            "step": int(step),
            "logdir": os.path.abspath(logdir),
            "nda": config["nda"],
            "seed": config["seed"],
            "settings": s,
            "ood": report.to_dict(),
            "generation": pipeline.score(generated, real, GENERATION_METRICS),
            "reference": f"{real.count} held-out images ({self.val})",
        }
        write_json_atomic(score_path(logdir, step, s), record)
        return record

    def extractor(self):
        if self._extractor is None:
            from nda_tf.eval import backbones

            self._extractor = backbones.from_name(
                self.settings["backbone"], None, self.cache_dir
            )
        return self._extractor

    def reference(self, resolution):
        """Features of the held-out images (all of them), once."""
        if resolution not in self._reference:
            from nda_tf import data
            from nda_tf.eval import reference

            images, info = data.load(self.val, resolution=resolution)
            self._reference[resolution] = reference.reference_statistics(
                self.val,
                self.extractor(),
                split=f"all-{resolution}",
                num_images=info.num_examples,
                source=images,
                cache_dir=self.cache_dir,
                batch_size=self.batch_size,
                progress=self.progress,
            )
        return self._reference[resolution]
