r"""Pretrains DPC with NDA clips: `python -m nda_tf.experiments.dpc`.

Paper run (Table 7, UCF-101 split 1, R2D3D-18, 8 blocks of 5 frames at
128 px, stitch NDA; 200 epochs; paper fine-tuned top-1 66.07 vs 61.35
without NDA; days on GPUs):

    python -m nda_tf.experiments.dpc --dataset=video_folder:/data/UCF-101 \
        --nda=stitch --logdir=runs/dpc_ucf101_stitch
    python -m nda_tf.experiments.video_finetune \
        --pretrained=runs/dpc_ucf101_stitch \
        --dataset=video_folder:/data/UCF-101 --logdir=runs/ft_ucf101_stitch

Small run on built-in moving shapes, any machine (minutes: 200-step runs
of this size took 1.5 to 12 minutes on 2 shared CPU cores; see
experiments/RESULTS.md for what such runs reach):

    python -m nda_tf.experiments.dpc \
        --dataset="moving_shapes(videos=400,size=32,frames=24)" \
        --arch=small --width=8 --num_blocks=4 --block_frames=4 \
        --pred_steps=2 --stride=1 --batch_size=16 --steps=300 \
        --eval_every=150 --probe_videos=200 --nda=jigsaw \
        --logdir=runs/dpc_shapes

It writes TensorBoard logs (loss, dense accuracy, lr, linear-probe
accuracy), `config.json` and checkpoints; the same command again resumes
exactly. `--export_dir` writes the clip encoder as a SavedModel (uint8
clips -> embedding) at the end.
"""

from nda_tf.experiments import cli
from nda_tf.video import options

if __name__ == "__main__":
    # The recipe is imported when the command runs (see `cli.run`).
    cli.run(
        "nda_tf.video.recipe:DPC_RECIPE",
        "nda_tf.experiments.dpc",
        options.DPC_OPTIONS,
        extras=("video",),
    )
