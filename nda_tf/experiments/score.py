"""Scores image files with an OOD detector served by TensorFlow Serving.

    python -m nda_tf.experiments.score --url=http://localhost:8501 \
        --model_name=nda_ood cat.png dog.jpg

prints one line per file: its score (the discriminator logit, higher =
in-distribution), in-distribution probability and verdict (`in` or
`OUTLIER`). `--url` may also be a full predict URL, and `--grpc=HOST:8500`
uses gRPC instead of REST. Images of any size and of PNG, JPEG, BMP or GIF
format are sent as uint8 RGB, grouped into one request per image size.
"""

import sys

from absl import app, flags

FLAGS = flags.FLAGS


def define_flags(fv=FLAGS):
    """Defines the flags on demand, not at import (see main)."""
    define = {"flag_values": fv}
    flags.DEFINE_string(
        "url", None, "REST URL: http://HOST:PORT or a predict URL", **define
    )
    flags.DEFINE_string(
        "grpc", None, "gRPC target HOST:PORT (instead of --url)", **define
    )
    flags.DEFINE_string("model_name", None, "served model name", **define)
    flags.DEFINE_integer(
        "version", None, "model version (default: latest)", **define
    )
    flags.DEFINE_float("timeout", 30.0, "seconds per request", **define)


def read_image(path):
    """A file as a uint8 `[H, W, 3]` RGB array."""
    import tensorflow as tf

    data = tf.io.read_file(path)
    image = tf.io.decode_image(data, channels=3, expand_animations=False)
    return image.numpy()


def score_files(client, paths):
    """Yields `(path, score, probability, is_outlier)` in input order."""
    import numpy as np

    images = [read_image(p) for p in paths]
    groups = {}
    for index, image in enumerate(images):
        groups.setdefault(image.shape, []).append(index)
    results = [None] * len(paths)
    for indices in groups.values():
        out = client.score(np.stack([images[i] for i in indices]))
        for row, index in enumerate(indices):
            results[index] = (
                paths[index],
                float(out["score"][row]),
                float(out["in_distribution_probability"][row]),
                bool(out["is_outlier"][row]),
            )
    return results


def format_line(path, score, probability, is_outlier):
    verdict = "OUTLIER" if is_outlier else "in"
    return f"{path}\tscore={score:.4f}\tp_in={probability:.3f}\t{verdict}"


def main(argv):
    from nda_tf.serving import client as clients

    paths = argv[1:]
    if not paths:
        raise app.UsageError("give one or more image files")
    if (FLAGS.url is None) == (FLAGS.grpc is None):
        raise app.UsageError("give exactly one of --url and --grpc")
    try:
        if FLAGS.grpc:
            client = clients.GrpcClient(
                FLAGS.grpc, FLAGS.model_name, FLAGS.version, FLAGS.timeout
            )
        else:
            client = clients.RestClient(
                FLAGS.url, FLAGS.model_name, FLAGS.version, FLAGS.timeout
            )
    except ValueError as error:
        raise app.UsageError(str(error)) from None
    try:
        for result in score_files(client, paths):
            print(format_line(*result))
    except clients.ServingError as error:
        print(f"server error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Flags are defined only when run as a command, so that importing this
    # module next to others with the same flag names is harmless.
    define_flags()
    app.run(main)
