"""The README's JAX training script runs as printed: a Keras model
trained under the JAX backend on negatives made in a tf.data pipeline."""

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _script():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    (script,) = [b for b in blocks if '"KERAS_BACKEND"] = "jax"' in b]
    return script


def test_the_readme_jax_script_trains_on_nda_negatives(tmp_path):
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("KERAS_BACKEND", None)  # the script sets it
    done = subprocess.run(
        [sys.executable, "-c", _script()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    backend, accuracies = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert backend == "jax"
    accuracies = [float(a) for a in accuracies.strip("[]").split(",")]
    assert len(accuracies) == 2
    assert all(0.0 <= a <= 1.0 for a in accuracies)
