r"""Trains MoCo-v2 with NDA negatives: `python -m nda_tf.experiments.moco`.

Paper run (Table 6, CIFAR-10, ResNet-18, cutout NDA; 1000 epochs =
195,313 steps of batch 256; paper linear top-1 92.26 vs 91.20 without NDA;
days on one GPU):

    python -m nda_tf.experiments.moco --dataset=cifar10 --nda=cutout \
        --logdir=runs/moco_c10_cutout
    python -m nda_tf.experiments.linear_eval --logdir=runs/moco_c10_cutout

Small run on built-in data, any machine (4.4 minutes measured on 2 shared
CPU cores; kNN accuracy 0.97 on dot counts 2/4/6):

    python -m nda_tf.experiments.moco --dataset="dots(counts=(2,4,6))" \
        --arch=small --width=8 --batch_size=64 --queue_size=1024 \
        --hidden_dim=128 --steps=200 --eval_every=100 --nda=jigsaw \
        --logdir=runs/moco_dots

It writes TensorBoard logs (`tensorboard --logdir=runs/moco_dots`: loss,
accuracy, lr, steps/s, kNN accuracy), `config.json` and checkpoints; running
the same command again resumes where it stopped, exactly. Ctrl-C or SIGTERM
saves a checkpoint and stops. `--export_dir` writes the encoder as a
SavedModel (uint8 images -> embedding) at the end.
"""

from nda_tf.contrastive import options
from nda_tf.experiments import cli

if __name__ == "__main__":
    # The recipe is imported when the command runs (see `cli.run`).
    cli.run(
        "nda_tf.contrastive.recipe:MOCO",
        "nda_tf.experiments.moco",
        options.OPTIONS,
    )
