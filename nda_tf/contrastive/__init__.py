"""Contrastive representation learning with NDA negatives (paper Sec. 6).

>>> from nda_tf.contrastive import MoCo
>>> from nda_tf.models import resnet
>>> moco = MoCo(resnet.small_resnet(width=4), nda="jigsaw", queue_size=1024)
>>> moco.queue.shape  # negative keys: queue_size x projection_dim
TensorShape([1024, 128])
>>> moco(np.zeros([2, 32, 32, 3], "float32")).shape  # the representation
TensorShape([2, 32])

The names load on first use (`nda_tf.lazy`), so that MoCo's option table
(`nda_tf.contrastive.options`) is read without TensorFlow.
"""

from nda_tf.lazy import lazy_names

__all__ = [
    "MoCo",
    "contrastive_logits",
    "export_encoder",
    "contrastive_loss",
    "positive_accuracy",
]

__getattr__, __dir__ = lazy_names(
    __name__,
    globals(),
    {
        "MoCo": ".moco",
        "contrastive_logits": ".losses",
        "contrastive_loss": ".losses",
        "export_encoder": "nda_tf.export.encoder",
        "positive_accuracy": ".losses",
    },
    submodules=("augment distributed evaluation losses moco".split()),
)
