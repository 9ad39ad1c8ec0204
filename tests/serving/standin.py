"""A stand-in for TF Serving's REST predict API, serving a real SavedModel.

It accepts only requests that follow the documented schema (POST
`/v1/models/NAME[/versions/V|/labels/L]:predict`, a JSON object with an
optional string `signature_name` and exactly one of `instances` (row
format) or `inputs` (columnar format), rectangular tensors whose values
fit the input's dtype), records each one, runs the signature and answers
like TF Serving: `{"predictions": ...}` for row format, `{"outputs": ...}`
for columnar, `{"error": msg}` with HTTP 400 / 404 otherwise.
Listens on 127.0.0.1 only, with a per-request socket timeout.
"""

import http.server
import json
import re
import threading

import numpy as np
import tensorflow as tf

_PATH = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)"
    r"(/versions/(?P<version>\d+)|/labels/[^/:]+)?:predict$"
)


class SchemaError(ValueError):
    pass


class StandIn:
    """Serves `{name: {version: model_dir}}` on 127.0.0.1:<free port>."""

    def __init__(self, models):
        self.models = {
            name: {v: tf.saved_model.load(d) for v, d in versions.items()}
            for name, versions in models.items()
        }
        self.requests = []  # (path, parsed body) of every request received
        handler = self._handler()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, daemon=True
        )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def _handler(self):
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 30

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                status, reply = standin.handle(self.path, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def handle(self, path, body):
        match = _PATH.match(path)
        if not match:
            return 404, {"error": f"Malformed request: POST {path}"}
        versions = self.models.get(match["name"])
        if versions is None:
            return 404, {"error": f"Servable not found: {match['name']}"}
        version = int(match["version"] or max(versions))
        if version not in versions:
            return 404, {"error": f"Servable version {version} not found"}
        try:
            request = json.loads(body)
            self.requests.append((path, request))
            signature, inputs, columnar = _parse(request, versions[version])
            outputs = signature(**inputs)
        except (SchemaError, json.JSONDecodeError) as error:
            return 400, {"error": str(error)}
        except tf.errors.InvalidArgumentError as error:
            return 400, {"error": error.message}
        outputs = {k: v.numpy().tolist() for k, v in outputs.items()}
        if columnar:
            return 200, {"outputs": outputs}
        count = len(next(iter(outputs.values())))
        rows = [{k: v[i] for k, v in outputs.items()} for i in range(count)]
        return 200, {"predictions": rows}


def _parse(request, model):
    if not isinstance(request, dict):
        raise SchemaError("request body must be a JSON object")
    unknown = set(request) - {"signature_name", "instances", "inputs"}
    if unknown:
        raise SchemaError(f"unknown request keys {sorted(unknown)}")
    if ("instances" in request) == ("inputs" in request):
        raise SchemaError("give exactly one of 'instances' and 'inputs'")
    name = request.get("signature_name", "serving_default")
    if not isinstance(name, str) or name not in model.signatures:
        raise SchemaError(f"Serving signature name: {name!r} not found")
    signature = model.signatures[name]
    specs = signature.structured_input_signature[1]
    if "inputs" in request:
        values = request["inputs"]
        if not isinstance(values, dict):
            if len(specs) != 1:
                raise SchemaError("a bare 'inputs' value needs one input")
            values = {next(iter(specs)): values}
        columnar = True
    else:
        values = _rows_to_columns(request["instances"], specs)
        columnar = False
    if set(values) != set(specs):
        raise SchemaError(
            f"inputs {sorted(values)} do not match signature inputs "
            f"{sorted(specs)}"
        )
    return (
        signature,
        {k: _tensor(k, v, specs[k].dtype) for k, v in values.items()},
        columnar,
    )


def _rows_to_columns(instances, specs):
    if not isinstance(instances, list) or not instances:
        raise SchemaError("'instances' must be a non-empty list")
    if len(specs) == 1 and not isinstance(instances[0], dict):
        return {next(iter(specs)): instances}
    if not all(isinstance(row, dict) for row in instances):
        raise SchemaError("named inputs need a list of objects")
    return {k: [row[k] for row in instances] for k in instances[0]}


def _tensor(name, value, dtype):
    try:
        array = np.array(value)
    except ValueError:  # ragged nested lists
        array = np.array(None)
    if array.dtype == object:
        raise SchemaError(f"input {name!r} is not a rectangular tensor")
    if dtype.is_integer or dtype == tf.bool:
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise SchemaError(f"input {name!r} needs integers for {dtype.name}")
        if (
            dtype.is_integer
            and array.size
            and (array.min() < dtype.min or array.max() > dtype.max)
        ):
            raise SchemaError(f"input {name!r} out of range for {dtype.name}")
    elif array.size and not np.issubdtype(array.dtype, np.number):
        raise SchemaError(f"input {name!r} needs numbers for {dtype.name}")
    return tf.constant(array.astype(dtype.as_numpy_dtype))


class GrpcStandIn:
    """PredictionService.Predict over gRPC on 127.0.0.1, one model."""

    def __init__(self, name, model_dir):
        import concurrent.futures

        import grpc
        from tensorflow_serving.apis import (
            predict_pb2,
            prediction_service_pb2_grpc,
        )

        model = tf.saved_model.load(model_dir)
        self.requests = []

        class Servicer(prediction_service_pb2_grpc.PredictionServiceServicer):
            def Predict(inner, request, context):
                self.requests.append(request)
                if request.model_spec.name != name:
                    context.abort(
                        grpc.StatusCode.NOT_FOUND, "Servable not found"
                    )
                signature = model.signatures[
                    request.model_spec.signature_name or "serving_default"
                ]
                inputs = {
                    k: tf.constant(tf.make_ndarray(v))
                    for k, v in request.inputs.items()
                }
                try:
                    outputs = signature(**inputs)
                except tf.errors.InvalidArgumentError as error:
                    context.abort(
                        grpc.StatusCode.INVALID_ARGUMENT, error.message
                    )
                reply = predict_pb2.PredictResponse()
                for key, value in outputs.items():
                    reply.outputs[key].CopyFrom(
                        tf.make_tensor_proto(value.numpy())
                    )
                return reply

        self.server = grpc.server(
            concurrent.futures.ThreadPoolExecutor(max_workers=2)
        )
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            Servicer(), self.server
        )
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{port}"

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc):
        self.server.stop(grace=None).wait(10)
