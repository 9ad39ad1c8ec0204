"""Contrastive representation learning with NDA negatives (paper Sec. 6).

>>> from nda_tf.contrastive import MoCo
>>> from nda_tf.models import resnet
>>> moco = MoCo(resnet.small_resnet(), nda="jigsaw", queue_size=1024)
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
