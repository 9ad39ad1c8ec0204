r"""Trains an NDA-GAN: `python -m nda_tf.experiments.gan`.

Paper run (CIFAR-10, unconditional BigGAN, jigsaw NDA, lam 0.25, 4 D steps,
batch 64, 500 epochs = 97,657 G steps; paper FID 12.61 vs 18.64 without
NDA; about 2 days on one V100-class GPU, far too long for a CPU):

    python -m nda_tf.experiments.gan --dataset=cifar10 --logdir=runs/c10

(FID and KID of 10k EMA samples against the 10k test images with the TF
Inception graph, every 5000 steps; the best checkpoint by FID is kept in
`best/`. CIFAR-10 and the graph are downloaded once when missing; offline,
pass `--no_download`, prepare the data with `tfds build cifar10` elsewhere
and give the graph with `--eval_weights=PATH`.)

Small run on built-in data, any machine (about 70 s on 2 CPU cores):

    python -m nda_tf.experiments.gan --dataset=dots --arch=sngan --ch=32 \
        --steps=200 --batch_size=32 --eval_every=100 --eval_metrics=none \
        --logdir=runs/dots

It writes `runs/dots/samples/step_*.png` (EMA samples of fixed noise),
TensorBoard logs (`tensorboard --logdir=runs/dots`), `config.json` and
checkpoints; running the same command again resumes where it stopped.
Ctrl-C or SIGTERM saves a checkpoint and stops.
"""

from nda_tf.experiments import cli
from nda_tf.gan import options

if __name__ == "__main__":
    # The recipe (and TensorFlow) is imported by `cli.run` when the command
    # runs, with TensorFlow's start-up noise filtered; `--help` reads the
    # options only.
    cli.run("nda_tf.gan.recipe:GAN", "nda_tf.experiments.gan", options.OPTIONS)
