"""Contrastive representation learning with NDA negatives (paper Sec. 6).

>>> from nda_tf.contrastive import MoCo
>>> from nda_tf.models import resnet
>>> moco = MoCo(resnet.small_resnet(width=4), nda="jigsaw", queue_size=1024)
>>> moco.queue.shape  # negative keys: queue_size x projection_dim
TensorShape([1024, 128])
>>> moco(np.zeros([2, 32, 32, 3], "float32")).shape  # the representation
TensorShape([2, 32])
"""

from nda_tf.contrastive.export import export_encoder
from nda_tf.contrastive.losses import (
    contrastive_logits,
    contrastive_loss,
    positive_accuracy,
)
from nda_tf.contrastive.moco import MoCo

__all__ = [
    "MoCo",
    "contrastive_logits",
    "export_encoder",
    "contrastive_loss",
    "positive_accuracy",
]
