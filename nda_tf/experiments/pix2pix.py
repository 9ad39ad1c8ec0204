r"""Trains NDA-Pix2Pix: `python -m nda_tf.experiments.pix2pix`.

Paper run (Cityscapes photos -> labels, Table 4 cGAN row: per-pixel acc.
0.80 -> 0.84, per-class 0.24 -> 0.34, mIoU 0.27 -> 0.28 with jigsaw NDA;
2975 pairs x 200 epochs = 595,000 steps at batch 1, about 1-2 days on one
V100-class GPU). Prepare tfds' cityscapes first (manual download):

    python -m nda_tf.experiments.pix2pix --dataset=cityscapes \
        --loss=cgan --nda=jigsaw --lam=0.25 --logdir=runs/p2p-cgan-nda

(`--loss=l1_cgan` for the L1+cGAN rows, `--nda=none` for plain Pix2Pix;
`--dataset=paired:PATH` reads Pix2Pix's own side-by-side files, e.g. its
cityscapes folder with train/ and val/.) Label maps of the val split are
scored every 5000 steps; `best/` keeps the best mIoU.

Small run on built-in shapes pairs, any machine (about a minute on 2 CPU
cores):

    python -m nda_tf.experiments.pix2pix --dataset="shapes(count=500)" \
        --filters=8 --d_filters=8 --batch_size=4 --steps=300 \
        --loss=l1_cgan --eval_every=100 --eval_images=200 \
        --logdir=runs/p2p-shapes

It writes `samples/step_*.png` (condition | generated | target), scores in
TensorBoard (`eval/miou`, ...), `config.json` and checkpoints; the same
command resumes a stopped run. `--export_dir=DIR` exports the generator
(uint8 image in, uint8 image out) for TF Serving at the end.
"""

from nda_tf.experiments import cli
from nda_tf.translation import options

if __name__ == "__main__":
    # The recipe is imported when the command runs (see `cli.run`).
    cli.run(
        "nda_tf.translation.recipe:PIX2PIX",
        "nda_tf.experiments.pix2pix",
        options.OPTIONS,
    )
