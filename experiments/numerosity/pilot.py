"""Pilot: can a plain GAN draw six-dot images in minutes on a CPU?

Trains the plain GAN (no NDA) on six-dot images for 800 G steps from seed 0
with the given overrides, then counts the dots of 500 samples of G (not its
EMA) and prints their histogram. Used to choose the numerosity study's
settings (experiments/RESULTS.md); 5-25 minutes on 2 CPU cores.

    PYTHONPATH=. python experiments/numerosity/pilot.py biggan16 \
        '{"arch": "biggan", "ch": 16}'
"""

import json
import sys
import time

import numpy as np

from nda_tf import training
from nda_tf.eval import counting as numerosity
from nda_tf.gan import monitoring
from nda_tf.gan.recipe import GAN

name, overrides = sys.argv[1], json.loads(sys.argv[2])
config = {
    "dataset": "dots(counts=(6,))",
    "nda": "none",
    "arch": "sngan",
    "ch": 32,
    "steps": 800,
    "batch_size": 32,
    "d_steps": 2,
    "ema_start": 10**6,
    "seed": 0,
    "eval_every": 10**6,
    "eval_metrics": ["none"],
    **overrides,
}
start = time.time()
options = training.RunOptions(progress=False, save_every=10**6, log_every=100)
gan, _ = training.train(GAN, config, f"runs/pilot/{name}", options)
images = gan.generate(500, seed=7, use_ema=False)
counts = numerosity.count_dots(images)
print(
    name,
    overrides,
    f"{time.time() - start:.0f} s",
    "histogram",
    np.bincount(counts, minlength=13)[:13].tolist(),
    f"exactly 6: {np.mean(counts == 6):.3f}",
)
monitoring.save_png(
    f"runs/pilot/{name}.png", monitoring.image_grid(images[:64])
)
