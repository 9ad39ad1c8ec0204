"""The Pix2Pix loss names, importable without TensorFlow.

The command line lists them as flag choices (`--loss`), so that `--help`
answers without loading TensorFlow; `nda_tf.translation.losses.LOSSES` is
this.
"""

LOSSES = ("cgan", "l1_cgan")
