"""Object detection with a (NDA-)MoCo encoder: Faster R-CNN C4 (Sec. 6).

The paper fine-tunes its MoCo-v2 ResNet-50, trained with and without
NDA, as the backbone of a Faster R-CNN in the C4 setting on Pascal VOC;
`FasterRCNN` is that detector (docs/detection.md).

The names load on first use (`nda_tf.lazy`), so that the option table
is read without TensorFlow.
"""

from nda_tf.lazy import lazy_names

__all__ = ["FasterRCNN"]

__getattr__, __dir__ = lazy_names(
    __name__,
    globals(),
    {"FasterRCNN": ".faster_rcnn"},
    submodules=(
        "backbone boxes encoders faster_rcnn heads losses options "
        "proposals recipe roi_align"
    ).split(),
)
