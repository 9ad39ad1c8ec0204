"""Test set-up: quiet TensorFlow, and two logical CPUs for strategy tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

# Must happen before TensorFlow initializes its devices: MirroredStrategy
# tests need two replicas on a machine without accelerators.
_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0],
    [tf.config.LogicalDeviceConfiguration()] * 2,
)
