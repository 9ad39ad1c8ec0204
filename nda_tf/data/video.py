"""Video sources and seekable clip streams (DPC, `nda_tf.video`).

A source name is one of
    moving_shapes |
    moving_shapes(videos=1000, frames=48, size=32, shapes=4, seed=0,
                  colours=False) |
    video_folder:PATH | ucf101 (tfds; any tfds video set with "video" and
    "label" features, prepared in array_record format)

A clip is `num_blocks * block_frames` frames taken every `stride` frames
from a random start (frames past a video's end repeat its last frame).
Training streams are functions of `(seed, batch index)`, as the image
streams are, so a run resumes exactly.

    >>> stream = ClipStream("moving_shapes(videos=8, size=16)", 2,
    ...                     frames=6, stride=1)
    >>> clips, labels = next(iter(stream.batches(start=3)))
    >>> clips.shape, clips.dtype, labels.shape
    (TensorShape([2, 6, 16, 16, 3]), tf.float32, TensorShape([2]))
"""

import os

import numpy as np
import tensorflow as tf

from nda_tf import checks, extras
from nda_tf.data import images, moving_shapes
from nda_tf.data.sources import DatasetInfo, DatasetUnavailable, parse_dots

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg")
FRAME_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")


def video_source(name, split="train", data_dir=None):
    """The `VideoSource` of a source name (see the module docstring)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"dataset must be a non-empty name, received {name!r}")
    if name.startswith("moving_shapes"):
        return MovingShapes(name, split)
    if name.startswith("video_folder:"):
        return VideoFolder(name[len("video_folder:") :], split)
    return TfdsVideos(name, split, data_dir)


class MovingShapes:
    """`moving_shapes(...)` videos (see `nda_tf.data.moving_shapes`); the
    test split holds a quarter as many videos as `videos` (train)."""

    def __init__(self, name, split):
        options = {} if name == "moving_shapes" else parse_dots(name)
        known = {"videos", "frames", "size", "shapes", "seed", "colours"}
        unknown = set(options) - known
        if unknown:
            raise ValueError(
                f"unknown moving_shapes options {sorted(unknown)} in {name!r}"
            )
        videos = checks.check_int("videos", options.get("videos", 1000), 1)
        self.frames_per_video = checks.check_int(
            "frames", options.get("frames", 48), 1
        )
        self.size = checks.check_int("size", options.get("size", 32), 4)
        self.seed = checks.check_int("seed", options.get("seed", 0), 0)
        self.shapes = checks.check_int("shapes", options.get("shapes", 4), 1)
        self.colours = options.get("colours", False)
        if not isinstance(self.colours, bool):
            raise ValueError(
                f"moving_shapes colours must be True or False; received "
                f"{self.colours!r}"
            )
        self.split = split
        count = videos if split == "train" else max(1, videos // 4)
        self.labels = moving_shapes.labels(self.seed, split, range(count))
        self.info = DatasetInfo(
            name, len(moving_shapes.MOTIONS), self.size, count
        )

    def frames(self, index):
        return moving_shapes.render(
            self.seed,
            self.split,
            [index],
            self.frames_per_video,
            self.size,
            self.shapes,
            self.colours,
        )[0]


class VideoFolder:
    """Class subfolders of video files or of frame folders.

    Split files are honoured when PATH (or its `ucfTrainTestlist`,
    `testTrainMulti_7030_splits` or `splits` folder) holds them: UCF-101's
    `trainlist01.txt` / `testlist01.txt` (split 1), or HMDB-51's
    `<class>_test_split1.txt` (1 train, 2 test). Without them every
    fifth video (in sorted order) is the test split.
    """

    def __init__(self, path, split):
        if not os.path.isdir(path):
            raise ValueError(f"video_folder: {path!r} is not a directory")
        classes = sorted(
            d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d))
        )
        classes = [c for c in classes if _videos_in(os.path.join(path, c))]
        if not classes:
            raise ValueError(
                f"video_folder: {path!r} has no class folders of videos "
                f"({', '.join(VIDEO_EXTENSIONS)}) or of frame folders"
            )
        entries = [
            (f"{c}/{v}", label)
            for label, c in enumerate(classes)
            for v in _videos_in(os.path.join(path, c))
        ]
        chosen = _split_members(path, split, entries)
        self.path = path
        self.paths = [os.path.join(path, e) for e, _ in chosen]
        self.labels = np.array([label for _, label in chosen], np.int32)
        if not self.paths:
            raise ValueError(f"video_folder: {path!r} has no {split} videos")
        self.info = DatasetInfo(
            f"video_folder:{path}", len(classes), None, len(self.paths)
        )

    def frames(self, index):
        return read_video(self.paths[index])


class TfdsVideos:
    """A prepared tfds video set read by random access (array_record)."""

    def __init__(self, name, split, data_dir):
        import tensorflow_datasets as tfds

        try:
            builder = tfds.builder(name, data_dir=data_dir)
        except Exception as error:  # tfds raises several types here
            raise ValueError(
                f"unknown video dataset {name!r}: not moving_shapes, "
                f"video_folder:PATH nor a tfds name ({_first_line(error)})"
            ) from None
        if not builder.is_prepared():
            raise DatasetUnavailable(
                f"video dataset {name!r} is not prepared in "
                f"{builder.data_dir}: run `tfds build {name} "
                "--file_format=array_record` where the network allows and "
                "pass its data_dir, or use video_folder:PATH"
            )
        try:
            self.data = builder.as_data_source(split=split)
        except Exception as error:
            raise ValueError(
                f"{name!r} is prepared but cannot be read by index "
                f"({_first_line(error)}): rebuild it with "
                "--file_format=array_record"
            ) from None
        features = builder.info.features
        # Read when asked: each record holds a whole video.
        self.labels = _RecordLabels(self.data)
        self.info = DatasetInfo(
            name, features["label"].num_classes, None, len(self.data)
        )

    def frames(self, index):
        return np.asarray(self.data[index]["video"], np.uint8)


class _RecordLabels:
    """The labels of a tfds data source, read one record at a time."""

    def __init__(self, data):
        self.data = data

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return np.array(
                [self[i] for i in range(*index.indices(len(self)))], np.int32
            )
        return np.int32(self.data[int(index)]["label"])


def read_video(path):
    """uint8 frames `[F, H, W, 3]` of a video file (PyAV) or frame folder."""
    if os.path.isdir(path):
        with extras.needs("video", __name__):
            from PIL import Image

        names = sorted(
            n for n in os.listdir(path) if n.lower().endswith(FRAME_EXTENSIONS)
        )
        frames = [
            np.asarray(Image.open(os.path.join(path, n)).convert("RGB"))
            for n in names
        ]
    else:
        with extras.needs("video", __name__):
            import av

        with av.open(path) as container:
            frames = [
                f.to_ndarray(format="rgb24") for f in container.decode(video=0)
            ]
    if not frames:
        raise ValueError(f"video {path!r} has no frames")
    return np.stack(frames)


def clip_frame_indices(num_frames, frames, stride, first):
    """Indices of a clip's frames; past the end, the last frame repeats."""
    indices = first + stride * np.arange(frames)
    return np.minimum(indices, num_frames - 1)


def square(video, resolution):
    """Centre square crop and resize of uint8 frames (one op for all)."""
    if video.shape[1:3] == (resolution, resolution):
        return video
    return images.to_uint8_square(tf.constant(video), resolution).numpy()


class ClipStream:
    """Endless shuffled clip batches of a source, seekable by batch.

    Each epoch visits every video once in an order drawn from
    `(seed, epoch)`; each visit takes one clip at a start drawn from
    `(seed, example index)`. `batches(start)` gives float32 clips
    `[B, frames, r, r, 3]` in [-1, 1] and int32 labels.

    Args:
        name: a source name (module docstring).
        batch_size: clips per batch.
        frames: frames per clip (`num_blocks * block_frames`).
        stride: take every `stride`-th frame.
        split: the source's split.
        data_dir: the source's tfds directory.
        resolution: output size (default: the source's, else 128).
        seed: int.
    """

    def __init__(
        self,
        name,
        batch_size,
        frames,
        stride=1,
        split="train",
        resolution=None,
        seed=0,
        data_dir=None,
    ):
        self.source = video_source(name, split, data_dir)
        self.batch_size = checks.check_int("batch_size", batch_size, 1)
        self.frames = checks.check_int("frames", frames, 1)
        self.stride = checks.check_int("stride", stride, 1)
        self.seed = int(seed)
        info = self.source.info
        self.resolution = resolution or info.resolution or 128
        self.info = DatasetInfo(
            info.name, info.num_classes, self.resolution, info.num_examples
        )
        self.arrays = None  # clips are decoded per batch, never all held

    def _clip(self, video, first):
        indices = clip_frame_indices(
            len(video), self.frames, self.stride, first
        )
        return square(video[indices], self.resolution)

    def span(self):
        return (self.frames - 1) * self.stride + 1

    def _batch(self, first_example):
        count = len(self.source.labels)
        clips, labels = [], []
        for example in range(first_example, first_example + self.batch_size):
            epoch, position = divmod(example, count)
            order = np.random.default_rng([self.seed, epoch]).permutation(count)
            video_index = order[position]
            video = self.source.frames(int(video_index))
            latest = max(0, len(video) - self.span())
            rng = np.random.default_rng([self.seed, example, 1])
            first = int(rng.integers(latest + 1))
            clips.append(self._clip(video, first))
            labels.append(self.source.labels[video_index])
        return np.stack(clips), np.array(labels, np.int32)

    def batches(self, start=0):
        """The stream from batch `start`: `(float clips, int32 labels)`."""
        shape = [self.batch_size, self.frames, self.resolution]
        shape += [self.resolution, 3]

        def load(first):
            clips, labels = tf.numpy_function(
                lambda f: self._batch(int(f)),
                [first],
                (tf.uint8, tf.int32),
                stateful=False,
            )
            clips = images.to_float(tf.ensure_shape(clips, shape))
            return clips, tf.ensure_shape(labels, [self.batch_size])

        firsts = tf.data.Dataset.counter(
            int(start) * self.batch_size, self.batch_size
        )
        return firsts.map(
            load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
        ).prefetch(tf.data.AUTOTUNE)

    def test_clips(self, count=None, clips_per_video=1):
        """uint8 clips `[V, K, frames, r, r, 3]` of the first `count`
        videos (all by default), K starts evenly spread over each video,
        and their int32 labels: the clip-averaged evaluation set."""
        total = len(self.source.labels)
        count = total if count is None else min(count, total)
        clips = []
        for index in range(count):
            video = self.source.frames(index)
            latest = max(0, len(video) - self.span())
            starts = np.linspace(0, latest, clips_per_video).round()
            clips.append(np.stack([self._clip(video, int(s)) for s in starts]))
        return np.stack(clips), self.source.labels[:count].copy()


def _videos_in(folder):
    names = []
    for name in sorted(os.listdir(folder)):
        full = os.path.join(folder, name)
        if name.lower().endswith(VIDEO_EXTENSIONS) and os.path.isfile(full):
            names.append(name)
        elif os.path.isdir(full) and any(
            n.lower().endswith(FRAME_EXTENSIONS) for n in os.listdir(full)
        ):
            names.append(name)
    return names


def _split_members(path, split, entries):
    """The entries of `split` by the official split-1 files, if present."""
    if split not in ("train", "test"):
        raise ValueError(
            f"video_folder splits are train and test; received {split!r}"
        )
    ucf = _find(path, f"{split}list01.txt")
    if ucf is not None:
        with open(ucf) as file:
            listed = {_stem(line.split()[0]) for line in file if line.strip()}
        return [e for e in entries if _stem(e[0]) in listed]
    hmdb = _found(path, lambda n: n.endswith("_test_split1.txt"))
    if hmdb:
        wanted = "1" if split == "train" else "2"
        listed = set()
        for name in hmdb:
            # One file per class: "<class>_test_split1.txt".
            label = os.path.basename(name)[: -len("_test_split1.txt")]
            with open(name) as file:
                for line in file:
                    parts = line.split()
                    if len(parts) == 2 and parts[1] == wanted:
                        listed.add(f"{label}/{_stem(parts[0])}")
        return [e for e in entries if _stem(e[0]) in listed]
    test = split == "test"
    return [e for i, e in enumerate(entries) if (i % 5 == 4) == test]


def _split_folders(path):
    """PATH and the folders the official downloads keep split files in."""
    names = ("ucfTrainTestlist", "testTrainMulti_7030_splits", "splits")
    return [path] + [
        os.path.join(path, n)
        for n in names
        if os.path.isdir(os.path.join(path, n))
    ]


def _found(path, wanted):
    """Paths of the split files named as `wanted` accepts."""
    return [
        os.path.join(folder, n)
        for folder in _split_folders(path)
        for n in sorted(os.listdir(folder))
        if wanted(n)
    ]


def _find(path, name):
    found = _found(path, lambda n: n == name)
    return found[0] if found else None


def _stem(entry):
    base, extension = os.path.splitext(entry)
    return base if extension.lower() in VIDEO_EXTENSIONS else entry


def _first_line(error):
    return str(error).strip().splitlines()[0]
