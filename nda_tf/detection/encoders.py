"""The detector's encoder: a MoCo run's, Keras' ImageNet ResNet-50, or a
random one.

A MoCo run directory is read without the MoCo recipe (an algorithm
imports no other): its `config.json` says how its encoder was built
(`arch`, `width`, `stem`), the same ResNet is built here by
`nda_tf.models.resnet`, and the recipe reads the encoder's variables
from the run's checkpoint, where the MoCo model holds it as `encoder`
(`moco_layout`, `nda_tf.training.restore_parts`). The key encoder,
heads and queue are left unread.
"""

import tensorflow as tf

from nda_tf.detection import backbone
from nda_tf.models import resnet

NAMED = ("none", "imagenet")
# The C4 layer of nda_tf.models.resnet's encoders.
RESNET_C4 = "stage3"


def resolve(c, saved=None):
    """Sets `arch`, `width` and `stem` of `c` from `c["encoder"]`:
    imagenet's ResNet-50, or the MoCo run whose `config.json` is `saved`;
    one-line errors for a setting that contradicts the encoder."""
    source = c["encoder"]
    if source is None:
        raise ValueError(
            "encoder is required: a MoCo run directory, imagenet (Keras' "
            "supervised ResNet-50) or none (random init)"
        )
    if source == "imagenet":
        _same(c, "arch", "resnet50", "the imagenet encoder")
        for key in ("width", "stem"):
            if c[key] is not None:
                raise ValueError(
                    f"{key} cannot be set for --encoder=imagenet (Keras' "
                    f"ResNet-50); received {c[key]!r}"
                )
    elif source == "none":
        c["arch"] = c["arch"] or "resnet50"
    else:
        for key in ("arch", "width", "stem"):
            _same(c, key, saved.get(key), f"the MoCo run {source!r}")


def _same(c, key, value, what):
    if c[key] is not None and c[key] != value:
        raise ValueError(
            f"{key}={c[key]!r} differs from {what}'s {value!r}: leave "
            f"--{key} unset"
        )
    c[key] = value


def build(c, pretrained=True):
    """`(encoder, c4_layer)` of a resolved config: imagenet's with its
    weights (unless not `pretrained`: a model about to be restored from
    its own checkpoint), our ResNets initialised (a MoCo run's are read
    into it by the recipe)."""
    size = c["resolution"]
    if c["encoder"] == "imagenet":
        weights = "imagenet" if pretrained else None
        return backbone.imagenet_resnet50(size, weights), backbone.IMAGENET_C4
    kwargs = {"stem": c["stem"]}
    if c["width"] is not None:
        kwargs["width"] = c["width"]
    encoder = resnet.build_backbone(
        c["arch"], input_shape=(size, size, 3), **kwargs
    )
    return encoder, RESNET_C4


def moco_layout(encoder):
    """An object holding `encoder` where a MoCo model holds its query
    encoder, for `tf.train.Checkpoint(model=...)` to restore it alone."""
    holder = tf.Module()
    holder.encoder = encoder
    return holder
