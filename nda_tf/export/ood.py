"""`export_ood_detector`: a trained discriminator as a TF Serving model."""

import numpy as np
import tensorflow as tf

from nda_tf import transforms
from nda_tf.eval import batching
from nda_tf.eval.ood.detection import auroc
from nda_tf.export import calibration, checks, servable
from nda_tf.export.detector import (
    FLOAT_SIGNATURE,
    SERVING_SIGNATURE,
    OODDetector,
)


def export_ood_detector(
    discriminator,
    resolution,
    calibration_images,
    out_dir,
    model_name="nda_ood",
    version=1,
    num_classes=1,
    label=None,
    tpr=0.95,
    nda="jigsaw",
    negative_images=None,
    metadata=None,
    overwrite=False,
    batch_size=256,
    seed=0,
):
    """Exports `discriminator` as a calibrated OOD detector SavedModel.

    Scores held-out in-distribution `calibration_images`, sets the outlier
    threshold at true-positive rate `tpr` on them, fits the probability
    calibration against negatives (see `nda_tf.export.calibration`), and
    writes `out_dir/model_name/version/` for TF Serving, with warm-up
    requests and a `metadata.json` asset.

    Args:
        discriminator: Keras model, `D(images)` or `D([images, labels])`.
        resolution: int, the training image size.
        calibration_images: held-out in-distribution images, uint8 in
            0..255 or float in [-1, 1] (as `nda_tf.data` yields), shape
            `[N, H, W, 3]`, N >= 2.
        out_dir: the serving base folder.
        model_name: str, the TF Serving model name.
        version: int >= 1.
        num_classes: int, 1 for an unconditional discriminator.
        label: conditional only: the class to score with, or None for the
            maximum over classes.
        tpr: float in (0, 1], in-distribution images kept above threshold.
        nda: negatives for the calibration fit: anything
            `nda_tf.transforms.get` accepts (applied to the calibration
            images), or None; uniform-noise images are always added.
        negative_images: optional extra negatives (same formats).
        metadata: dict stored in the JSON asset under "run" (training
            configuration, transform, lam, evaluation metrics, ...).
        overwrite: replace an existing version.
        batch_size: images per discriminator call at export time.
        seed: int seed of the negatives.

    Returns:
        The version folder path.
    """
    checks.require_finite_weights(discriminator, "discriminator")
    detector = OODDetector(discriminator, resolution, num_classes, label)
    real = _as_scaled("calibration_images", calibration_images)
    if len(real) < 2:
        raise ValueError(
            f"need at least 2 calibration images, received {len(real)}"
        )
    real = _batched(detector.resize, real, batch_size)
    negatives = _negatives(
        real, nda, negative_images, detector, batch_size, seed
    )
    in_scores = _batched(detector.score_prepared, real, batch_size)
    every_negative = np.concatenate(list(negatives.values()))
    out_scores = _batched(detector.score_prepared, every_negative, batch_size)
    threshold = calibration.threshold_at_tpr(in_scores, tpr)
    slope, intercept = calibration.fit_logistic(in_scores, out_scores)
    detector.set_calibration(threshold, slope, intercept)
    stats = {
        "num_in_distribution": int(len(in_scores)),
        "negatives": {k: int(len(v)) for k, v in negatives.items()},
        "tpr_achieved": float(np.mean(in_scores >= threshold)),
        "negatives_flagged": float(np.mean(out_scores < threshold)),
        "auroc_vs_negatives": auroc(in_scores, out_scores),
        "in_score_mean": float(np.mean(in_scores)),
        "negative_score_mean": float(np.mean(out_scores)),
    }
    about = {
        "kind": "nda_ood_detector",
        "resolution": resolution,
        "num_classes": num_classes,
        "scoring": _scoring(num_classes, label),
        "threshold": threshold,
        "tpr": tpr,
        "calibration": {
            "method": "logistic (Platt) fit, classes weighted equally",
            "formula": "sigmoid(slope * score + intercept)",
            "slope": slope,
            "intercept": intercept,
            **stats,
        },
        "signatures": {
            SERVING_SIGNATURE: "images: uint8 [N, H, W, 3] in 0..255",
            FLOAT_SIGNATURE: "images: float32 [N, H, W, 3] in [0, 1]",
            "outputs": "score (float32 [N], higher = in-distribution), "
            "is_outlier (bool [N]), in_distribution_probability "
            "(float32 [N])",
        },
    }
    where = (out_dir, model_name, version, overwrite)
    return servable.save_servable(
        detector, about, metadata, _warmup(model_name, resolution), *where
    )


def _scoring(num_classes, label):
    if num_classes == 1:
        return "unconditional logit"
    if label is None:
        return "maximum logit over classes"
    return f"logit for class {label}"


def _as_scaled(name, images):
    """uint8 0..255 or float [-1, 1] images -> float32 in [-1, 1]."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"{name} must be [N, H, W, 3] images, received shape {images.shape}"
        )
    scaled = batching.to_float(images, name)
    if not np.isfinite(scaled).all() or np.abs(scaled).max() > 1.0 + 1e-6:
        raise ValueError(
            f"float {name} must be finite and in [-1, 1]; received values "
            f"in [{images.min()}, {images.max()}]"
        )
    return scaled


def _negatives(real, nda, negative_images, detector, batch_size, seed):
    rng = np.random.default_rng(seed)
    negatives = {
        "uniform_noise": rng.uniform(-1, 1, real.shape).astype(np.float32)
    }
    layer = transforms.get(nda)
    if layer is not None:
        name = nda if isinstance(nda, str) else type(layer).__name__
        negatives[f"nda:{name}"] = np.asarray(
            layer.transform_with_seed(tf.constant(real), [seed, 1])
        )
    if negative_images is not None:
        extra = _as_scaled("negative_images", negative_images)
        negatives["negative_images"] = _batched(
            detector.resize, extra, batch_size
        )
    return negatives


def _batched(fn, images, batch_size):
    return np.concatenate(
        [fn(tf.constant(b)) for b in batching.batches(images, batch_size)]
    )


def _warmup(model_name, resolution):
    # Batch 1 and 8 at the training size, and one larger image that takes
    # the resize branch, so the first real requests find warm kernels.
    grey = np.full([1, resolution, resolution, 3], 128, np.uint8)
    large = np.full([1, 2 * resolution, 2 * resolution, 3], 128, np.uint8)
    requests = [
        (SERVING_SIGNATURE, grey),
        (SERVING_SIGNATURE, np.repeat(grey, 8, axis=0)),
        (SERVING_SIGNATURE, large),
        (FLOAT_SIGNATURE, grey.astype(np.float32) / 255.0),
    ]
    return [
        servable.predict_log(model_name, signature, {"images": images})
        for signature, images in requests
    ]
