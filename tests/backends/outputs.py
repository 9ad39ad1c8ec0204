"""Every transform's outputs under the Keras backend of this process.

    KERAS_BACKEND=jax python -m tests.backends.outputs OUT.npz

For each transform of the contract tests (tests/transforms/
test_consistency.py: every registered name but `clevr`, which reads
tfds, plus the unregistered ones), with its seed: three batches of a
`tf.data` map, a call on the backend's own array (and that array's
type), and `transform_with_seed(images, 7)`. tests/backends/
test_backends.py compares them with the same under TensorFlow.
"""

import sys

import keras
import numpy as np
import tensorflow as tf

import nda_tf.transforms as T
from tests.transforms.test_consistency import SPECS, _images

TF_DATA_BATCHES = 3


def outputs():
    """`{key: array}` of every output, and `{name: type of the eager
    output}` (the module and class of what the call returned)."""
    images = _images()
    results, kinds = {}, {}
    for name, make in sorted(SPECS.items()):
        # Keras pitfall: made outside the map function, then mapped.
        layer = make()
        batches = tf.data.Dataset.from_tensors(images).repeat(TF_DATA_BATCHES)
        for index, batch in enumerate(batches.map(layer)):
            results[f"{name}/tf.data/{index}"] = batch.numpy()
        eager = make()(keras.ops.convert_to_tensor(images))
        kinds[name] = f"{type(eager).__module__}.{type(eager).__name__}"
        results[f"{name}/eager"] = keras.ops.convert_to_numpy(eager)
        seeded = make().transform_with_seed(images, 7)
        results[f"{name}/seed"] = seeded.numpy()
    return results, kinds


def traced_call_error():
    """What a transform says when called inside `jax.jit` (traced values
    have no host copy); "" on other backends."""
    if keras.config.backend() != "jax":
        return ""
    import jax

    layer = T.Jigsaw(seed=0, name="traced_jigsaw")
    try:
        jax.jit(layer)(keras.ops.convert_to_tensor(_images()))
    except ValueError as error:
        return str(error)
    return "no error"


def main(path):
    results, kinds = outputs()
    kinds = {f"kind/{name}": np.array(kind) for name, kind in kinds.items()}
    backend = {"backend": np.array(keras.config.backend())}
    error = {"traced_call_error": np.array(traced_call_error())}
    np.savez(path, **results, **kinds, **backend, **error)


if __name__ == "__main__":
    main(sys.argv[1])
