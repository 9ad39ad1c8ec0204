"""Dataset sources for NDA experiments: tfds names, folders, npz, dots."""

from nda_tf.data import dots

__all__ = ["dots"]
