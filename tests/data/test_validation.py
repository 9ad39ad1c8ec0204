"""Bad data is named before any work: folder files, npz arrays and labels.

Each test reproduces a failure of issue #14 (item 3): a truncated JPEG or a
text file named .png in a folder, NaN images, float labels, non-square
images and a garbage file in an npz.
"""

import logging
import os

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import data
from nda_tf.data import split


def _write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as file:
        file.write(content)


def _jpeg(colour, size=(8, 8)):
    pixels = np.full([*size, 3], colour, np.uint8)
    return tf.io.encode_jpeg(pixels, quality=95).numpy()


@pytest.fixture
def folder_with_bad_files(tmp_path):
    """Two classes of two good JPEGs, plus a truncated JPEG and a text file
    named .png."""
    root = tmp_path / "images"
    for name, colour in (("cat", 20), ("dog", 230)):
        for index in range(2):
            _write(str(root / name / f"{index}.jpg"), _jpeg(colour))
    truncated = str(root / "cat" / "truncated.jpg")
    _write(truncated, _jpeg(20, (16, 16))[:60])
    text = str(root / "dog" / "notes.png")
    _write(text, b"this is not an image\n")
    return str(root), sorted([truncated, text])


def test_a_folder_with_bad_files_stops_with_their_paths(folder_with_bad_files):
    root, bad = folder_with_bad_files
    for read in (data.load, data.read_arrays):
        with pytest.raises(ValueError) as caught:
            read(f"folder:{root}", resolution=8)
        message = str(caught.value)
        assert message.startswith(f"2 unreadable image file(s) in {root!r}")
        assert all(path in message for path in bad)
        assert "bad_files=skip" in message and "\n" not in message


def test_skipping_bad_files_warns_with_the_count(folder_with_bad_files, caplog):
    root, bad = folder_with_bad_files
    with caplog.at_level(logging.WARNING, logger="nda_tf"):
        images, labels, info = data.read_arrays(
            f"folder:{root}", resolution=8, bad_files="skip"
        )
    assert "Skipping 2 unreadable image file(s)" in caplog.text
    assert "of 6" in caplog.text and bad[0] in caplog.text
    assert info.num_examples == 4 and labels.tolist() == [0, 0, 1, 1]
    # JPEG is lossy: the flat colours come back within a few levels.
    np.testing.assert_allclose(images[:2].mean(), 20, atol=3)
    np.testing.assert_allclose(images[2:].mean(), 230, atol=3)


def test_a_folder_is_decoded_once_until_a_file_changes(
    folder_with_bad_files, monkeypatch
):
    root, bad = folder_with_bad_files
    paths = data.folder.list_images(root)[0]
    decoded = []
    original = data.folder._decode_sizes

    def counting(paths):
        decoded.append(len(paths))
        return original(paths)

    monkeypatch.setattr(data.folder, "_decode_sizes", counting)
    first = data.folder.check_files(paths, root, "skip")
    assert data.folder.check_files(paths, root, "skip") == first
    assert decoded == [6] and first[1] == bad
    # A repaired file is seen: its size (and time) changed.
    _write(bad[0], _jpeg(20))
    sizes, still_bad = data.folder.check_files(paths, root, "skip")
    assert decoded == [6, 6] and still_bad == [bad[1]]
    assert sizes[bad[0]] == (8, 8)


def test_the_process_setting_skips_for_every_reader(folder_with_bad_files):
    root, _ = folder_with_bad_files
    data.set_bad_files("skip")
    try:
        dataset, info = data.load(f"folder:{root}", resolution=8)
        assert len(list(dataset)) == info.num_examples == 4
    finally:
        data.set_bad_files("stop")
    with pytest.raises(ValueError, match="bad_files must be one of"):
        data.set_bad_files("ignore")


def test_a_folder_of_only_bad_files_is_an_error(tmp_path):
    _write(str(tmp_path / "a.png"), b"text")
    with pytest.raises(ValueError, match="no readable images"):
        data.load(f"folder:{tmp_path}", bad_files="skip")


def test_a_non_square_folder_is_cropped_and_grey_png_is_rgb(tmp_path):
    pixels = np.arange(32 * 48, dtype=np.uint8).reshape(32, 48, 1)
    tf.io.write_file(str(tmp_path / "a.png"), tf.io.encode_png(pixels))
    images, _, info = data.read_arrays(f"folder:{tmp_path}")
    assert info.resolution == 32 and images.shape == (1, 32, 32, 3)
    np.testing.assert_array_equal(images[0, :, :, 1], pixels[:, 8:40, 0])


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return f"npz:{path}"


def test_nan_images_in_an_npz_are_refused(tmp_path):
    pixels = np.zeros([3, 4, 4, 3], np.float32)
    pixels[1, 0, 0, 0] = np.nan
    name = _npz(tmp_path / "nan.npz", images=pixels)
    with pytest.raises(ValueError, match=r"1 image\(s\) hold NaN .* index 1"):
        data.read_arrays(name)


def test_float_labels_are_refused(tmp_path):
    pixels = np.zeros([2, 4, 4, 3], np.uint8)
    name = _npz(tmp_path / "f.npz", images=pixels, labels=[0.0, 1.5])
    with pytest.raises(ValueError, match="labels must be integers.*float64"):
        data.read_arrays(name)


def test_non_square_npz_images_name_the_file_and_shape(tmp_path):
    pixels = np.zeros([2, 32, 48, 3], np.uint8)
    name = _npz(tmp_path / "wide.npz", images=pixels)
    path = str(tmp_path / "wide.npz")
    with pytest.raises(ValueError) as caught:
        data.read_arrays(name)
    assert str(caught.value).startswith(f"{path!r}: images are 32x48")
    # With a resolution they are centre-cropped and resized instead.
    images, _, info = data.read_arrays(name, resolution=16)
    assert images.shape == (2, 16, 16, 3) and info.resolution == 16


@pytest.mark.parametrize(
    "content",
    [b"not a zip file at all", b"PK\x03\x04 truncated zip"],
    ids=["text", "truncated_zip"],
)
def test_a_garbage_npz_names_the_file(tmp_path, content):
    path = str(tmp_path / "garbage.npz")
    _write(path, content)
    with pytest.raises(ValueError) as caught:
        data.load(f"npz:{path}")
    assert str(caught.value).startswith(f"{path!r} is not a")


def test_a_pickled_or_single_array_npz_is_refused(tmp_path):
    pickled = tmp_path / "objects.npz"
    np.savez(pickled, images=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="objects.npz' is not a readable"):
        data.read_arrays(f"npz:{pickled}")
    single = tmp_path / "one.npz"
    with open(single, "wb") as file:
        np.save(file, np.zeros([2, 4, 4, 3], np.uint8))
    with pytest.raises(ValueError, match="holds one array"):
        data.read_arrays(f"npz:{single}")


def test_ood_sets_and_export_calibration_name_bad_files(folder_with_bad_files):
    """`ood --ood=folder:` and `export --calibration_data=folder:` read
    folders through the data layer, so they stop the same way."""
    from nda_tf.eval.ood import sets as ood_sets
    from nda_tf.gan import export

    root, bad = folder_with_bad_files
    with pytest.raises(ValueError, match="2 unreadable image file") as caught:
        ood_sets.resolve(f"folder:{root}", None, resolution=8)
    assert bad[0] in str(caught.value)
    config = {"resolution": 8}
    options = {"calibration_data": f"folder:{root}", "data_dir": None}
    options["calibration_split"] = "test"
    with pytest.raises(ValueError, match="2 unreadable image file") as caught:
        export.calibration_images(config, options, 4)
    assert bad[1] in str(caught.value)
    data.set_bad_files("skip")
    try:
        images = export.calibration_images(config, options, 10)
    finally:
        data.set_bad_files("stop")
    assert images.shape == (4, 8, 8, 3)


def test_a_dangling_symlink_is_a_bad_file_not_dropped(tmp_path, caplog):
    # Issue 28: a link to a moved image was left out without a word.
    root = tmp_path / "images"
    for index in range(2):
        _write(str(root / "cat" / f"{index}.jpg"), _jpeg(20))
    link = root / "cat" / "moved.jpg"
    os.symlink(tmp_path / "gone.jpg", link)
    with pytest.raises(ValueError) as caught:
        data.read_arrays(f"folder:{root}", resolution=8)
    assert str(caught.value).startswith("1 unreadable image file(s)")
    assert f"{link} (a dangling symlink to {tmp_path / 'gone.jpg'})" in str(
        caught.value
    )
    with caplog.at_level(logging.WARNING, logger="nda_tf"):
        _, labels, _ = data.read_arrays(
            f"folder:{root}", resolution=8, bad_files="skip"
        )
    assert "Skipping 1 unreadable image file(s)" in caplog.text
    assert str(link) in caplog.text and len(labels) == 2
    with pytest.raises(ValueError, match="1 dangling symlink"):
        split.split_folder(str(root), str(tmp_path / "split"), held_out=1)
