"""TF Serving layout: versioned folders, warm-up requests, metadata asset.

TF Serving watches `DIR/<model_name>/` and loads every all-digit
sub-folder as a version, so a version is written under a hidden temporary
name and renamed into place only when complete: the server never sees a
half-written model.
"""

import json
import os
import re
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from nda_tf import checks, extras
from nda_tf.io.files import make_folders, set_modes

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
METADATA_FILE = "metadata.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def version_dir(out_dir, model_name, version):
    """Checks the name and version; returns `out_dir/model_name/version`,
    or `out_dir/version` for a model written without a name (a MoCo or DPC
    encoder: TF Serving's `--model_base_path` is then `out_dir`)."""
    named = model_name is not None
    if named and not (isinstance(model_name, str) and _NAME.match(model_name)):
        raise ValueError(
            "model_name must be letters, digits, '_', '.' or '-' (not "
            f"starting with a symbol), received {model_name!r}"
        )
    version = checks.check_int("version", version, 1, allow_none=not named)
    parts = [p for p in (model_name, version) if p is not None]
    return os.path.join(os.fspath(out_dir), *map(str, parts))


def metadata_asset(metadata):
    """Writes `metadata` as JSON to a temp folder; returns a SavedModel Asset.

    The returned asset, kept as an attribute of the exported module, is
    copied into the SavedModel's `assets/` folder as `metadata.json`.
    """
    folder = tempfile.mkdtemp(prefix="nda_export_")
    path = os.path.join(folder, METADATA_FILE)
    with open(path, "w") as f:
        json.dump(metadata, f, indent=2, sort_keys=True, default=_jsonable)
        f.write("\n")
    return tf.saved_model.Asset(path)


def read_metadata(model_dir):
    """The metadata dict of an exported version folder."""
    with open(os.path.join(model_dir, "assets", METADATA_FILE)) as f:
        return json.load(f)


def _protos():
    """TF Serving's request protos (the "serving" extra). Imported where
    a warm-up request is made or read: the recipes import this package
    for their export hook, and training needs no extra."""
    with extras.needs("serving", __name__):
        from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

    return predict_pb2, prediction_log_pb2


def predict_log(model_name, signature_name, inputs):
    """One PredictionLog holding a PredictRequest for `inputs` (name->array)."""
    predict_pb2, prediction_log_pb2 = _protos()
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature_name
    for key, value in inputs.items():
        request.inputs[key].CopyFrom(tf.make_tensor_proto(np.asarray(value)))
    return prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request)
    )


def read_warmup_requests(model_dir):
    """Parses a version folder's warm-up file back into PredictionLogs."""
    _, prediction_log_pb2 = _protos()
    path = os.path.join(model_dir, WARMUP_FILE)
    return [
        prediction_log_pb2.PredictionLog.FromString(record.numpy())
        for record in tf.data.TFRecordDataset(path)
    ]


def save_servable(
    module,
    about,
    run,
    warmup,
    out_dir,
    model_name,
    version,
    overwrite,
    private=False,
):
    """Saves `module` as `out_dir/model_name/version`, atomically.

    Args:
        module: the `tf.Module` to save; `module.signatures()` gives its
            signatures (name -> concrete function).
        about: JSON-able dict describing the model (its kind, signatures,
            ...), saved as the `metadata.json` asset with `run` (a dict
            of the run it comes from, or None) under "run".
        warmup: list of PredictionLog protos for `assets.extra`.
        out_dir: the folder of served models (see `version_dir`).
        model_name: the model's folder in it.
        version: the version's folder in that.
        overwrite: replace an existing version folder instead of failing.
        private: readable by the owner only (0700 folders, 0600 files);
            default: by every user the umask allows (0755, 0644 at
            most), as a server running as another user needs.

    Returns:
        The version folder path.
    """
    final = version_dir(out_dir, model_name, version)
    if os.path.exists(final) and not overwrite:
        raise ValueError(
            f"{final} already exists; pass overwrite=True or a new version"
        )
    parent = os.path.dirname(final) or "."
    make_folders(parent, private)
    # Hidden, non-numeric name: TF Serving ignores it while it is written.
    staging = tempfile.mkdtemp(prefix=f".staging-{version}-", dir=parent)
    module.metadata_file = metadata_asset({**about, "run": run or {}})
    try:
        tf.saved_model.save(module, staging, signatures=module.signatures())
        os.makedirs(os.path.join(staging, "assets.extra"))
        with tf.io.TFRecordWriter(os.path.join(staging, WARMUP_FILE)) as w:
            for log in warmup:
                w.write(log.SerializeToString())
        # mkdtemp made the folder 0700: set the modes before it appears.
        set_modes(staging, private)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.rename(staging, final)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging)
    return final


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
