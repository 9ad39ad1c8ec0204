"""Video representation learning with NDA clips: DPC (paper Table 7).

>>> from nda_tf.video import DPC
>>> from nda_tf.models.video import build_encoder
>>> dpc = DPC(build_encoder("small", (3, 16, 16, 3), width=4), num_blocks=4,
...           block_frames=3, pred_steps=2, nda="stitch")
>>> dpc.dense_logits(tf.zeros([2, 12, 16, 16, 3])).shape  # DPC + NDA columns
TensorShape([64, 128])

The names load on first use (`nda_tf.lazy`), so that the option tables
(`nda_tf.video.options`) are read without TensorFlow.
"""

from nda_tf.lazy import lazy_names

__all__ = ["DPC", "dense_accuracy", "dense_logits", "dense_loss"]

__getattr__, __dir__ = lazy_names(
    __name__,
    globals(),
    {
        "DPC": ".dpc",
        "dense_accuracy": ".losses",
        "dense_logits": ".losses",
        "dense_loss": ".losses",
    },
    submodules=("augment classifier dpc evaluation losses".split()),
)
