"""Dataset sources for NDA experiments: tfds names, folders, npz, dots.

    >>> from nda_tf import data
    >>> ds, info = data.load("dots(counts=(4, 5, 7))")
    >>> info.num_classes, info.resolution
    (3, 32)
    >>> images, labels = next(iter(data.batches(ds, 8, shuffle=False)))
    >>> images.shape, images.dtype, labels.dtype
    (TensorShape([8, 32, 32, 3]), tf.float32, tf.int32)

`load` streams any source once (for evaluation); `training_stream` gives the
endless, seekable batches a training run resumes from. Missing tfds data is
downloaded unless `downloads.set_allowed(False)` (`--no_download`); folders
and npz files are checked when opened, and a bad file is named.
"""

from nda_tf.data import dots, downloads
from nda_tf.data.sources import (
    DatasetInfo,
    DatasetUnavailable,
    load,
    read_arrays,
    set_bad_files,
)
from nda_tf.data.streams import batches, indexed_batches
from nda_tf.data.training import training_stream

__all__ = [
    "DatasetInfo",
    "DatasetUnavailable",
    "batches",
    "dots",
    "downloads",
    "indexed_batches",
    "load",
    "read_arrays",
    "set_bad_files",
    "training_stream",
]
