"""The seekable training stream of a named source."""

from nda_tf.data import sources, streams


class TrainingStream:
    """Endless shuffled batches of a source that can start at any batch.

    Finite sources are read into memory once (uint8, at the run's
    resolution); `dots` is generated on the fly. `batches(start)` gives the
    stream from batch `start` on, identical to reading it from 0.

    Args:
        name: a source name accepted by `nda_tf.data.load`.
        batch_size: images per batch (the global batch under a strategy).
        split: as for `nda_tf.data.load`.
        resolution: as for `nda_tf.data.load`.
        data_dir: as for `nda_tf.data.load`.
        download: as for `nda_tf.data.load`.
        bad_files: as for `nda_tf.data.load`.
        seed: int, the shuffling (or dots) seed.

    Example: batch 10 is the same whether the stream starts or arrives there.

    >>> stream = TrainingStream("dots(counts=(6,))", batch_size=4)
    >>> images, labels = next(iter(stream.batches(start=10)))
    >>> images.shape, labels.numpy()
    (TensorShape([4, 32, 32, 3]), array([0, 0, 0, 0], dtype=int32))
    >>> reached = list(stream.batches(start=9).take(2))[1][0]
    >>> bool(tf.reduce_all(reached == images))
    True
    """

    def __init__(
        self,
        name,
        batch_size,
        split="train",
        resolution=None,
        seed=0,
        data_dir=None,
        download=None,
        bad_files=None,
    ):
        self.name = name
        self.batch_size = batch_size
        self.seed = seed
        if name.startswith("dots"):
            self.dots_options = sources.dots_options(name, resolution)
            self.info = sources.DatasetInfo(
                name,
                len(self.dots_options["counts"]),
                self.dots_options["size"],
                None,
            )
            self.arrays = None
        else:
            self.dots_options = None
            image_array, labels, self.info = sources.read_arrays(
                name, split, resolution, data_dir, download, bad_files
            )
            self.arrays = (image_array, labels)

    def batches(self, start=0):
        """The stream from batch `start`: `(float images, int32 labels)`."""
        if self.arrays is None:
            return streams.dots_batches(
                self.dots_options, self.batch_size, self.seed, start
            )
        return streams.indexed_batches(
            *self.arrays, self.batch_size, self.seed, start
        )


def training_stream(name, batch_size, **kwargs):
    """`TrainingStream(name, batch_size, **kwargs)`."""
    return TrainingStream(name, batch_size, **kwargs)
