"""Scores image files with an OOD detector served by TensorFlow Serving.

    python -m nda_tf.experiments.score --url=http://localhost:8501 \
        --model_name=nda_ood cat.png dog.jpg

prints one line per file, in the order given: its score (the discriminator
logit, higher = in-distribution), in-distribution probability and verdict
(`in` or `OUTLIER`), or `error: WHY` for a file that could not be scored
(missing, a folder, not an image, refused by the server). Good files are
always scored; the exit status is 1 if any file failed. A server that does
not answer stops the command with one line. `--url` may also be a full
predict URL, and `--grpc=HOST:8500` uses gRPC instead of REST. PNG, JPEG,
BMP and GIF images are sent as uint8 RGB, grouped into one request per
image size; the server resizes them to the detector's resolution.
`--resolution=32` (the `resolution` in the export's `metadata.json`)
resizes them here instead, as the server would, so that a large image
costs a small request.

Only regular files are read (a FIFO, a folder or a device named `x.png`
is an error line, never waited on), and an image of more than
`--max_pixels` pixels (default 2048 x 2048; a GIF's frames count) is
refused from its header, before it is decoded: a small file cannot make
the client decode and send gigabytes.
"""

import sys

from nda_tf import extras
from nda_tf.experiments import cli
from nda_tf.serving.images import MAX_PIXELS
from nda_tf.training import Option

OPTIONS = (
    Option(
        "url", None, "REST URL: http://HOST:PORT or a predict URL", kind="str"
    ),
    Option(
        "grpc", None, "gRPC target HOST:PORT (instead of --url)", kind="str"
    ),
    Option("model_name", None, "served model name", kind="str"),
    Option("version", None, "model version (default: latest)", kind="int"),
    Option("timeout", 30.0, "seconds per request", low=0.0, low_open=True),
    Option(
        "max_pixels",
        MAX_PIXELS,
        "refuse an image of more pixels (width x height x GIF frames), "
        "read from its header before decoding",
        low=1,
    ),
    Option(
        "resolution",
        None,
        "resize images to this square size before sending, as the served "
        "detector does (its metadata.json's resolution); default: send "
        "them as they are",
        kind="int",
        low=1,
    ),
)


def read_image(path, max_pixels=MAX_PIXELS):
    """A file as a uint8 `[H, W, 3]` RGB array; a ValueError says why a
    file is not one (`nda_tf.serving.images.read_image`)."""
    from nda_tf.serving import images

    return images.read_image(path, max_pixels)


def resized(image, resolution):
    """`image` (uint8) as the detector sees it at `resolution`: float in
    [0, 1], resized as the detector resizes (bilinear, antialiased); an
    image of that size already is returned as it is."""
    import numpy as np
    import tensorflow as tf

    if image.shape[:2] == (resolution, resolution):
        return image
    scaled = tf.constant(image[None], tf.float32) / 255.0
    # The resize is linear, so resizing before the detector scales to
    # [-1, 1] gives its scores (to float rounding).
    small = tf.image.resize(
        scaled, [resolution, resolution], method="bilinear", antialias=True
    )
    return np.clip(small.numpy()[0], 0.0, 1.0)


def score_files(client, paths, max_pixels=MAX_PIXELS, resolution=None):
    """Returns, in input order, `(path, score, probability, is_outlier)`
    for each scored file and `(path, message)` for each that failed.
    Images above `max_pixels` fail; `resolution`: resize before sending.

    Raises:
        nda_tf.serving.ServerUnreachable: no answer from the server.
    """
    import numpy as np

    from nda_tf.serving import ServerUnreachable, ServingError

    results = [None] * len(paths)
    groups = {}
    images = {}
    for index, path in enumerate(paths):
        try:
            image = read_image(path, max_pixels)
        except ValueError as error:
            results[index] = (path, str(error))
            continue
        except OSError as error:  # e.g. no permission to read it
            results[index] = (path, error.strerror or str(error))
            continue
        if resolution is not None:
            image = resized(image, resolution)
        images[index] = image
        groups.setdefault((image.shape, image.dtype), []).append(index)
    for indices in groups.values():
        try:
            out = client.score(np.stack([images[i] for i in indices]))
        except ServerUnreachable:
            raise
        except (ServingError, ValueError) as error:
            for index in indices:
                results[index] = (paths[index], f"server: {error}")
            continue
        for row, index in enumerate(indices):
            results[index] = (
                paths[index],
                float(out["score"][row]),
                float(out["in_distribution_probability"][row]),
                bool(out["is_outlier"][row]),
            )
    return results


def format_line(path, *result):
    """`path<TAB>score=..<TAB>p_in=..<TAB>in|OUTLIER`, or `path<TAB>error:
    why` for a file that failed."""
    if len(result) == 1:
        return f"{path}\terror: {cli.error_line(ValueError(result[0]))}"
    score, probability, is_outlier = result
    verdict = "OUTLIER" if is_outlier else "in"
    return f"{path}\tscore={score:.4f}\tp_in={probability:.3f}\t{verdict}"


def check(fv):
    """gRPC needs TF Serving's client packages; REST needs none. Images
    are resized to `--resolution` squared pixels, so that is bounded by
    `--max_pixels` too (a float32 copy of each image is made at that
    size)."""
    if fv.grpc:
        extras.require(("serving",), "--grpc")
    if fv.resolution is not None and fv.resolution**2 > fv.max_pixels:
        raise ValueError(
            f"--resolution={fv.resolution} makes images of "
            f"{fv.resolution**2} pixels, more than --max_pixels="
            f"{fv.max_pixels}"
        )


def main(fv, paths):
    """Scores the image files `paths` with the server the parsed flags
    `fv` name; prints a line per file; exits 1 if any failed."""
    from nda_tf.serving import client as clients

    if not paths:
        raise ValueError("give one or more image files")
    if (fv.url is None) == (fv.grpc is None):
        raise ValueError("give exactly one of --url and --grpc")
    if fv.grpc:
        client = clients.GrpcClient(
            fv.grpc, fv.model_name, fv.version, fv.timeout
        )
    else:
        client = clients.RestClient(
            fv.url, fv.model_name, fv.version, fv.timeout
        )
    results = score_files(client, paths, fv.max_pixels, fv.resolution)
    for result in results:
        print(format_line(*result))
    failed = sum(len(result) == 2 for result in results)
    if failed:
        sys.exit(
            f"nda_tf.experiments.score: {failed} of {len(paths)} files "
            "could not be scored"
        )


if __name__ == "__main__":
    cli.run_command(
        OPTIONS, main, "nda_tf.experiments.score", positional=True, check=check
    )
