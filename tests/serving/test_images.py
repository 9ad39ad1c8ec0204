"""Image files for the score client: regular files only, the pixel count
read from the header and refused before decoding, lean REST requests."""

import io
import json
import os
import signal
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.serving import images
from nda_tf.serving.client import json_array


def constant_png(width, height):
    """A grey RGB PNG of any size in a few kilobytes: its rows compress to
    almost nothing, as an attacker's would."""
    compressor = zlib.compressobj(9)
    row = b"\0" + b"\x80" * (3 * width)  # filter byte, then the pixels
    data = b"".join(compressor.compress(row) for _ in range(height))
    data += compressor.flush()

    def chunk(kind, body):
        crc = zlib.crc32(kind + body)
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails the test if anything decodes an image."""

    def refuse(*args, **kwargs):
        raise AssertionError("an image was decoded")

    monkeypatch.setattr(tf.io, "decode_image", refuse)


@pytest.fixture
def alarm():
    """Ends a test that blocks for 10 s with an error, not a hang."""

    def fire(*args):
        raise TimeoutError("blocked")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_small_constant_png_decodes_to_what_it_says():
    data = constant_png(6, 4)
    assert images.image_size(data) == (6, 4, 1)
    decoded = tf.io.decode_image(data).numpy()
    assert decoded.shape == (4, 6, 3) and (decoded == 0x80).all()


def test_the_header_gives_the_size_of_every_format():
    pil = pytest.importorskip("PIL.Image")
    array = np.random.default_rng(0).integers(0, 255, (7, 5, 3), np.uint8)
    found = {
        "png": tf.io.encode_png(array).numpy(),
        "jpeg": tf.io.encode_jpeg(array).numpy(),
    }
    for kind in ("BMP", "GIF"):
        buffer = io.BytesIO()
        pil.fromarray(array).save(buffer, kind)
        found[kind.lower()] = buffer.getvalue()
    # An EXIF block before the frame header, progressive coding.
    buffer = io.BytesIO()
    exif = b"Exif\0\0" + b"x" * 60000
    pil.fromarray(array).save(buffer, "JPEG", exif=exif, progressive=True)
    found["jpeg_exif"] = buffer.getvalue()
    assert {k: images.image_size(v) for k, v in found.items()} == {
        k: (5, 7, 1) for k in found
    }
    buffer = io.BytesIO()
    frames = [pil.fromarray(array), pil.fromarray(255 - array)] * 2
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    assert images.image_size(buffer.getvalue()) == (5, 7, 4)
    for junk in (b"", b"hello", found["png"][:20], found["jpeg"][:30]):
        assert images.image_size(junk) is None


@pytest.mark.parametrize("side", [3000, 12000])
def test_a_huge_png_of_a_few_kilobytes_is_refused_before_decoding(
    tmp_path, no_decoding, side
):
    path = tmp_path / "big.png"
    path.write_bytes(constant_png(side, side))
    assert path.stat().st_size < 500_000
    start = time.monotonic()
    with pytest.raises(ValueError) as refused:
        images.read_image(str(path))
    assert time.monotonic() - start < 5
    assert str(refused.value) == (
        f"is {side} x {side} = {side * side} pixels, more than "
        f"--max_pixels={images.MAX_PIXELS}: refused before decoding"
    )


def test_an_animated_gif_counts_its_frames(tmp_path, no_decoding):
    pil = pytest.importorskip("PIL.Image")
    # Frames that differ: Pillow merges identical ones.
    frames = [
        pil.fromarray(np.full([7, 5, 3], v, np.uint8)) for v in (0, 99, 255)
    ]
    frames[0].save(
        tmp_path / "a.gif", "GIF", save_all=True, append_images=frames[1:]
    )
    with pytest.raises(ValueError, match="is 5 x 7 x 3 frames = 105 pixels"):
        images.read_image(str(tmp_path / "a.gif"), max_pixels=100)


def test_only_regular_files_are_read(tmp_path, alarm, no_decoding):
    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)  # opening it to read would wait for a writer
    device = tmp_path / "d.png"
    device.symlink_to(os.devnull)
    folder = tmp_path / "f.png"
    folder.mkdir()
    answers = {}
    for path in (fifo, device, folder, tmp_path / "gone.png"):
        with pytest.raises(ValueError) as refused:
            images.read_image(str(path))
        answers[path.name] = str(refused.value)
    assert answers == {
        "x.png": "is a FIFO, not a regular image file",
        "d.png": "is a character device, not a regular image file",
        "f.png": "is a folder, not an image file",
        "gone.png": "no such file",
    }


def test_a_file_larger_than_any_allowed_image_is_not_read(tmp_path):
    path = tmp_path / "huge.png"
    with open(path, "wb") as file:
        file.truncate(2**21)  # sparse: no disk used
    with pytest.raises(ValueError) as refused:
        images.read_bytes(str(path), max_pixels=16)
    assert str(refused.value) == (
        f"is {2**21} bytes, more than the {128 + 2**20} allowed for "
        "--max_pixels=16 pixels (8 bytes a pixel and 1 MiB)"
    )


def test_a_16_bit_rgba_png_of_noise_within_max_pixels_is_read(tmp_path):
    # About 8 bytes a pixel: 2.9 MB for 360000 pixels, above the old cap
    # of 4 bytes a pixel and 1 MiB.
    noise = np.random.default_rng(2).integers(0, 2**16, (600, 600, 4))
    data = tf.io.encode_png(noise.astype(np.uint16)).numpy()
    assert len(data) > 4 * 600 * 600 + 2**20
    (tmp_path / "deep.png").write_bytes(data)
    read = images.read_image(str(tmp_path / "deep.png"), max_pixels=360000)
    assert read.shape == (600, 600, 3)
    assert read.dtype == np.uint8


def test_a_good_image_reads_as_before(tmp_path):
    array = np.random.default_rng(1).integers(0, 255, (9, 4, 3), np.uint8)
    (tmp_path / "a.png").write_bytes(tf.io.encode_png(array).numpy())
    read = images.read_image(str(tmp_path / "a.png"), max_pixels=36)
    np.testing.assert_array_equal(read, array)
    with pytest.raises(ValueError, match="= 36 pixels, more than"):
        images.read_image(str(tmp_path / "a.png"), max_pixels=35)


def test_a_rest_request_costs_a_few_bytes_a_value():
    batch = np.random.default_rng(2).integers(0, 255, (2, 300, 200, 3))
    batch = batch.astype(np.uint8)
    tracemalloc.start()
    try:
        text = json_array(batch)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert json.loads(text) == batch.tolist()
    # Nested Python lists of the same values take over 70 bytes each.
    assert peak < 16 * batch.size
    for odd in (np.zeros([1, 0, 2, 3], np.uint8), np.arange(6).reshape(2, 3)):
        assert json.loads(json_array(odd)) == odd.tolist()
    floats = np.array([[0.5, 1.0]], np.float32)
    assert json.loads(json_array(floats)) == [[0.5, 1.0]]
