"""Image files for the serving client, read without trusting them.

A small file can claim a huge image (a 33 KB PNG of 3000 x 3000 pixels
decodes to 27 MB and costs gigabytes as a JSON request), and a FIFO or a
device named `x.png` blocks a reader forever. So `read_image` reads only
regular files (opened without blocking, checked again once open), reads
the width and height from the format's header and refuses an image of
more than `max_pixels` pixels before decoding it.
"""

import os
import stat
import struct

# The default pixel limit: 2048 x 2048, about 12 MB decoded and 50 MB as
# the JSON of a REST request.
MAX_PIXELS = 2048 * 2048
FORMATS = "PNG, JPEG, BMP or GIF"
# JPEG start-of-frame markers (those that carry the size): C0-CF but the
# Huffman table (C4), JPEG extension (C8) and arithmetic coding (CC) ones.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Standalone JPEG markers: no length field follows them.
_STANDALONE = frozenset([0x01, *range(0xD0, 0xDA)])
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


# A 16-bit RGBA pixel; incompressible content (noise) stores about that.
_BYTES_PER_PIXEL = 8


def read_bytes(path, max_pixels=MAX_PIXELS):
    """The bytes of the regular file `path`; a ValueError says why not.

    Files larger than an uncompressed image of `max_pixels` pixels (8
    bytes a pixel, as a 16-bit RGBA PNG of noise stores, and 1 MiB for
    metadata) are refused unread."""
    try:
        _check_regular(os.stat(path).st_mode)
    except FileNotFoundError:
        raise ValueError("no such file") from None
    # O_NONBLOCK: were `path` swapped for a FIFO since the stat, opening
    # it still returns at once; the check below then refuses it.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(descriptor)
        _check_regular(status.st_mode)
        limit = _BYTES_PER_PIXEL * max_pixels + 2**20
        if status.st_size > limit:
            # Not "more than any image": metadata or a 1-pixel-wide PNG
            # (a filter byte per row) can take more; say what is allowed.
            raise ValueError(
                f"is {status.st_size} bytes, more than the {limit} allowed "
                f"for --max_pixels={max_pixels} pixels ("
                f"{_BYTES_PER_PIXEL} bytes a pixel and 1 MiB)"
            )
        return file.read(limit + 1)


def _check_regular(mode):
    if stat.S_ISREG(mode):
        return
    for test, kind in _KINDS:
        if test(mode):
            what = (
                "a folder, not an image file"
                if kind == "a folder"
                else (f"{kind}, not a regular image file")
            )
            raise ValueError(f"is {what}")
    raise ValueError("is not a regular image file")


def image_size(data):
    """`(width, height, frames)` from the header of PNG, JPEG, BMP or GIF
    bytes (frames: a GIF's, which TensorFlow decodes all of; 1 for the
    others), or None when `data` is none of them or is cut short."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
            return (*struct.unpack(">II", data[16:24]), 1)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return (*struct.unpack("<HH", data[6:10]), _gif_frames(data))
        if data.startswith(b"BM"):
            return (*_bmp_size(data), 1)
        if data.startswith(b"\xff\xd8"):
            size = _jpeg_size(data)
            return size and (*size, 1)
    except (struct.error, IndexError):  # shorter than its header says
        return None
    return None


def _gif_frames(data):
    """The image descriptors of a GIF, counted by walking its blocks."""
    position, frames = 13, 0
    if data[10] & 0x80:  # a global colour table follows the header
        position += 3 * 2 ** ((data[10] & 7) + 1)
    while data[position] != 0x3B:  # the trailer
        if data[position] == 0x21:  # an extension: label, sub-blocks
            position = _skip_sub_blocks(data, position + 2)
        elif data[position] == 0x2C:  # an image: descriptor, LZW data
            frames += 1
            flags = data[position + 9]
            position += 10
            if flags & 0x80:  # a local colour table
                position += 3 * 2 ** ((flags & 7) + 1)
            position = _skip_sub_blocks(data, position + 1)
        else:
            raise IndexError("not a GIF block")
    return frames


def _skip_sub_blocks(data, position):
    while data[position]:
        position += data[position] + 1
    return position + 1


def _bmp_size(data):
    (header,) = struct.unpack("<I", data[14:18])
    if header == 12:  # the OS/2 header: 16-bit sizes
        return struct.unpack("<HH", data[18:22])
    width, height = struct.unpack("<ii", data[18:26])
    return abs(width), abs(height)  # a negative height is top-down


def _jpeg_size(data):
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill bytes before a marker
            position += 1
            continue
        if marker in _STANDALONE:
            position += 2
            continue
        if marker in _SOF:
            height, width = struct.unpack(
                ">HH", data[position + 5 : position + 9]
            )
            return width, height
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    return None


def read_image(path, max_pixels=MAX_PIXELS):
    """A file as a uint8 `[H, W, 3]` RGB array; a ValueError says why a
    file is not one: not a regular file, too large, or not an image. The
    pixel count is read from the header, before any decoding."""
    import tensorflow as tf

    data = read_bytes(path, max_pixels)
    size = image_size(data)
    if size is None:
        raise ValueError(f"not a readable {FORMATS} image")
    width, height, frames = size
    pixels = width * height * frames
    if pixels > max_pixels:
        frames = f" x {frames} frames" if frames > 1 else ""
        raise ValueError(
            f"is {width} x {height}{frames} = {pixels} pixels, more than "
            f"--max_pixels={max_pixels}: refused before decoding"
        )
    try:
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
    except tf.errors.OpError:
        raise ValueError(f"not a readable {FORMATS} image") from None
    return image.numpy()
