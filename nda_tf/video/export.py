"""A DPC run's clip encoder as a SavedModel for serving.

`serving_default` takes uint8 clips `[N, F, H, W, 3]` (F = the run's
`num_blocks * block_frames` frames, any frame size), prepares each frame
as the training clips were (centre square crop, resize to the run's
resolution, `x / 127.5 - 1`) and returns `{"embedding": [N, D]}`: the
ConvGRU state after all blocks averaged over positions, the features
DPC's action classifier reads. The same layout as the image encoders'
export (`nda_tf.contrastive.export`).
"""

import os

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf.data import images as image_ops


def export_clip_encoder(dpc, export_dir, resolution, version=None):
    """Writes `dpc` (a `nda_tf.video.DPC`) as a clip-embedding SavedModel.

    Args:
        dpc: the trained model; `dpc(clips)` gives the embeddings.
        export_dir: output folder.
        resolution: int, the run's frame size.
        version: optional int; the model goes to `export_dir/<version>`,
            the layout TF Serving loads.

    Returns:
        The folder written.
    """
    resolution = checks.check_int("resolution", resolution, 1)
    if checks.check_int("version", version, 1, allow_none=True) is not None:
        export_dir = os.path.join(export_dir, str(version))
    frames = dpc.num_blocks * dpc.block_frames

    def serve(clips):
        shape = tf.shape(clips)
        flat = tf.reshape(clips, tf.concat([[-1], shape[2:]], 0))
        square = image_ops.to_uint8_square(flat, resolution)
        square = tf.reshape(
            square, [shape[0], frames, resolution, resolution, 3]
        )
        embedding = dpc(image_ops.to_float(square), training=False)
        return {"embedding": tf.cast(embedding, tf.float32)}

    archive = keras.export.ExportArchive()
    archive.track(dpc)
    archive.add_endpoint(
        "serve",
        serve,
        input_signature=[
            tf.TensorSpec([None, frames, None, None, 3], tf.uint8, name="clips")
        ],
    )
    archive.write_out(export_dir, verbose=False)
    return export_dir
