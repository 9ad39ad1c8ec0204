"""The GAN loss names, importable without TensorFlow.

Command lines list them as flag choices (`--loss`), so that `--help`
answers without loading TensorFlow; `nda_tf.gan.losses.LOSSES` is this.
"""

LOSSES = ("hinge", "non_saturating", "wasserstein")
