"""Shared checks for every transform."""

import numpy as np
import tensorflow as tf


def run_everywhere(make_layer, images):
    """Runs a freshly built, seeded layer eagerly, in `tf.function`, with
    XLA and in a batched `tf.data` map; returns the four outputs."""
    images = tf.convert_to_tensor(images)
    outputs = {"eager": make_layer()(images).numpy()}
    layer = make_layer()
    outputs["function"] = tf.function(layer)(images).numpy()
    layer = make_layer()
    outputs["xla"] = tf.function(layer, jit_compile=True)(images).numpy()
    layer = make_layer()
    dataset = (
        tf.data.Dataset.from_tensor_slices(images)
        .batch(images.shape[0])
        .map(layer)
    )
    outputs["tf.data"] = next(iter(dataset)).numpy()
    return outputs


def assert_consistent(make_layer, images, atol=1e-5):
    """Same output everywhere for the same seed, and the config round-trips.

    `make_layer` must build a seeded layer; its outputs eagerly, in
    `tf.function`, under XLA and in `tf.data` must agree (exactly for
    integer images; to `atol` for floats, where XLA may reorder sums).
    """
    outputs = run_everywhere(make_layer, images)
    reference = outputs["eager"]
    assert reference.shape == tuple(images.shape)
    assert reference.dtype == np.asarray(images).dtype
    for mode, output in outputs.items():
        if np.issubdtype(reference.dtype, np.integer):
            np.testing.assert_array_equal(output, reference, err_msg=mode)
        else:
            np.testing.assert_allclose(
                output, reference, rtol=0, atol=atol, err_msg=mode
            )
    layer = make_layer()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    np.testing.assert_allclose(
        clone(images).numpy(), reference, rtol=0, atol=atol
    )
    return reference
