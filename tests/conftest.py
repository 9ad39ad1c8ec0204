"""Test set-up: quiet TensorFlow, and two logical CPUs for strategy tests."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Tests never reach the network: a test of a download passes download=True
# and serves the file itself on 127.0.0.1.
os.environ.setdefault("NDA_TF_NO_DOWNLOAD", "1")


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


@pytest.fixture(scope="session")
def mirrored():
    """The one two-replica MirroredStrategy of a test process.

    A new strategy object restarts the numbering of its collective
    operations (all-reduce, all-gather), so two strategies in one process
    could mix up each other's: every test shares this one.
    """
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
