"""The TF Serving assets in export/ parse and agree with the exporters."""

import inspect
import pathlib
import re

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from nda_tf import export

ASSETS = pathlib.Path(__file__).parents[2] / "export"
# BatchingParameters fields (tensorflow_serving/servables/tensorflow/
# session_bundle_config.proto); the pip package does not ship that proto.
BATCHING_FIELDS = {
    "max_batch_size",
    "batch_timeout_micros",
    "max_enqueued_batches",
    "num_batch_threads",
    "thread_pool_name",
    "allowed_batch_sizes",
    "pad_variable_length_inputs",
    "enable_large_batch_splitting",
}


def _default(function, name):
    return inspect.signature(function).parameters[name].default


def test_models_config_serves_both_default_models():
    config = text_format.Parse(
        (ASSETS / "models.config").read_text(),
        model_server_config_pb2.ModelServerConfig(),
    )
    models = {c.name: c for c in config.model_config_list.config}
    names = {
        _default(export.export_ood_detector, "model_name"),
        _default(export.export_generator, "model_name"),
    }
    assert set(models) == names
    for name, model in models.items():
        assert model.base_path == f"/models/{name}"
        assert model.model_platform == "tensorflow"


def test_batching_config_is_valid():
    fields = {}
    for line in (ASSETS / "batching.config").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"(\w+)(?: \{ value: (\w+) \}|: (\w+))", line)
        assert match, line
        fields.setdefault(match[1], []).append(match[2] or match[3])
    assert set(fields) <= BATCHING_FIELDS
    sizes = [int(s) for s in fields["allowed_batch_sizes"]]
    # TF Serving requires increasing sizes ending at max_batch_size.
    assert sizes == sorted(sizes)
    assert sizes[-1] == int(fields["max_batch_size"][0])


def test_dockerfile_uses_the_configs_and_ports():
    text = (ASSETS / "Dockerfile").read_text()
    assert "FROM tensorflow/serving:" in text
    for needle in (
        "--model_config_file=/config/models.config",
        "--batching_parameters_file=/config/batching.config",
        "--enable_model_warmup=true",
        "--rest_api_port=8501",
        "--port=8500",
        "COPY models.config batching.config /config/",
    ):
        assert needle in text, needle
