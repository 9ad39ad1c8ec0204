"""The names of the evaluation registries, importable without TensorFlow.

Commands list them as flag choices, so that `--help` answers without
loading TensorFlow; `pipeline.METRICS` and `backbones.BACKBONES` are these.

    >>> from nda_tf.eval import names
    >>> names.METRICS["fid"], names.BACKBONES[0]
    ('min', 'inception')
"""

# The metric registry: name -> the better direction ("min" or "max"), which
# picks the best checkpoint. Command-line choices are read from here.
METRICS = {
    "fid": "min",
    "kid": "min",
    "is": "max",
    "precision": "max",
    "recall": "max",
    "density": "max",
    "coverage": "max",
}

# The named feature extractors, in the order of `backbones.BACKBONES`.
BACKBONES = ("inception", "inception_v3_keras", "efficientnet_lite0")
