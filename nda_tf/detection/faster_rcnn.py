"""Faster R-CNN in the C4 setting, the paper's detection model (Sec. 6)."""

import keras
import tensorflow as tf

from nda_tf import checks, loss_scaling
from nda_tf import random as nda_random
from nda_tf.detection import backbone, heads, losses, proposals
from nda_tf.detection import boxes as box_ops
from nda_tf.detection.roi_align import roi_align
from nda_tf.keras_config import KeepArguments

_METRICS = ("loss", "rpn_objectness", "rpn_box", "roi_class", "roi_box")


@keras.saving.register_keras_serializable(package="nda_tf")
class FasterRCNN(KeepArguments, keras.Model):
    """A two-stage detector whose RoIs are pooled from C4 and run through
    the encoder's last stage (Detectron's R50-C4).

    The encoder is cut at `c4_layer` (`nda_tf.detection.backbone.cut`):
    the trunk gives the C4 map of stride s; the RPN proposes boxes from
    anchors on it; RoIAlign pools each proposal to `pooled_size` bins;
    the encoder's last stage and pooling (the box head) and a linear
    predictor give class logits and class-specific deltas.

    Training (`fit`, `train_step`) takes batches in the layout of
    `nda_tf.data.detection` (dicts of `image`, normalized `boxes` and
    `labels`, -1 for padding); the anchors and RoIs it learns from are
    sampled statelessly from the model's seed, so a resumed run repeats
    them. `call` returns detections in the layout of
    `nda_tf.eval.detection`, boxes normalized to the image. An image that
    fills only part of its padded square (a batch's `extent`) has its
    proposals and detections clipped to that part: in training when the
    batch has `extent`, and in `call` when it is given.

    Args:
        encoder: functional `keras.Model`, images -> pooled features,
            with a layer named `c4_layer` (`nda_tf.models.resnet`'s, or
            `backbone.imagenet_resnet50()`).
        num_classes: int, object classes (background excluded).
        c4_layer: the name of the encoder's C4 layer.
        anchor_sizes: the anchors' sizes in pixels at every cell
            (Detectron C4: 32..512); scale them with the images (e.g.
            (8, 16, 32) at 64 pixels).
        anchor_ratios: their aspect ratios (Detectron: 0.5, 1, 2).
        rpn_batch_size: anchors sampled per image for the RPN losses
            (256).
        rpn_positive_fraction: their most positive part (0.5).
        rpn_iou: `(low, high)`: anchors below `low` IoU are negative,
            from `high` on (or best for a box) positive (0.3, 0.7).
        train_proposals: `(pre_nms, post_nms)` proposals per image in
            training ((12000, 2000)).
        test_proposals: the same at inference ((6000, 1000)).
        rpn_nms_iou: the proposals' NMS threshold (0.7).
        roi_batch_size: RoIs sampled per image for the box head (512);
            ground-truth boxes join the proposals.
        roi_positive_fraction: their most positive part (0.25).
        roi_iou: RoIs from this IoU on are positive, others background.
        pooled_size: RoIAlign's bins per side (14).
        sampling_ratio: RoIAlign's samples per bin and side.
        score_threshold: inference keeps detections from this score on
            (0.05).
        nms_iou: inference's per-class NMS threshold (0.5).
        max_detections: detections kept per image (100).
        smooth_l1_beta: the box losses' beta (0: L1, as Detectron2).
        frozen_batchnorm: use the batch norms' moving statistics while
            training (small batches) instead of the batch's.
        seed: optional int of the sampling.

    Example, one step on 2 images of 32 pixels:

    >>> from nda_tf.models import resnet
    >>> encoder = resnet.small_resnet(width=8, input_shape=(32, 32, 3))
    >>> model = FasterRCNN(encoder, 3, anchor_sizes=(8, 16), seed=0)
    >>> model.compile(keras.optimizers.SGD(0.01, momentum=0.9))
    >>> batch = {"image": tf.zeros([2, 32, 32, 3]),
    ...          "boxes": tf.constant([[[0.1, 0.1, 0.4, 0.5]]] * 2),
    ...          "labels": tf.constant([[1]] * 2)}
    >>> sorted(model.train_on_batch(batch, return_dict=True))
    ['loss', 'roi_box', 'roi_class', 'rpn_box', 'rpn_objectness']
    >>> model(batch["image"])["boxes"].shape
    TensorShape([2, 100, 4])

    Reference: Ren et al., "Faster R-CNN", NeurIPS 2015; He et al.,
    "Mask R-CNN", ICCV 2017 (RoIAlign); Sinha et al., "Negative Data
    Augmentation", ICLR 2021 (Section 6: MoCo encoders with NDA,
    fine-tuned as in He et al., "Momentum Contrast", CVPR 2020).
    """

    def __init__(
        self,
        encoder,
        num_classes,
        c4_layer="stage3",
        anchor_sizes=(32, 64, 128, 256, 512),
        anchor_ratios=(0.5, 1.0, 2.0),
        rpn_batch_size=256,
        rpn_positive_fraction=0.5,
        rpn_iou=(0.3, 0.7),
        train_proposals=(12000, 2000),
        test_proposals=(6000, 1000),
        rpn_nms_iou=0.7,
        roi_batch_size=512,
        roi_positive_fraction=0.25,
        roi_iou=0.5,
        pooled_size=14,
        sampling_ratio=2,
        score_threshold=0.05,
        nms_iou=0.5,
        max_detections=100,
        smooth_l1_beta=0.0,
        frozen_batchnorm=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.keep_arguments(
            encoder=encoder,
            num_classes=checks.check_int("num_classes", num_classes, 1),
            c4_layer=c4_layer,
            anchor_sizes=_positives("anchor_sizes", anchor_sizes),
            anchor_ratios=_positives("anchor_ratios", anchor_ratios),
            rpn_batch_size=_count("rpn_batch_size", rpn_batch_size),
            rpn_positive_fraction=_fraction(
                "rpn_positive_fraction", rpn_positive_fraction
            ),
            rpn_iou=_iou_pair("rpn_iou", rpn_iou),
            train_proposals=_counts("train_proposals", train_proposals),
            test_proposals=_counts("test_proposals", test_proposals),
            rpn_nms_iou=_fraction("rpn_nms_iou", rpn_nms_iou),
            roi_batch_size=_count("roi_batch_size", roi_batch_size),
            roi_positive_fraction=_fraction(
                "roi_positive_fraction", roi_positive_fraction
            ),
            roi_iou=_fraction("roi_iou", roi_iou),
            pooled_size=_count("pooled_size", pooled_size),
            sampling_ratio=_count("sampling_ratio", sampling_ratio),
            score_threshold=_fraction("score_threshold", score_threshold),
            nms_iou=_fraction("nms_iou", nms_iou),
            max_detections=_count("max_detections", max_detections),
            smooth_l1_beta=_number("smooth_l1_beta", smooth_l1_beta),
            frozen_batchnorm=bool(frozen_batchnorm),
            seed=checks.check_int("seed", seed, 0, allow_none=True),
        )
        trunk, head, self.stride = backbone.cut(encoder, c4_layer)
        # Held outside Keras' tracking: their layers are the encoder's,
        # which `self.encoder` already tracks (and checkpoints) once.
        object.__setattr__(self, "_trunk", trunk)
        object.__setattr__(self, "_head", head)
        anchors = len(self.anchor_sizes) * len(self.anchor_ratios)
        channels = trunk.output_shape[-1]
        self.rpn = heads.RPNHead(anchors, channels, name="rpn")
        self.rpn.build((None, None, None, channels))
        self.predictor = heads.BoxPredictor(num_classes, name="predictor")
        self.predictor.build((None, head.output_shape[-1]))
        self.seed_generator = keras.random.SeedGenerator(seed, name="rcnn_rng")
        # Held as an attribute so that checkpoints restore the sampling.
        self.rng_state = self.seed_generator.state
        self.trackers = {n: keras.metrics.Mean(name=n) for n in _METRICS}
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, optimizer, **kwargs):
        """`optimizer` for every weight (paper: SGD, lr 0.02 at 16 images
        a batch); other arguments go to `keras.Model.compile`. Call it in
        the strategy's scope."""
        optimizer = loss_scaling.prepared(
            optimizer, self, self.trainable_variables
        )
        super().compile(optimizer=optimizer, **kwargs)

    def call(self, images, training=False, extent=None):
        """Detections of `images` `[B, H, W, 3]` in [-1, 1]: a dict of
        normalized `boxes` `[B, max_detections, 4]`, `scores`, `labels`.
        `extent`: optional `[B, 2]`, the (height, width) fraction of each
        padded image that the image fills from the top left (a batch's
        `extent`); its boxes stay inside it."""
        images = tf.convert_to_tensor(images)
        features, logits, deltas, anchors = self._rpn(images, False)
        size = _image_size(images)
        rois, valid = proposals.propose(
            anchors, logits, deltas, size, *self.test_proposals,
            self.rpn_nms_iou, extent,
        )  # fmt: skip
        class_logits, class_deltas = self._box_head(features, rois, False)
        return proposals.detect(
            rois, valid, class_logits, class_deltas, size,
            self.score_threshold, self.nms_iou, self.max_detections, extent,
        )  # fmt: skip

    def train_step(self, data):
        # `fit` hands the dict over as x (alone or in a tuple).
        data, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        seed = nda_random.replica_seed(self.seed_generator.next())
        with tf.GradientTape() as tape:
            parts = self.compute_losses(data, seed, training=True)
            loss = tf.add_n(list(parts.values()))
            scaled = loss_scaling.loss_to_differentiate(self.optimizer, loss)
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        self.trackers["loss"].update_state(loss)
        for name, value in parts.items():
            self.trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def compute_losses(self, data, seed, training=False):
        """The four losses (a dict) of a batch; `seed` draws the sampled
        anchors and RoIs."""
        images = tf.convert_to_tensor(data["image"])
        size = _image_size(images)
        scale = tf.stack([*size, *size])
        truth = tf.cast(data["boxes"], tf.float32) * scale
        labels = tf.cast(data["labels"], tf.int32)
        truth_valid = labels >= 0
        anchor_seed, roi_seed = nda_random.split_seed(seed, 2)
        features, logits, deltas, anchors = self._rpn(images, training)
        objectness, rpn_box = self._rpn_losses(
            anchors, logits, deltas, truth, truth_valid, anchor_seed
        )
        found, found_valid = proposals.propose(
            anchors, logits, deltas, size, *self.train_proposals,
            self.rpn_nms_iou, data.get("extent"),
        )  # fmt: skip
        # Ground-truth boxes join the proposals (Detectron does), so the
        # head has positives from the first step.
        rois = tf.concat([found, truth], 1)
        rois_valid = tf.concat([found_valid, truth_valid], 1)
        rois, classes, valid, targets = self._sample_rois(
            rois, rois_valid, truth, labels, roi_seed
        )
        class_logits, class_deltas = self._box_head(features, rois, training)
        roi_class, roi_box = losses.head_losses(
            class_logits, class_deltas, classes, valid, targets,
            self.smooth_l1_beta,
        )  # fmt: skip
        return {
            "rpn_objectness": objectness,
            "rpn_box": rpn_box,
            "roi_class": roi_class,
            "roi_box": roi_box,
        }

    def _rpn(self, images, training):
        bn_training = training and not self.frozen_batchnorm
        features = self._trunk(images, training=bn_training)
        logits, deltas = self.rpn(features)
        height, width = _static_or_dynamic(features)[1:3]
        anchors = box_ops.anchor_grid(
            height, width, self.stride, self.anchor_sizes, self.anchor_ratios
        )
        return features, logits, deltas, anchors

    def _rpn_losses(self, anchors, logits, deltas, truth, truth_valid, seed):
        iou = box_ops.pairwise_iou(anchors[None], truth)
        matched, label = box_ops.match(
            iou, truth_valid, *self.rpn_iou, low_quality=True
        )
        index, positive, valid = box_ops.sample(
            label == 1, label == 0, self.rpn_batch_size,
            self.rpn_positive_fraction, seed,
        )  # fmt: skip
        boxes = tf.gather(
            truth, tf.gather(matched, index, batch_dims=1), batch_dims=1
        )
        targets = box_ops.encode(
            boxes, tf.gather(anchors, index), box_ops.RPN_WEIGHTS
        )
        return losses.rpn_losses(
            tf.gather(logits, index, batch_dims=1),
            tf.gather(deltas, index, batch_dims=1),
            positive, valid, targets, self.smooth_l1_beta,
        )  # fmt: skip

    def _sample_rois(self, rois, rois_valid, truth, labels, seed):
        """Sampled RoIs `[B, S, 4]`, their classes (background:
        `num_classes`), validity and target deltas."""
        iou = box_ops.pairwise_iou(rois, truth)
        matched, label = box_ops.match(
            iou, labels >= 0, self.roi_iou, self.roi_iou
        )
        index, positive, valid = box_ops.sample(
            rois_valid & (label == 1), rois_valid & (label == 0),
            self.roi_batch_size, self.roi_positive_fraction, seed,
        )  # fmt: skip
        rois = tf.stop_gradient(tf.gather(rois, index, batch_dims=1))
        owner = tf.gather(matched, index, batch_dims=1)
        classes = tf.where(
            positive,
            tf.gather(labels, owner, batch_dims=1),
            self.num_classes,
        )
        boxes = tf.gather(truth, owner, batch_dims=1)
        targets = box_ops.encode(boxes, rois, box_ops.HEAD_WEIGHTS)
        return rois, classes, valid, targets

    def _box_head(self, features, rois, training):
        """Class logits `[B, R, K + 1]` and deltas `[B, R, K, 4]`."""
        pooled = roi_align(
            features, rois, self.stride, self.pooled_size, self.sampling_ratio
        )
        bn_training = training and not self.frozen_batchnorm
        pooled = self._head(pooled, training=bn_training)
        logits, deltas = self.predictor(pooled)
        shape = tf.shape(rois)[:2]
        return (
            tf.reshape(logits, tf.concat([shape, [-1]], 0)),
            tf.reshape(deltas, tf.concat([shape, [self.num_classes, 4]], 0)),
        )


def _image_size(images):
    height, width = _static_or_dynamic(images)[1:3]
    return tf.cast(height, tf.float32), tf.cast(width, tf.float32)


def _static_or_dynamic(tensor):
    """The shape with static sizes as ints, the others as tensors."""
    dynamic = tf.shape(tensor)
    return [
        s if s is not None else dynamic[i] for i, s in enumerate(tensor.shape)
    ]


def _positives(name, values):
    if (
        not isinstance(values, list | tuple)
        or not values
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v > 0
            for v in values
        )
    ):
        raise ValueError(
            f"{name} must be a non-empty list of positive numbers; "
            f"received {values!r}"
        )
    return tuple(float(v) for v in values)


def _fraction(name, value):
    checks.check_number(name, value, 0.0, 1.0)
    return float(value)


def _count(name, value):
    return checks.check_int(name, value, 1)


def _number(name, value):
    checks.check_number(name, value, 0.0)
    return float(value)


def _iou_pair(name, pair):
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise ValueError(
            f"{name} must be a pair (low, high); received {pair!r}"
        )
    low, high = (_fraction(name, v) for v in pair)
    if low > high:
        raise ValueError(f"{name} must have low <= high; received {pair!r}")
    return (low, high)


def _counts(name, pair):
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise ValueError(
            f"{name} must be a pair (pre_nms, post_nms); received {pair!r}"
        )
    return tuple(_count(name, v) for v in pair)
