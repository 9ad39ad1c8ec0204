"""The encoder of a contrastive run as a SavedModel for serving.

`serving_default` takes uint8 images `[N, H, W, 3]` of any size, prepares
them exactly as the training data was prepared (centre square crop,
antialiased bilinear resize to the run's resolution, rounding to uint8,
`x / 127.5 - 1`) and returns the representation `{"embedding": [N, D]}`
(the encoder's pooled features, before the projection head).
"""

import os

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf.data import images as image_ops


def prepare(pixels, resolution):
    """uint8 `[N, H, W, 3]` -> float32 `[N, r, r, 3]` in [-1, 1].

    The batched form of the training sources' `to_uint8_square` followed
    by `to_float`: an image already `r x r` passes unchanged.
    """
    square = image_ops.to_uint8_square(tf.convert_to_tensor(pixels), resolution)
    shaped = tf.ensure_shape(square, [None, resolution, resolution, 3])
    return image_ops.to_float(shaped)


def export_encoder(encoder, export_dir, resolution, version=None):
    """Writes `encoder` as a SavedModel whose `serving_default` maps uint8
    images to embeddings.

    Args:
        encoder: Keras model, float images in [-1, 1] -> features `[N, D]`.
        export_dir: output folder.
        resolution: int, the training resolution images are resized to.
        version: optional int; the model then goes to
            `export_dir/<version>`, the layout TF Serving loads.

    Returns:
        The folder written.

    Example:

    >>> import tempfile
    >>> pool = keras.layers.GlobalAveragePooling2D()
    >>> encoder = keras.Sequential([keras.Input((8, 8, 3)), pool])
    >>> folder = tempfile.TemporaryDirectory()
    >>> served = tf.saved_model.load(export_encoder(encoder, folder.name, 8))
    >>> white = np.full([1, 16, 16, 3], 255, "uint8")  # resized to 8 x 8
    >>> served.serve(white)["embedding"].numpy()
    array([[1., 1., 1.]], dtype=float32)
    >>> folder.cleanup()
    """
    resolution = checks.check_int("resolution", resolution, 1)
    if checks.check_int("version", version, 1, allow_none=True) is not None:
        export_dir = os.path.join(export_dir, str(version))

    def serve(images):
        features = encoder(prepare(images, resolution), training=False)
        return {"embedding": tf.cast(features, tf.float32)}

    archive = keras.export.ExportArchive()
    archive.track(encoder)
    # The first endpoint is also written as `serving_default`, the
    # signature TF Serving and saved_model_cli use.
    archive.add_endpoint(
        "serve",
        serve,
        input_signature=[
            tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")
        ],
    )
    archive.write_out(export_dir, verbose=False)
    return export_dir
