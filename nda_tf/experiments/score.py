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

from nda_tf.experiments import cli
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
    Option("timeout", 30.0, "seconds per request"),
)


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


def main(fv, paths):
    """Scores the image files `paths` with the server the parsed flags
    `fv` name; prints a line per file."""
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
    try:
        for result in score_files(client, paths):
            print(format_line(*result))
    except clients.ServingError as error:
        sys.exit(f"server error: {error}")


if __name__ == "__main__":
    cli.run_command(OPTIONS, main, "nda_tf.experiments.score", positional=True)
