"""Encoder SavedModel: uint8 images (or clips) in, their embedding out.

`serving_default` takes uint8 images `[N, H, W, 3]` of any size (or clips
`[N, F, H, W, 3]` for a clip encoder), prepares each image as the training
data was prepared (centre square crop, antialiased bilinear resize to the
run's resolution, rounding to uint8, `x / 127.5 - 1`) and returns
`{"embedding": [N, D]}`: a MoCo encoder's pooled features (before the
projection head), or a DPC model's clip embedding.
"""

import numpy as np
import tensorflow as tf

from nda_tf import checks as arguments
from nda_tf.data import images as image_ops
from nda_tf.export import checks, servable


class EncoderServable(tf.Module):
    """A trained encoder as a servable module.

    Args:
        encoder: Keras model, float images in [-1, 1] -> features `[N, D]`
            (with `frames`: clips `[N, F, r, r, 3]` -> `[N, D]`).
        resolution: int, the training resolution images are resized to.
        frames: None for an image encoder, else the frames of a clip.
    """

    def __init__(self, encoder, resolution, frames=None):
        super().__init__(name="encoder")
        self.encoder = encoder
        self.resolution = arguments.check_int("resolution", resolution, 1)
        self.frames = arguments.check_int("frames", frames, 1, allow_none=True)
        self.input_name = "images" if frames is None else "clips"
        spec = tf.TensorSpec(None, tf.uint8, self.input_name)
        self.serve = tf.function(self._serve, input_signature=[spec])

    def _serve(self, pixels):
        rank = 4 if self.frames is None else 5
        pixels = checks.checked(pixels, self.input_name, rank, last=3)
        size, shape = self.resolution, tf.shape(pixels)
        flat = tf.reshape(pixels, tf.concat([[-1], shape[-3:]], 0))
        square = image_ops.to_uint8_square(flat, size)
        if self.frames is None:
            square = tf.reshape(square, [-1, size, size, 3])
        else:
            # A static frame count: the clip model splits it into blocks.
            tf.debugging.assert_equal(
                shape[1],
                self.frames,
                message=f"clips must have {self.frames} frames",
            )
            square = tf.reshape(square, [-1, self.frames, size, size, 3])
        features = self.encoder(image_ops.to_float(square), training=False)
        return {"embedding": tf.cast(features, tf.float32)}

    def signatures(self):
        return {"serving_default": self.serve.get_concrete_function()}


def export_encoder(
    encoder,
    export_dir,
    resolution,
    version=None,
    frames=None,
    metadata=None,
    overwrite=False,
):
    """Writes `encoder` as a SavedModel whose `serving_default` maps uint8
    images (clips, with `frames`) to embeddings, with a warm-up request and
    a `metadata.json` asset; an existing folder is replaced only with
    `overwrite`.

    Args:
        encoder: as `EncoderServable` takes it.
        resolution: as `EncoderServable` takes it.
        frames: as `EncoderServable` takes it.
        export_dir: output folder.
        version: optional int; the model then goes to
            `export_dir/<version>`, the layout TF Serving loads.
        metadata: dict stored in the JSON asset under "run".

    Returns:
        The folder written.

    Example:

    >>> import tempfile
    >>> pool = keras.layers.GlobalAveragePooling2D()
    >>> encoder = keras.Sequential([keras.Input((8, 8, 3)), pool])
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = export_encoder(encoder, folder.name, 8, version=1)
    >>> white = np.full([1, 16, 16, 3], 255, "uint8")  # resized to 8 x 8
    >>> tf.saved_model.load(path).serve(white)["embedding"].numpy()
    array([[1., 1., 1.]], dtype=float32)
    >>> folder.cleanup()
    """
    module = EncoderServable(encoder, resolution, frames)
    frame = [] if frames is None else [frames]
    shape = [1, *frame, resolution, resolution, 3]
    pixels = {module.input_name: np.zeros(shape, "uint8")}
    warmup = servable.predict_log("encoder", "serving_default", pixels)
    inputs = ", ".join(["N", *map(str, frame), "H", "W", "3"])
    about = {
        "kind": "nda_encoder" if frames is None else "nda_clip_encoder",
        "resolution": resolution,
        "frames": frames,
        "signatures": {
            "serving_default": f"{module.input_name}: uint8 "
            f"[{inputs}] -> embedding: float32 [N, D]"
        },
    }
    where = (export_dir, None, version, overwrite)
    return servable.save_servable(module, about, metadata, [warmup], *where)
