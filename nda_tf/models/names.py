"""The names of the model registries, importable without TensorFlow.

Command lines list them as flag choices, so that `--help` answers without
loading TensorFlow. The registries are keyed by these names (a test keeps
them equal): `nda_tf.models.ARCHITECTURES` (each name is also the module),
`resnet.BACKBONES`, `video.ENCODERS`; `pix2pix.NORMS` is `NORMS`.

    >>> from nda_tf.models import names
    >>> names.ARCHITECTURES
    ('biggan', 'sngan')
"""

# GAN architectures (`models.build_gan`); each is a module of nda_tf.models.
ARCHITECTURES = ("biggan", "sngan")
# Image encoders of MoCo (`resnet.build_backbone`).
RESNETS = ("resnet18", "resnet50", "small")
# Clip encoders of DPC (`video.build_encoder`).
VIDEO_ENCODERS = ("r2d3d18", "r2d3d34", "small")
# Normalisations of the Pix2Pix networks.
NORMS = ("batch", "instance", "none")
