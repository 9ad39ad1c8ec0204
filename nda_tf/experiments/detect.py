r"""Fine-tunes an encoder as a Faster R-CNN C4 detector (paper Section 6):
`python -m nda_tf.experiments.detect`.

Paper run (Pascal VOC 07+12 trainval, tested on VOC 2007 test; the MoCo
ResNet-50 of ImageNet-100 with and without mixup NDA, paper AP / AP50 /
AP75 38.47 / 65.99 / 38.81 and 38.72 / 66.23 / 39.16; 24,000 steps of 16
images, hours on 8 GPUs; experiments/detection/voc.sh runs both):

    python -m nda_tf.experiments.detect --dataset=voc \
        --encoder=runs/moco_in100_mixup --logdir=runs/detection_voc_mixup

Small run on built-in data, any machine (a random-init ResNet at 48
pixels; about 3 minutes on 2 busy CPU cores, AP50 0.51 measured):

    python -m nda_tf.experiments.detect --encoder=none --arch=small \
        --dataset="shapes_detection(images=256,size=48,objects=(1,3))" \
        --width=8 --batch_size=8 --steps=500 --lr=0.02 --warmup_steps=0 \
        --rpn_batch_size=64 --roi_batch_size=32 --train_proposals=64 \
        --test_proposals=32 --pooled_size=6 --sampling_ratio=1 \
        --eval_every=250 --logdir=runs/detection_shapes

`--encoder` is a MoCo run directory (`nda_tf.experiments.moco`; its
encoder's weights, `--encoder_checkpoint` latest, best or a step),
`imagenet` (Keras' supervised ResNet-50, downloaded once) or `none`. It
writes TensorBoard logs (losses, lr; AP, AP50, AP75 and test images with
their detections every `--eval_every` steps and at the end),
`config.json`, checkpoints and `best/` by AP; the same command resumes a
stopped run exactly. The step does not compile with XLA (`--jit` is
refused).
"""

from nda_tf.detection import options
from nda_tf.experiments import cli

if __name__ == "__main__":
    # The recipe is imported when the command runs (see `cli.run`).
    cli.run(
        "nda_tf.detection.recipe:DETECTION",
        "nda_tf.experiments.detect",
        options.OPTIONS,
        extras=("detection",),
    )
