"""Old name of `nda_tf.io.pth`, the `.pth` reader (kept for scripts)."""

from nda_tf.lazy import moved

moved(__name__, "nda_tf.io.pth")
