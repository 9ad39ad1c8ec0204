"""Clients for OOD detectors served by TensorFlow Serving (REST and gRPC).

`python -m nda_tf.experiments.score --url=http://localhost:8501
--model_name=nda_ood IMAGE_FILES...` prints a score and verdict per file.
"""

from nda_tf.serving.client import (
    GrpcClient,
    RestClient,
    ServerUnreachable,
    ServingError,
    predict_url,
)

__all__ = [
    "GrpcClient",
    "RestClient",
    "ServerUnreachable",
    "ServingError",
    "predict_url",
]
