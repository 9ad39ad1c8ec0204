"""The two runs of the numerosity study, their counts and reports."""

import json
import os

import numpy as np
import tensorflow as tf

from nda_tf import training
from nda_tf.data import clevr
from nda_tf.eval import counting
from nda_tf.gan import monitoring
from nda_tf.gan.recipe import GAN

RUNS = ("without NDA", "with NDA")


SOURCES = ("dots", "clevr")


def study_configs(
    k,
    negative_counts,
    base,
    radius=3,
    source="dots",
    data_dir=None,
    clevr_folder=None,
):
    """The two run configurations: `{"without NDA": ..., "with NDA": ...}`.

    Args:
        k: int, the dot (or object) count of every training image.
        negative_counts: ints, the counts of the NDA images.
        base: dict of other GAN recipe options (shared).
        radius: dot radius of training and NDA images (dots only).
        source: "dots" (generated, 32x32) or "clevr" (tfds CLEVR scenes
            with that many objects, 64x64 by default; counts 3 to 10).
        data_dir: tfds data directory (clevr).
        clevr_folder: optional CLEVR folder (`nda_tf.data.clevr`: the
            CLEVR_v1.0 layout, as the official generator writes it) read
            instead of tfds, with any counts: the paper's k = 2 against
            1 and 3 from rendered scenes.
    """
    negative_counts = tuple(int(c) for c in negative_counts)
    if not negative_counts or k in negative_counts:
        raise ValueError(
            f"negative_counts must be non-empty and exclude k={k}; received "
            f"{negative_counts}"
        )
    if clevr_folder is not None and source != "clevr":
        raise ValueError(
            f"clevr_folder={clevr_folder!r} needs source='clevr', received "
            f"source={source!r}"
        )
    if source not in SOURCES:
        raise ValueError(
            f"source must be one of {SOURCES}, received {source!r}"
        )
    common = dict(base)
    if source == "clevr":
        size = base.get("resolution") or 64
        dataset = clevr.source_name((k,), clevr_folder)
        nda = (
            f"clevr(counts={negative_counts!r}, resolution={size}, "
            f"data_dir={data_dir!r}, folder={clevr_folder!r})"
        )
        common["data_dir"] = data_dir
    else:
        size = base.get("resolution") or 32
        dataset = f"dots(counts=({k},), size={size}, radius={radius})"
        nda = f"dots(counts={negative_counts!r}, size={size}, radius={radius})"
    common.update(dataset=dataset, resolution=size)
    return {RUNS[0]: dict(common, nda="none"), RUNS[1]: dict(common, nda=nda)}


def run_study(
    k,
    negative_counts,
    base,
    logdir,
    num_samples=1000,
    options=None,
    radius=3,
    use_ema=False,
    source="dots",
    data_dir=None,
    clevr_folder=None,
):
    """Trains (or resumes) both runs, counts their samples, writes reports.

    Writes into `logdir`: `counts.png` (the count distributions),
    `results.md`, `results.json`, a TensorBoard image, and each run's own
    directory (`without_nda/`, `with_nda/`).

    Args:
        use_ema: count the EMA generator's samples; False counts G's (the
            better choice for short runs, whose EMA lags far behind).
        source: as for `study_configs`; generated CLEVR scenes are
            counted with `nda_tf.eval.counting.count_objects`.
        data_dir: as for `study_configs`.
        clevr_folder: as for `study_configs`.

    Returns:
        dict run name -> `CountSummary`, or None when a signal stopped a
        run (it saved a checkpoint; the same call resumes the study).
    """
    configs = study_configs(
        k,
        negative_counts,
        base,
        radius,
        source=source,
        data_dir=data_dir,
        clevr_folder=clevr_folder,
    )
    count = counting.count_objects if source == "clevr" else counting.count_dots
    summaries = {}
    for name, config in configs.items():
        run_dir = os.path.join(logdir, name.replace(" ", "_").lower())
        gan, summary = training.train(GAN, config, run_dir, options)
        if summary["interrupted"]:
            return None
        # Moving statistics, with which the study's counts were recorded.
        images = gan.generate(
            num_samples,
            seed=config.get("seed", 0) + 7,
            use_ema=use_ema,
            stats_batch=0,
        )
        counts = count(images)
        summaries[name] = counting.summarize_counts(
            counts, target=k, max_count=2 * k + 2
        )
        monitoring.save_png(
            os.path.join(logdir, f"{os.path.basename(run_dir)}_samples.png"),
            monitoring.image_grid(images[:64]),
        )
    write_reports(summaries, k, negative_counts, configs, logdir)
    return summaries


def write_reports(summaries, k, negative_counts, configs, logdir):
    os.makedirs(logdir, exist_ok=True)
    plot = os.path.join(logdir, "counts.png")
    counting.plot_counts(
        summaries,
        plot,
        title=f"Generated dot counts, trained on {k} "
        f"(NDA: {', '.join(map(str, negative_counts))})",
    )
    image = tf.io.decode_png(tf.io.read_file(plot))
    writer = tf.summary.create_file_writer(os.path.join(logdir, "summary"))
    with writer.as_default(step=0):
        tf.summary.image("dot_counts", image[None])
    writer.close()
    with open(os.path.join(logdir, "results.md"), "w") as file:
        file.write(markdown(summaries, k))
    results = {
        name: {
            "exact_fraction": s.exact,
            "mean_abs_error": s.mean_abs_error,
            "mean_count": s.mean,
            "histogram": s.histogram.tolist(),
            "config": configs[name],
        }
        for name, s in summaries.items()
    }
    with open(os.path.join(logdir, "results.json"), "w") as file:
        json.dump(
            {"k": k, "negative_counts": list(negative_counts), "runs": results},
            file,
            indent=2,
        )


def markdown(summaries, k):
    """A table: fraction with exactly k dots, mean |count - k|, histogram."""
    length = max(len(s.histogram) for s in summaries.values())
    header = " | ".join(str(c) for c in range(length))
    lines = [
        f"| run | exactly {k} | mean abs(count - {k}) | mean count | "
        f"{header} |",
        "| --- | --- | --- | --- |" + " --- |" * length,
    ]
    for name, s in summaries.items():
        fractions = np.zeros(length)
        fractions[: len(s.fractions)] = s.fractions
        cells = " | ".join(f"{f:.3f}" for f in fractions)
        lines.append(
            f"| {name} | {s.exact:.3f} | {s.mean_abs_error:.3f} | "
            f"{s.mean:.2f} | {cells} |"
        )
    return "\n".join(lines) + "\n"
