"""Dataset sources for NDA experiments: tfds names, folders, npz, dots.

    >>> from nda_tf import data
    >>> ds, info = data.load("dots(counts=(4, 5, 7))")
    >>> batch = next(iter(data.batches(ds, 8, shuffle=False)))

`load` streams any source once (for evaluation); `training_stream` gives the
endless, seekable batches a training run resumes from.
"""

from nda_tf.data import dots
from nda_tf.data.sources import (
    DatasetInfo,
    DatasetUnavailable,
    load,
    read_arrays,
)
from nda_tf.data.streams import batches, indexed_batches
from nda_tf.data.training import training_stream

__all__ = [
    "DatasetInfo",
    "DatasetUnavailable",
    "batches",
    "dots",
    "indexed_batches",
    "load",
    "read_arrays",
    "training_stream",
]
