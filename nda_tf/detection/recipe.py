"""The detection fine-tune for the run loop: a Faster R-CNN C4 over a
(NDA-)MoCo encoder, the paper's Section 6 (Pascal VOC).

Defaults are the paper's VOC setting as MoCo's detectron2 configuration
runs it (`nda_tf.detection.options`): 16 images a step, SGD lr 0.02,
24,000 steps, lr / 10 at 18,000 and 22,000. The encoder is required:
a MoCo run directory, `imagenet` or `none`.

    >>> from nda_tf.detection.recipe import DETECTION
    >>> c = DETECTION.resolve({"encoder": "none"})
    >>> c["arch"], c["steps"], c["lr"]
    ('resnet50', 24000, 0.02)
"""

import logging
import os

import keras
import numpy as np
import tensorflow as tf

from nda_tf import checks
from nda_tf.data import detection as detection_data
from nda_tf.detection import backbone, encoders
from nda_tf.detection.faster_rcnn import FasterRCNN
from nda_tf.detection.options import OPTIONS
from nda_tf.eval.detection import DetectionAP
from nda_tf.training import (
    CheckpointError,
    CheckpointKeeper,
    Evaluator,
    Recipe,
    read_config,
    recipe_of,
    restore_parts,
)

_LOG = logging.getLogger("nda_tf")
# Proposals before NMS per proposal kept after it (Detectron: 12,000 /
# 2,000 training, 6,000 / 1,000 testing).
_PRE_NMS = 6
# detectron2's warm-up starts at lr / 1000.
_WARMUP_FACTOR = 0.001
# Test images drawn with their detections in TensorBoard.
_DRAWN = 4


class DetectionRecipe(Recipe):
    """Faster R-CNN C4 (`nda_tf.detection.FasterRCNN`) fine-tuning an
    encoder, on the loop."""

    name = "detection"
    options = OPTIONS
    # The test split only watches.
    resume_may_change = ("data_dir", "strategy", "test_split")

    def validate(self, c, replicas):
        _check_determinism()
        if c["jit"]:
            raise ValueError(
                "jit=True: the detector does not compile with XLA "
                "(RoIAlign's CropAndResize has no XLA kernel); use jit=False"
            )
        # A recorded run (its config holds what the data gave) keeps the
        # encoder settings it recorded: its MoCo run may be gone since.
        if "num_examples" not in c:
            saved = _moco_config(c["encoder"])
            encoders.resolve(c, saved)
            if saved is not None:
                _check_encoder_checkpoint(c["encoder"], c["encoder_checkpoint"])
        _check_stride(c)
        most = detection_data.VOC_MOST_OBJECTS
        if c["dataset"] == "voc" and (c["max_boxes"] or most) < most:
            raise ValueError(
                f"max_boxes {c['max_boxes']} is fewer than the {most} objects "
                f"a VOC image may hold: give at least {most} or leave it unset "
                f"({detection_data.VOC_MAX_BOXES})"
            )
        if "num_examples" not in c and c["encoder"] == "imagenet":
            download = False if c.get("no_download") else None
            backbone.check_imagenet_weights(download)
        _numbers("anchor_sizes", c["anchor_sizes"])
        _numbers("anchor_ratios", c["anchor_ratios"])
        if c["lr_steps"] is not None:
            _lr_steps(c["lr_steps"], c["steps"])

    def derive(self, c, info):
        size = c["resolution"]
        if c["stem"] is None and c["encoder"] != "imagenet":
            c["stem"] = _stem(c, size)
        if c["stem"] == "cifar" and size >= 128:
            _LOG.warning(
                "a CIFAR-stem encoder keeps C4 at stride 4: %d x %d cells "
                "at %d pixels (slow, memory-hungry); an ImageNet-stem "
                "encoder has stride 16",
                size // 4,
                size // 4,
                size,
            )
        if c["max_boxes"] is None:
            c["max_boxes"] = info.max_boxes
        if c["anchor_sizes"] is None:
            c["anchor_sizes"] = default_anchor_sizes(c["dataset"], size)
        if c["lr_steps"] is None:
            steps = c["steps"]
            # A short run may round both to one step.
            found = {max(1, round(steps * f)) for f in (3 / 4, 11 / 12)}
            c["lr_steps"] = [str(s) for s in sorted(found)]

    def stream(self, c):
        return detection_data.DetectionStream(
            c["dataset"],
            c["batch_size"],
            split=c["split"],
            resolution=c["resolution"],
            max_boxes=c["max_boxes"],
            seed=c["seed"],
            mirror=c["mirror"],
            data_dir=c["data_dir"],
            download=False if c.get("no_download") else None,
        )

    def build(self, c, compile=True):
        # Uncompiled, the model is loaded from its own checkpoint
        # (`load_run`): the encoder's source is not read (it may be gone).
        encoder, c4_layer = encoders.build(c, pretrained=compile)
        if compile and c["encoder"] not in encoders.NAMED:
            step = load_moco_encoder(
                encoder, c["encoder"], c["encoder_checkpoint"]
            )
            # config.json records the name (latest, best), and `latest`
            # falls back past an unreadable checkpoint: say which step.
            _LOG.info(
                "the encoder is the MoCo run %s's at step %d "
                "(encoder_checkpoint=%s)",
                c["encoder"],
                step,
                c["encoder_checkpoint"],
            )
        model = FasterRCNN(
            encoder,
            c["num_classes"],
            c4_layer=c4_layer,
            anchor_sizes=_numbers("anchor_sizes", c["anchor_sizes"]),
            anchor_ratios=_numbers("anchor_ratios", c["anchor_ratios"]),
            rpn_batch_size=c["rpn_batch_size"],
            roi_batch_size=c["roi_batch_size"],
            train_proposals=(
                _PRE_NMS * c["train_proposals"],
                c["train_proposals"],
            ),
            test_proposals=(
                _PRE_NMS * c["test_proposals"],
                c["test_proposals"],
            ),
            pooled_size=c["pooled_size"],
            sampling_ratio=c["sampling_ratio"],
            frozen_batchnorm=c["frozen_batchnorm"],
            seed=c["seed"],
        )
        if compile:
            model.compile(
                keras.optimizers.SGD(
                    WarmupSteps(
                        c["lr"],
                        _lr_steps(c["lr_steps"], c["steps"]),
                        c["warmup_steps"],
                    ),
                    momentum=c["sgd_momentum"],
                    weight_decay=c["weight_decay"] or None,
                )
            )
        return model

    def batches(self, model, c, stream, start):
        return stream.batches(start, stop=c["steps"])

    def evaluators(self, model, c, run):
        test = _test_set(c)
        # One compiled call on the whole batch: `predict_on_batch` under a
        # MirroredStrategy would give every replica the whole batch.
        detect = tf.function(
            lambda images, extent: model(images, training=False, extent=extent)
        )
        return [
            Evaluator(
                lambda m, step: measure(detect, test(), c), c["eval_every"]
            )
        ]

    def best_metric(self, c):
        return ("ap", "max")

    def default_logdir(self, c):
        encoder = c["encoder"] if c["encoder"] in encoders.NAMED else "moco"
        return f"runs/detection-{c['dataset'].split('(')[0]}-{encoder}"


DETECTION = DetectionRecipe()


def _moco_config(source):
    """The `config.json` of the MoCo run `source`, or None for a named
    encoder; one line for a folder that holds no MoCo run."""
    if source is None or source in encoders.NAMED:
        return None
    if not os.path.isdir(source):
        raise ValueError(
            f"encoder {source!r} is not a folder: give a MoCo run "
            f"directory, {' or '.join(encoders.NAMED)}"
        )
    saved = read_config(source)
    owner = recipe_of(saved)
    if owner != "moco":
        raise ValueError(
            f"encoder {source!r} holds a {owner} run, not a moco run"
        )
    return saved


def op_determinism():
    """Whether TensorFlow's op determinism is on: TensorFlow has no public
    query, so its own (private) one, else the variable that also sets it."""
    try:
        from tensorflow.python.framework import config as framework

        return bool(framework.is_op_determinism_enabled())
    except (ImportError, AttributeError):
        flag = os.environ.get("TF_DETERMINISTIC_OPS", "")
        return flag.lower() in ("1", "true")


def _check_determinism():
    """One line when op determinism (`--deterministic`) is on and a GPU is
    visible: RoIAlign's gradient has no deterministic GPU kernel, so the
    first step would stop with a multi-line UnimplementedError."""
    if not op_determinism():
        return
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        raise ValueError(
            f"--deterministic with {len(gpus)} GPU(s) visible: RoIAlign's "
            "gradient (CropAndResizeGradImage) has no deterministic GPU "
            "kernel; run on CPU (CUDA_VISIBLE_DEVICES=) for a bitwise "
            "resume, or drop --deterministic (a GPU resume is not bitwise)"
        )


def _stem(c, size):
    """The encoder's stem (Keras' ResNet-50's is the ImageNet one)."""
    if c["encoder"] == "imagenet":
        return "imagenet"
    return c["stem"] or ("cifar" if size < 64 else "imagenet")


def _check_stride(c):
    """One line when the resolution is not a multiple of C4's stride (from
    the stem, `backbone.C4_STRIDES`; the built trunk is probed again):
    each stride-2 layer rounds up, so the map's cells would not be
    `stride` pixels and anchors and RoIAlign would be misaligned."""
    size = detection_data.resolution_of(c["dataset"], c["resolution"])
    if size is None:
        return  # an unknown dataset: `load` names it
    stride = backbone.C4_STRIDES[_stem(c, size)]
    if size % stride:
        raise ValueError(backbone.size_error(size, stride))


def _checkpoint_name(checkpoint):
    """latest, best or a step (int) from `--encoder_checkpoint`."""
    if checkpoint in ("latest", "best"):
        return checkpoint
    if isinstance(checkpoint, int | str) and str(checkpoint).isdigit():
        return int(checkpoint)
    raise ValueError(
        f"encoder_checkpoint must be latest, best or a step, received "
        f"{checkpoint!r}"
    )


def _check_encoder_checkpoint(logdir, checkpoint):
    """One line naming `--encoder_checkpoint` when the MoCo run has no
    such checkpoint (before the data is read)."""
    name = _checkpoint_name(checkpoint)
    folder = os.path.join(logdir, "best" if name == "best" else "checkpoints")
    # The keeper's own listing, as `restore_parts` reads it: the folder's
    # checkpoints, with or without a manifest (a copied run may lack it).
    steps = [e["step"] for e in CheckpointKeeper(folder, None).entries()]
    if not steps or (isinstance(name, int) and name not in steps):
        have = ", ".join(map(str, steps)) or "none"
        raise ValueError(
            f"encoder_checkpoint={checkpoint!r}: the MoCo run {logdir!r} "
            f"has no such checkpoint (its {os.path.basename(folder)}: steps "
            f"{have})"
        )


def load_moco_encoder(encoder, logdir, checkpoint="latest"):
    """Reads the query encoder of the MoCo run in `logdir` into `encoder`
    (built as that run's); returns the checkpoint's step."""
    holder = encoders.moco_layout(encoder)
    name = _checkpoint_name(checkpoint)
    try:
        return restore_parts(logdir, {"model": holder}, name)
    except CheckpointError as error:
        raise ValueError(
            f"the encoder of the MoCo run {logdir!r} (encoder_checkpoint="
            f"{checkpoint!r}) could not be read: {error}"
        ) from None


def default_anchor_sizes(dataset, resolution):
    """Detectron's sizes (32 to 512) for VOC; R/6 and R/3 for
    `shapes_detection`, whose objects are R/8 to R/3 wide."""
    if dataset.startswith("shapes_detection"):
        return [f"{resolution / 6:g}", f"{resolution / 3:g}"]
    return ["32", "64", "128", "256", "512"]


def _numbers(name, values):
    """Positive floats of a list option given as strings (flags) or
    numbers."""
    if values is None:
        return None
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        numbers = ()
    if not numbers or not all(np.isfinite(n) and n > 0 for n in numbers):
        raise ValueError(
            f"{name} must be positive numbers; received {values!r}"
        )
    return numbers


def _lr_steps(values, steps):
    """The lr steps as rising ints in [1, steps]."""
    try:
        found = [int(v) for v in values]
    except (TypeError, ValueError):
        found = None
    rising = found is not None and all(
        a < b for a, b in zip(found, found[1:], strict=False)
    )
    if not rising or (found and not 1 <= found[0] <= found[-1] <= steps):
        raise ValueError(
            f"lr_steps must be rising steps in [1, steps={steps}]; "
            f"received {values!r}"
        )
    return found


@keras.saving.register_keras_serializable(package="nda_tf")
class WarmupSteps(keras.optimizers.schedules.LearningRateSchedule):
    """`lr` divided by 10 after each of `boundaries` updates, after a
    linear warm-up from `lr / 1000` over `warmup` updates (detectron2's
    WarmupMultiStepLR).

    Args:
        lr: float, the base learning rate.
        boundaries: rising ints: the update counts after which the lr is
            divided by 10.
        warmup: int, the warm-up's updates (0: none).

    >>> schedule = WarmupSteps(0.02, [18000, 22000], 100)
    >>> [round(float(schedule(s)), 6) for s in (0, 50, 100, 18000, 22000)]
    [2e-05, 0.01001, 0.02, 0.002, 0.0002]
    """

    def __init__(self, lr, boundaries, warmup):
        # Checked as the layers check theirs: a schedule built by hand (or
        # from an edited config) fails here, not as a strange lr later.
        checks.check_number("lr", lr, low=0.0, low_open=True)
        self.lr = float(lr)
        self.warmup = checks.check_int("warmup", warmup, 0)
        self.boundaries = [
            checks.check_int("boundaries", b, 1) for b in boundaries
        ]
        if self.boundaries != sorted(set(self.boundaries)):
            raise ValueError(
                f"boundaries must be rising, received {list(boundaries)!r}"
            )

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        passed = (
            tf.reduce_sum(
                tf.cast(
                    step >= tf.constant(self.boundaries, tf.float32), tf.float32
                )
            )
            if self.boundaries
            else 0.0
        )
        lr = self.lr * tf.pow(0.1, passed)
        if self.warmup:
            alpha = tf.minimum(step / self.warmup, 1.0)
            lr *= _WARMUP_FACTOR * (1 - alpha) + alpha
        return lr

    def get_config(self):
        return {
            "lr": self.lr,
            "boundaries": self.boundaries,
            "warmup": self.warmup,
        }


def _test_set(c):
    """A function giving the test batches; the set is opened now, so that
    a missing one fails before the first step."""
    dataset, _ = detection_data.load(
        c["dataset"],
        c["test_split"],
        resolution=c["resolution"],
        max_boxes=c["max_boxes"],
        data_dir=c["data_dir"],
        download=False if c.get("no_download") else None,
    )
    if c["eval_images"]:
        dataset = dataset.take(c["eval_images"])
    return lambda: dataset.batch(c["batch_size"])


def measure(detect, batches, c):
    """AP, AP50, AP75 of `detect` (images, extent -> detections) on
    `batches`; VOC's with 11-point interpolation (VOC 2007's metric,
    detectron2's for voc_2007_test), others COCO's 101 points. A few test
    images are drawn with their detections into the run's `eval/`
    TensorBoard log."""
    interpolation = "voc07" if c["dataset"] == "voc" else "coco"
    metric = DetectionAP(interpolation)
    drawn = None
    for batch in batches:
        found = detect(batch["image"], batch["extent"])
        found = {k: v.numpy() for k, v in found.items()}
        truth = {k: batch[k] for k in ("boxes", "labels", "difficult")}
        metric.update(truth, found)
        if drawn is None:
            drawn = _drawn(batch["image"][:_DRAWN], found)
    tf.summary.image("detections", drawn, max_outputs=_DRAWN)
    return metric.result()


def _drawn(images, found, threshold=0.5):
    """Images in [0, 1] with their detections of score >= `threshold`."""
    count = tf.shape(images)[0]
    boxes = tf.convert_to_tensor(found["boxes"])[:count]
    kept = tf.convert_to_tensor(found["scores"])[:count] >= threshold
    boxes = tf.where(kept[..., None], boxes, tf.zeros_like(boxes))
    pixels = (tf.cast(images, tf.float32) + 1.0) / 2.0
    red = tf.constant([[1.0, 0.0, 0.0]])
    return tf.image.draw_bounding_boxes(pixels, boxes, red)
