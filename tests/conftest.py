"""Test set-up: quiet TensorFlow, and two logical CPUs for strategy tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_configure(config):
    # The pytest-xdist controller runs no tests: keeping TensorFlow out of it
    # keeps its start-up messages, which pytest cannot capture there, away.
    is_controller = getattr(config, "workerinput", None) is None and bool(
        config.getoption("numprocesses", default=None)
    )
    if is_controller:
        return
    import tensorflow as tf

    # Must happen before TensorFlow initializes its devices: MirroredStrategy
    # tests need two replicas on a machine without accelerators.
    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
    )
