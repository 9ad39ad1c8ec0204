"""The transforms under Keras' JAX and PyTorch backends (issue 26).

Keras' own preprocessing layers work in a `tf.data` pipeline whatever
the backend; ours do too, and give the same output for the same seed as
under TensorFlow: each backend runs tests/backends/outputs.py in a
process of its own (KERAS_BACKEND is read once, at `import keras`), and
its outputs must equal this (TensorFlow) process's, bit for bit, in a
`tf.data` map, eagerly on the backend's own arrays (which come back as
that backend's arrays), and from an explicit seed.

JAX is part of the `test` extra. PyTorch is not (its default wheels are
several GB of CUDA): its case runs where torch is installed, as `.ci/run`
does, which sets NDA_TF_REQUIRE_TORCH=1 so that a missing torch fails
there instead of skipping.
"""

import importlib.util
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from tests.backends import outputs

ROOT = pathlib.Path(__file__).parents[2]
# What a call on the backend's own array gives back.
ARRAY_TYPES = {"jax": "jaxlib._jax.ArrayImpl", "torch": "torch.Tensor"}


@pytest.fixture(scope="module")
def tensorflow_outputs():
    results, kinds = outputs.outputs()
    return results, kinds


def _backend_outputs(backend, tmp_path):
    path = tmp_path / f"{backend}.npz"
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.backends.outputs", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(path) as saved:
        return {key: saved[key] for key in saved.files}


def _require(backend):
    if importlib.util.find_spec(backend) is not None:
        return
    if backend == "jax" or os.environ.get("NDA_TF_REQUIRE_TORCH") == "1":
        pytest.fail(f"{backend} is not installed")
    pytest.skip("torch is not installed: pip install torch")


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_same_negatives_for_the_same_seed_as_tensorflow(
    backend, tensorflow_outputs, tmp_path
):
    _require(backend)
    expected, tf_kinds = tensorflow_outputs
    saved = _backend_outputs(backend, tmp_path)
    assert str(saved.pop("backend")) == backend
    error = str(saved.pop("traced_call_error"))
    if backend == "jax":  # inside jax.jit: one line saying what to do
        assert error.startswith(
            "traced_jigsaw computes with TensorFlow: under the jax backend "
            "call it in a tf.data pipeline or on concrete arrays, not "
            "inside a compiled function"
        ), error
    kinds = {k.split("/", 1)[1]: str(saved.pop(k)) for k in list(saved)
             if k.startswith("kind/")}  # fmt: skip
    assert sorted(saved) == sorted(expected)
    for key, value in expected.items():
        np.testing.assert_array_equal(saved[key], value, err_msg=key)
    # Eager calls took and gave the backend's own arrays.
    assert set(kinds) == set(tf_kinds) == set(outputs.SPECS)
    assert set(kinds.values()) == {ARRAY_TYPES[backend]}


def test_the_outputs_compared_are_negatives(tensorflow_outputs):
    """The comparison above is not of unchanged images: made negatives
    differ from their images, and a tf.data map draws a new
    transformation for each batch."""
    results, _ = tensorflow_outputs
    images = outputs._images()
    for name in outputs.SPECS:
        batches = [
            results[f"{name}/tf.data/{i}"]
            for i in range(outputs.TF_DATA_BATCHES)
        ]
        assert not np.array_equal(batches[0], batches[1]), name
        if name not in ("dots", "other_classes", "other_samples"):
            assert not np.array_equal(results[f"{name}/eager"], images), name
