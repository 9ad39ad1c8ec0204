r"""Fine-tunes (or linearly probes) a DPC encoder on action labels:
`python -m nda_tf.experiments.video_finetune`.

Paper setting (Table 7; DPC's evaluation): encoder and ConvGRU from the DPC
run, batch norm, dropout 0.5 and a linear layer; Adam lr 1e-3 for the
head and 1e-4 for the backbone, both multiplied by 0.1 after 60 and
again after 80 epochs (DPC's UCF-101 schedule at 128 px; its code lists
steps 60, 80, 100, but its multiplier stays at 0.01 from epoch 80 on;
HMDB-51: `--lr_steps=150,250`), weight decay 1e-3, 200 epochs; the test
is the top-1 of the softmax averaged over each test video's clips:

    python -m nda_tf.experiments.video_finetune \
        --pretrained=runs/dpc_ucf101_stitch \
        --dataset=video_folder:/data/UCF-101 --logdir=runs/ft_ucf101_stitch

The clip settings (blocks, frames, stride, encoder) come from the
pretrained run; `--linear_probe` trains only the head; without
`--pretrained` the encoder starts from random weights (the baseline).
Small run (minutes on a CPU):

    python -m nda_tf.experiments.video_finetune --pretrained=runs/dpc_shapes \
        --dataset="moving_shapes(videos=400,size=32,frames=24)" \
        --batch_size=16 --steps=200 --eval_every=100 --test_clips=2 \
        --logdir=runs/ft_shapes
"""

from nda_tf.experiments import cli
from nda_tf.video import options

if __name__ == "__main__":
    # The recipe is imported when the command runs (see `cli.run`).
    cli.run(
        "nda_tf.video.recipe:VIDEO_FINETUNE",
        "nda_tf.experiments.video_finetune",
        options.FINETUNE_OPTIONS,
        extras=("video",),
    )
