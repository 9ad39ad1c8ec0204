"""Old name of the command `python -m nda_tf.experiments.demo` (kept for
scripts), which draws the transforms on sample photos."""

from nda_tf.lazy import moved

moved(__name__, "nda_tf.experiments.demo")
