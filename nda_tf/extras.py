"""The optional parts of nda_tf ("extras") and the one-line error when one
is missing.

`pip install nda_tf` gives the transforms, the models, NDAGAN and the
training commands with FID; each extra adds what a few commands need:

    pip install "nda_tf[ood]"       # OOD AUROCs, reports, local CIFAR-10-C
    pip install "nda_tf[video]"     # video folders, DPC's probes
    pip install "nda_tf[serving]"   # export for TF Serving, its gRPC client
    pip install "nda_tf[studies]"   # dot counting, study figures, the demo
    pip install "nda_tf[detection]" # detection AP (COCO / VOC style)
    pip install "nda_tf[all]"       # all of them

This module is the one home of that list: setup.py reads `REQUIREMENTS`
(without importing nda_tf), and code that needs an extra imports its
packages inside `needs(extra)`, so that a missing one is a
`MissingExtraError` naming the extra rather than a bare
`ModuleNotFoundError`. It imports nothing but the standard library.

    >>> try:
    ...     with needs("video", "nda_tf.data.video"):
    ...         import av_nobody_installed as av
    ... except ModuleNotFoundError as error:
    ...     print(type(error).__name__)  # not a module of the extra
    ModuleNotFoundError
    >>> print(missing_extra_message("video", "nda_tf.data.video"))
    nda_tf.data.video needs the "video" extra: pip install "nda_tf[video]"
"""

import contextlib
import importlib.util

# extra -> the distributions it installs. `all` is every extra that adds
# a feature; tool extras (`test`, `docs`) are listed in TOOLS.
REQUIREMENTS = {
    "ood": [
        # AUROC, FPR at 95% TPR, AUPR (nda_tf.eval.ood.detection).
        "scikit-learn>=1.3",
        # ROC and histogram figures (nda_tf.eval.ood.report).
        "matplotlib>=3.7",
        # The local CIFAR-10-C corruptions (nda_tf.eval.ood.corruptions):
        # OpenCV, SciPy, scikit-image, Pillow, and the frost photographs
        # of the maintained fork of imagecorruptions.
        "opencv-python>=4.5",
        "scipy>=1.10",
        "scikit-image>=0.22",
        "pillow>=9",
        "imagecorruptions-imaug>=1.1.5",
    ],
    "video": [
        # Video decoding for video_folder: sources (FFmpeg's libraries,
        # bundled in the wheels); Pillow for folders of frames.
        "av>=12",
        "pillow>=9",
        # The logistic-regression probe of DPC features.
        "scikit-learn>=1.3",
    ],
    "serving": [
        # PredictionLog protos for the warm-up files of exported models,
        # and the gRPC client; it pins the matching TensorFlow minor.
        "tensorflow-serving-api>=2.16,<3",
    ],
    "studies": [
        # Connected components for counting dots (nda_tf.eval.counting).
        "scipy>=1.10",
        # Figures of the numerosity, real-image and distance studies.
        "matplotlib>=3.7",
        # AUROCs of the real-image study's scores.
        "scikit-learn>=1.3",
        # Sample photographs for the transforms picture.
        "scikit-image>=0.22",
    ],
    "detection": [
        # COCO's evaluator: AP, AP50, AP75 of detections
        # (nda_tf.eval.detection; docs/detection.md says why this and
        # not a detection library's).
        "pycocotools>=2.0.7",
    ],
}
TOOLS = {
    "test": [
        "pytest>=7",
        "pytest-xdist>=3",
        "ruff>=0.5",
        # The transforms under Keras' JAX backend (tests/backends).
        "jax>=0.4.26",
        # The release checks: sdist and wheel, their metadata.
        "build>=1",
        "twine>=5",
    ],
    # The documentation site: bash docs/build.sh (mkdocs.yml).
    "docs": [
        "mkdocs>=1.6,<2",
        "mkdocstrings>=1.0",
        "mkdocstrings-python>=2.0",
        "mkdocs-material>=9.5",
        "mkdocs-gen-files>=0.5",
        "mkdocs-literate-nav>=0.6",
    ],
}

# extra -> the top-level modules whose absence means the extra is missing
# (imagecorruptions is read as a resource). Pillow and grpcio, which the
# extras also use, come with the core (TensorBoard and TensorFlow need
# them), so they are no sign of a missing extra.
MODULES = {
    "ood": ("sklearn", "matplotlib", "cv2", "scipy", "skimage")
    + ("imagecorruptions",),
    "video": ("av", "sklearn"),
    "serving": ("tensorflow_serving",),
    "studies": ("scipy", "matplotlib", "sklearn", "skimage"),
    "detection": ("pycocotools",),
}


def extras_require():
    """setup.py's `extras_require`: every extra, the tools and `all`."""
    extras = {**REQUIREMENTS, **TOOLS}
    extras["all"] = sorted({r for reqs in REQUIREMENTS.values() for r in reqs})
    return extras


class MissingExtraError(ImportError):
    """An optional package of an extra is not installed; the message is one
    line naming the extra to install."""


def missing_extra_message(extra, what):
    """The one line: `what` (a command, a module) needs `extra`."""
    return f'{what} needs the "{extra}" extra: pip install "nda_tf[{extra}]"'


def _check_extra(extra):
    if extra not in MODULES:
        raise ValueError(
            f"unknown extra {extra!r}; extras: {', '.join(sorted(MODULES))}"
        )


@contextlib.contextmanager
def needs(extra, what):
    """Imports inside the block need `extra`: a missing package of it
    becomes a `MissingExtraError` saying which extra installs it.

    Args:
        extra: a key of `MODULES`.
        what: what needs it, the message's subject (a module or a
            command: "nda_tf.eval.ood.corruptions").
    """
    _check_extra(extra)
    try:
        yield
    except ModuleNotFoundError as error:
        top = (error.name or "").split(".")[0]
        if top not in MODULES[extra]:
            raise
        raise MissingExtraError(
            f"{missing_extra_message(extra, what)} (no module {top!r})"
        ) from None


def missing(extra):
    """The modules of `extra` that cannot be imported, without importing
    any of them."""
    _check_extra(extra)
    return [m for m in MODULES[extra] if not _importable(m)]


def _importable(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a finder refused it
        return False


def require(extras, what):
    """Raises a `MissingExtraError` unless every extra in `extras` is
    installed; commands call it before any work."""
    for extra in extras:
        absent = missing(extra)
        if absent:
            raise MissingExtraError(
                f"{missing_extra_message(extra, what)} "
                f"(no module {absent[0]!r})"
            )
