"""Video representation learning with NDA clips: DPC (paper Table 7).

>>> from nda_tf.video import DPC
>>> from nda_tf.models.video import build_encoder
>>> dpc = DPC(build_encoder("small", (3, 16, 16, 3), width=4), num_blocks=4,
...           block_frames=3, pred_steps=2, nda="stitch")
>>> dpc.dense_logits(tf.zeros([2, 12, 16, 16, 3])).shape  # DPC + NDA columns
TensorShape([64, 128])
"""

from nda_tf.video.dpc import DPC
from nda_tf.video.losses import dense_accuracy, dense_logits, dense_loss

__all__ = ["DPC", "dense_accuracy", "dense_logits", "dense_loss"]
