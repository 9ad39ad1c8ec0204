"""Clients for TF Serving's predict API: REST (JSON) and gRPC.

REST follows TF Serving's documented predict API: `POST
/v1/models/NAME[/versions/V]:predict` with a JSON object holding an optional
`signature_name` and the inputs in the columnar `inputs` form; the reply
holds `outputs`, or `error` with a message.
"""

import json
import re
import urllib.error
import urllib.request

import numpy as np

from nda_tf import checks, extras

OUTPUTS = {
    "score": np.float32,
    "is_outlier": bool,
    "in_distribution_probability": np.float32,
}
_PREDICT_URL = re.compile(
    r"^https?://[^/]+/v1/models/[^/:]+(/versions/\d+|/labels/[^/:]+)?:predict$"
)


class ServingError(RuntimeError):
    """The model server answered with an error (its message included)."""


class ServerUnreachable(ServingError):
    """No answer from the model server: it is down, the address is wrong
    or the request timed out."""


def predict_url(url, model_name=None, version=None):
    """The predict URL from a full one, or from a base URL and a model."""
    if _PREDICT_URL.match(url):
        if model_name is not None or version is not None:
            raise ValueError(
                f"url {url!r} already names the model; do not also pass "
                "model_name or version"
            )
        return url
    if not re.match(r"^https?://[^/]+/?$", url):
        raise ValueError(
            "url must be http(s)://HOST:PORT or a full predict URL "
            f"http(s)://HOST:PORT/v1/models/NAME[/versions/V]:predict; "
            f"received {url!r}"
        )
    if not model_name:
        raise ValueError(f"url {url!r} needs a model_name")
    path = f"/v1/models/{model_name}"
    if version is not None:
        path += f"/versions/{int(version)}"
    return url.rstrip("/") + path + ":predict"


def as_image_batch(images):
    """uint8 `[N, H, W, 3]` (or one `[H, W, 3]` image), or float in [0, 1].

    Returns `(array, signature_name)`: uint8 images go to `serving_default`
    and float ones to `serving_float`.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4 or images.shape[-1] != 3 or images.shape[0] == 0:
        raise ValueError(
            "images must be [N, H, W, 3] (or [H, W, 3]) with N >= 1; "
            f"received shape {images.shape}"
        )
    if images.dtype == np.uint8:
        return images, "serving_default"
    if np.issubdtype(images.dtype, np.floating):
        if (
            not np.isfinite(images).all()
            or images.min() < 0
            or images.max() > 1
        ):
            raise ValueError("float images must be finite and in [0, 1]")
        return images.astype(np.float32), "serving_float"
    raise ValueError(
        f"images must be uint8 or float in [0, 1]; received {images.dtype}"
    )


class _Client:
    def score(self, images):
        """Dict of `score`, `is_outlier`, `in_distribution_probability`."""
        images, signature = as_image_batch(images)
        outputs = self.predict({"images": images}, signature)
        missing = [k for k in OUTPUTS if k not in outputs]
        if missing:
            raise ServingError(
                f"the model's reply lacks {missing}; is it an OOD detector "
                f"exported by nda_tf? It returned {sorted(outputs)}"
            )
        return {k: outputs[k].astype(kind) for k, kind in OUTPUTS.items()}


class RestClient(_Client):
    """Scores images with an exported OOD detector over TF Serving REST.

    Args:
        url: `http://HOST:PORT` (then give `model_name`) or a full predict
            URL `http://HOST:PORT/v1/models/NAME[/versions/V]:predict`.
        model_name: the served model's name.
        version: optional int version; default the latest.
        timeout: float seconds per request.

    Example:

    >>> client = RestClient("http://localhost:8501", "nda_ood")
    >>> client.url
    'http://localhost:8501/v1/models/nda_ood:predict'

    Scoring needs a running model server:

    >>> client.score(images)["is_outlier"]  # doctest: +SKIP
    array([False,  True])
    """

    def __init__(self, url, model_name=None, version=None, timeout=30.0):
        checks.check_number("timeout", timeout, 0.0, low_open=True)
        self.url = predict_url(url, model_name, version)
        self.timeout = float(timeout)

    def predict(self, inputs, signature_name="serving_default"):
        """Runs a signature on a dict of named arrays; returns named arrays."""
        named = ", ".join(
            f"{json.dumps(k)}: {json_array(v)}" for k, v in inputs.items()
        )
        body = (
            f'{{"signature_name": {json.dumps(signature_name)}, '
            f'"inputs": {{{named}}}}}'
        )
        request = urllib.request.Request(
            self.url,
            data=body.encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as r:
                reply = json.loads(r.read())
        except urllib.error.HTTPError as error:
            raise ServingError(_error_message(error)) from None
        except (urllib.error.URLError, OSError) as error:
            # Refused, unknown host, timed out: the server is not there.
            reason = getattr(error, "reason", None) or error
            raise ServerUnreachable(
                f"no answer from {self.url}: {reason}"
            ) from None
        if "error" in reply:
            raise ServingError(reply["error"])
        outputs = reply["outputs"]
        if not isinstance(outputs, dict):
            # A signature with one output answers with its value alone.
            outputs = {"output": outputs}
        return {k: np.asarray(v) for k, v in outputs.items()}


class GrpcClient(_Client):
    """The same over gRPC (needs `tensorflow-serving-api` and `grpcio`).

    Args:
        target: `HOST:PORT` of the model server's gRPC port (8500).
        model_name: the served model's name.
        version: optional int version.
        timeout: float seconds per request.
    """

    def __init__(self, target, model_name, version=None, timeout=30.0):
        with extras.needs("serving", __name__):
            import grpc
            from tensorflow_serving.apis import prediction_service_pb2_grpc

        if not model_name:
            raise ValueError("GrpcClient needs a model_name")
        self.target = target
        self.model_name = model_name
        self.version = version
        self.timeout = float(timeout)
        self._channel = grpc.insecure_channel(target)
        self._stub = prediction_service_pb2_grpc.PredictionServiceStub(
            self._channel
        )

    def predict(self, inputs, signature_name="serving_default"):
        import tensorflow as tf

        with extras.needs("serving", __name__):
            import grpc
            from tensorflow_serving.apis import predict_pb2

        request = predict_pb2.PredictRequest()
        request.model_spec.name = self.model_name
        request.model_spec.signature_name = signature_name
        if self.version is not None:
            request.model_spec.version.value = int(self.version)
        for key, value in inputs.items():
            request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
        try:
            reply = self._stub.Predict(request, timeout=self.timeout)
        except grpc.RpcError as error:
            unreachable = (
                grpc.StatusCode.UNAVAILABLE,
                grpc.StatusCode.DEADLINE_EXCEEDED,
            )
            if error.code() in unreachable:
                raise ServerUnreachable(
                    f"no answer from {self.target}: {error.details()}"
                ) from None
            raise ServingError(error.details()) from None
        return {k: tf.make_ndarray(v) for k, v in reply.outputs.items()}

    def close(self):
        self._channel.close()


def json_array(value):
    """The JSON text of an array, as nested lists. An integer array (uint8
    images) is written a matrix at a time from one format string: a few
    bytes a value, where `json.dumps(array.tolist())` holds a Python list
    of about 70 bytes a value (2 GB for one 3000 x 3000 image)."""
    array = np.asarray(value)
    if array.dtype.kind not in "iu" or array.ndim < 2:
        return json.dumps(array.tolist())
    cell = "[" + ",".join(["%d"] * array.shape[-1]) + "]"
    matrix = "[" + ",".join([cell] * array.shape[-2]) + "]"
    return _nested(array, matrix)


def _nested(array, matrix):
    if array.ndim == 2:
        return matrix % tuple(array.ravel().tolist())
    return "[" + ",".join(_nested(part, matrix) for part in array) + "]"


def _error_message(error):
    text = error.read().decode("utf-8", "replace")
    try:
        return json.loads(text)["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {error.code}: {text[:500]}"
