"""Video sources: moving shapes, decoded video files and frame folders
with split files, seekable clip streams, and unprepared tfds sets."""

import time

import numpy as np
import pytest

from nda_tf.data import DatasetUnavailable, moving_shapes
from nda_tf.data.video import ClipStream, read_video, video_source


def test_moving_shapes_are_seeded_and_labelled_by_their_motion():
    videos = moving_shapes.render(0, "train", range(8), frames=5, size=16)
    again = moving_shapes.render(0, "train", range(8), frames=5, size=16)
    np.testing.assert_array_equal(videos, again)
    other = moving_shapes.render(0, "test", range(8), frames=5, size=16)
    assert not np.array_equal(videos, other)
    labels = moving_shapes.labels(0, "train", range(400))
    assert set(labels) == set(range(len(moving_shapes.MOTIONS)))
    # "right" moves the bar one pixel right per frame (at 32 px).
    right = moving_shapes.MOTIONS.index("right")
    index = int(np.flatnonzero(labels == right)[0])
    video = moving_shapes.render(0, "train", [index], frames=2)[0]
    np.testing.assert_array_equal(np.roll(video[0], 1, axis=1), video[1])
    # White bars on black: no colour tells one video from another; with
    # colours, the same bars in colour on a dark background.
    assert set(np.unique(videos)) == {0, 255}
    coloured = moving_shapes.render(
        0, "train", range(8), frames=5, size=16, colours=True
    )
    np.testing.assert_array_equal(
        coloured.max(-1) >= 150, videos.max(-1) == 255
    )
    assert len(np.unique(coloured.reshape(-1, 3), axis=0)) > 8


def _write_video(path, frames):
    import av

    with av.open(path, "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            image = av.VideoFrame.from_ndarray(frame, format="rgb24")
            container.mux(stream.encode(image))
        container.mux(stream.encode())


def test_a_written_video_decodes_to_its_frames(tmp_path):
    frames = np.zeros([6, 32, 32, 3], np.uint8)
    for t in range(6):
        frames[t, :, : 4 + 4 * t] = 200  # a bar that widens
    path = str(tmp_path / "clip.avi")
    _write_video(path, frames)
    decoded = read_video(path)
    assert decoded.shape == frames.shape
    # Lossy codec: close, not equal.
    assert np.abs(decoded.astype(int) - frames).mean() < 8


def test_video_folder_honours_ucf_split_files(tmp_path):
    from PIL import Image

    root = tmp_path / "videos"
    for label, name in enumerate(["Jump", "Run"]):
        for clip in ("g01", "g02"):
            folder = root / name / f"v_{name}_{clip}"
            folder.mkdir(parents=True)
            for t in range(3):
                pixels = np.full([8, 8, 3], 60 * label + t, np.uint8)
                Image.fromarray(pixels).save(folder / f"{t:03d}.png")
    # Where the official download keeps them.
    lists = root / "ucfTrainTestlist"
    lists.mkdir()
    (lists / "trainlist01.txt").write_text(
        "Jump/v_Jump_g01.avi 1\nRun/v_Run_g01.avi 2\n"
    )
    (lists / "testlist01.txt").write_text("Jump/v_Jump_g02.avi\n")
    train = video_source(f"video_folder:{root}", "train")
    test = video_source(f"video_folder:{root}", "test")
    assert train.info.num_classes == 2 and list(train.labels) == [0, 1]
    assert list(test.labels) == [0] and test.paths[0].endswith("v_Jump_g02")
    assert train.frames(1).shape == (3, 8, 8, 3)
    assert train.frames(1)[2, 0, 0, 0] == 62


def test_clip_streams_resume_at_any_batch():
    stream = ClipStream("moving_shapes(videos=6,size=8,frames=10)", 4, 6, 1)
    read = [b for b in stream.batches(0).take(3)]
    resumed = next(iter(stream.batches(2)))
    np.testing.assert_array_equal(read[2][0], resumed[0])
    np.testing.assert_array_equal(read[2][1], resumed[1])
    # Epochs of 6 videos: batches 0 and 1 hold 8 clips, every video once
    # in the first 6.
    first_epoch = np.concatenate([read[0][1], read[1][1]])[:6]
    source = video_source("moving_shapes(videos=6,size=8,frames=10)")
    assert sorted(first_epoch) == sorted(source.labels)
    clips, labels = stream.test_clips(count=2, clips_per_video=3)
    assert clips.shape == (2, 3, 6, 8, 8, 3) and list(labels) == list(
        source.labels[:2]
    )


def test_an_unprepared_tfds_video_set_fails_fast(tmp_path):
    start = time.monotonic()
    with pytest.raises(DatasetUnavailable, match="ucf101.*not prepared"):
        video_source("ucf101", data_dir=str(tmp_path))
    assert time.monotonic() - start < 20


def test_bad_sources_name_the_value(tmp_path):
    with pytest.raises(ValueError, match="unknown moving_shapes options"):
        video_source("moving_shapes(speed=2)")
    with pytest.raises(ValueError, match="colours must be True or False"):
        video_source("moving_shapes(colours=2)")
    with pytest.raises(ValueError, match="is not a directory"):
        video_source(f"video_folder:{tmp_path / 'missing'}")


def test_video_folder_honours_hmdb_split_files(tmp_path):
    root = tmp_path / "hmdb"
    for name in ("brush_hair", "cartwheel"):
        (root / name).mkdir(parents=True)
        for clip in ("a", "b", "c"):
            (root / name / f"{clip}.avi").write_bytes(b"")
    splits = root / "testTrainMulti_7030_splits"
    splits.mkdir()
    # 1: train, 2: test, 0: unused.
    (splits / "brush_hair_test_split1.txt").write_text("a.avi 1\nb.avi 2\n")
    (splits / "cartwheel_test_split1.txt").write_text("a.avi 0\nc.avi 1\n")
    train = video_source(f"video_folder:{root}", "train")
    test = video_source(f"video_folder:{root}", "test")
    assert [p.split("hmdb/")[1] for p in train.paths] == [
        "brush_hair/a.avi",
        "cartwheel/c.avi",
    ]
    assert list(train.labels) == [0, 1] and len(test.paths) == 1
