"""Paper Figure 9: how far runs keep images from their NDA versions.

For each run, the cosine distance `1 - cos(h(x), h(nda(x)))` between the
frozen encoder features of test images and of their jigsaw (or other NDA)
versions; the same images and the same transformations for every run. An
encoder trained with NDA should put the two further apart.
"""

import os

import numpy as np

from nda_tf import extras, training
from nda_tf.contrastive import evaluation
from nda_tf.contrastive.recipe import MOCO
from nda_tf.data import images as image_ops


def run_distances(logdirs, num_images=1000, nda="jigsaw", seed=0):
    """Per-image distances of each run, on the first run's test images.

    Args:
        logdirs: dict label -> MoCo run directory (e.g. {"MoCo-v2": ...,
            "NDA (jigsaw)": ...}).
        num_images: test images (a seeded subset; None: all).
        nda: the transform applied to the images.
        seed: subset and transform seed.

    Returns:
        dict label -> float32 array `[num_images]`.
    """
    if not logdirs:
        raise ValueError("give at least one run directory")
    loaded = {label: training.load_run(MOCO, d) for label, d in logdirs.items()}
    first = next(iter(loaded.values()))[1]
    for label, (_, config) in loaded.items():
        if config["resolution"] != first["resolution"]:
            raise ValueError(
                f"run {label!r} has resolution {config['resolution']}, the "
                f"first run {first['resolution']}: compare runs of one size"
            )
    pixels, _ = evaluation.labelled_images(first, True, num_images, seed)
    images = image_ops.to_float(pixels).numpy()
    return {
        label: evaluation.nda_cosine_distance(moco.encoder, images, nda, seed)
        for label, (moco, _) in loaded.items()
    }


def summarize(distances):
    """Mean, median and standard deviation per run."""
    return {
        label: {
            "mean": float(np.mean(d)),
            "median": float(np.median(d)),
            "std": float(np.std(d)),
            "images": int(len(d)),
        }
        for label, d in distances.items()
    }


def plot(distances, path, nda="jigsaw"):
    """Overlaid histograms of the distances of each run, saved as a PNG."""
    # A bare Figure renders with Agg on savefig: no pyplot, so the user's
    # matplotlib backend is left as it was.
    with extras.needs("studies", __name__):
        from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4), dpi=120)
    axes = figure.subplots()
    everything = np.concatenate(list(distances.values()))
    bins = np.linspace(
        min(0.0, everything.min()), max(everything.max(), 1e-3), 41
    )
    for label, values in distances.items():
        axes.hist(
            values,
            bins=bins,
            alpha=0.55,
            label=f"{label} (mean {np.mean(values):.3f})",
        )
    axes.set_xlabel(f"cosine distance between h(x) and h({nda}(x))")
    axes.set_ylabel("images")
    axes.set_title(f"Representations of images and their {nda} versions")
    axes.legend()
    figure.tight_layout()
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    figure.savefig(path)
    return path


def figure9(logdirs, out, num_images=1000, nda="jigsaw", seed=0):
    """Distances, histogram PNG `out` and `out` with `.json` (summary)."""
    distances = run_distances(logdirs, num_images, nda, seed)
    plot(distances, out, nda)
    summary = {
        "nda": nda,
        "runs": {k: os.path.abspath(v) for k, v in logdirs.items()},
        "distance": summarize(distances),
    }
    training.write_json_atomic(os.path.splitext(out)[0] + ".json", summary)
    return distances, summary
