"""The C4 trunk and box head, cut from one encoder; the ImageNet encoder.

An encoder is a functional `keras.Model` from images to pooled features
whose stage-4 output (C4; ResNet's res4) is a named layer:
`nda_tf.models.resnet`'s encoders (MoCo's) name it `stage3` (their
stages count from 1 after the stem), `keras.applications.ResNet50`
`conv4_block6_out`. The trunk is the graph up to C4; the head the graph
from C4 to the pooled features (res5 and global average pooling), which
Faster R-CNN's C4 setting runs on each RoI. Both share the encoder's
layers, so training the detector fine-tunes the encoder itself.

    >>> from nda_tf.models import resnet
    >>> trunk, head, stride = cut(resnet.small_resnet(width=4), "stage3")
    >>> trunk.output_shape, head.output_shape, stride
    ((None, None, None, 16), (None, 32), 4)
"""

import os
import pathlib

import keras

from nda_tf.data import downloads

# The ImageNet ResNet-50's C4 layer and its input: Caffe's BGR pixels
# less the ImageNet means (what keras.applications' weights expect).
IMAGENET_C4 = "conv4_block6_out"
_CAFFE_MEANS = (103.939, 116.779, 123.68)
# keras.applications' ResNet-50 weights without the top, and their server.
IMAGENET_WEIGHTS = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
_WEIGHTS_SERVER = "https://storage.googleapis.com/"
# Probe input sides, multiples of any stride in use: the stride is a
# probe over C4's side. Not the encoder's own size: each stride-2 layer
# rounds its side up, so 120 pixels give 8 cells (not 120 / 16).
_PROBES = (256, 512)
# C4's stride by stem: the ImageNet stem (a stride-2 convolution, then a
# stride-2 max-pool) and the two stride-2 stages before C4 (x 4); the CIFAR
# stem keeps the input's size. Keras' ResNet-50 has the ImageNet stem.
C4_STRIDES = {"cifar": 4, "imagenet": 16}


def cut(encoder, c4_layer):
    """`(trunk, head, stride)` of `encoder` cut at the layer `c4_layer`."""
    if not isinstance(encoder, keras.Model) or not hasattr(encoder, "inputs"):
        raise ValueError(
            f"encoder must be a functional keras.Model, received {encoder!r}"
        )
    names = [layer.name for layer in encoder.layers]
    if c4_layer not in names:
        raise ValueError(
            f"c4_layer {c4_layer!r} is not a layer of encoder "
            f"{encoder.name!r} (its last layers: {', '.join(names[-4:])})"
        )
    c4 = encoder.get_layer(c4_layer).output
    if len(encoder.output.shape) != 2:
        raise ValueError(
            f"encoder {encoder.name!r} must end in pooled features [B, D]; "
            f"its output shape is {encoder.output.shape}"
        )
    trunk = keras.Model(encoder.inputs, c4, name="trunk")
    head = keras.Model(c4, encoder.output)
    # The head runs on RoIs, not on the image's C4: the same layers
    # (`clone_function` returns each one itself) on an input of any size.
    head = keras.models.clone_model(
        head,
        input_tensors=keras.Input((None, None, c4.shape[-1])),
        clone_function=lambda layer: layer,
    )
    return trunk, head, _stride(encoder, trunk)


def _stride(encoder, trunk):
    """C4's stride, probed on the trunk's layers at `_PROBES` (the
    encoder's input may be fixed to another size)."""
    sides = []
    for probe in _PROBES:
        clone = keras.models.clone_model(
            trunk,
            input_tensors=[keras.Input((probe, probe, 3))],
            clone_function=lambda layer: layer,
        )
        sides.append(clone.output_shape[1])
    stride = _PROBES[0] // sides[0] if sides[0] else 0
    if not stride or [stride * s for s in sides] != list(_PROBES):
        raise ValueError(
            f"the C4 map of encoder {encoder.name!r} is {sides} cells for "
            f"{list(_PROBES)} pixels: no whole stride"
        )
    size = encoder.input_shape[1]
    if size is not None and size % stride:
        raise ValueError(size_error(size, stride))
    return stride


def size_error(size, stride):
    """The one line refusing an input `size` that is not a multiple of
    C4's `stride`, with the nearest sizes that are."""
    below, above = size // stride * stride, (size // stride + 1) * stride
    nearest = f"{below} or {above}" if below >= stride else f"{above}"
    return (
        f"resolution {size} is not a multiple of the encoder's C4 stride "
        f"{stride} (anchors and RoIAlign would be misaligned): use {nearest}"
    )


@keras.saving.register_keras_serializable(package="nda_tf")
class CaffeInput(keras.layers.Layer):
    """Our images in [-1, 1] (RGB) as Caffe's ResNet-50 inputs: BGR,
    0..255 less the ImageNet channel means."""

    def call(self, images):
        pixels = (images + 1.0) * 127.5
        return pixels[..., ::-1] - keras.ops.convert_to_tensor(
            _CAFFE_MEANS, pixels.dtype
        )


def check_imagenet_weights(download=None):
    """Raises a one-line ValueError when Keras' ImageNet ResNet-50 weights
    are neither cached (`~/.keras/models`, or `$KERAS_HOME/models`) nor
    downloadable now (downloads off, `download`, or the server not
    reachable within seconds); the path to copy them to otherwise."""
    root = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    cached = pathlib.Path(root) / "models" / IMAGENET_WEIGHTS
    if cached.is_file():
        return cached
    how_to = f"copy {IMAGENET_WEIGHTS} to {cached} from a machine with network"
    if not downloads.allowed(download):
        raise ValueError(
            f"the ImageNet ResNet-50 weights are not in the Keras cache "
            f"({cached}) and downloads are off: {how_to}"
        )
    try:
        # Keras would wait on an unreachable server: probe it first.
        downloads.check_reachable(_WEIGHTS_SERVER)
    except downloads.DownloadError as error:
        raise ValueError(
            f"the ImageNet ResNet-50 weights are not in the Keras cache "
            f"({cached}) and cannot be downloaded: {error}. {how_to}"
        ) from None
    return cached


def imagenet_resnet50(size, weights="imagenet"):
    """`keras.applications.ResNet50` (ImageNet-supervised) taking our
    images, ending in global average pooling; its C4 is `IMAGENET_C4`.

    Args:
        size: input height and width, or None for any.
        weights: "imagenet" (downloaded once by Keras into
            `~/.keras/models`) or None (random init).
    """
    images = keras.Input((size, size, 3), name="images")
    return keras.applications.ResNet50(
        include_top=False,
        weights=weights,
        input_tensor=CaffeInput(name="caffe_input")(images),
        pooling="avg",
    )
