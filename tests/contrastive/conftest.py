import pytest
import tensorflow as tf


@pytest.fixture(scope="session")
def mirrored():
    """One two-replica strategy for every test here: a new strategy object
    restarts the numbering of its collective (all-gather) operations, and
    two strategies in one process would then mix up each other's."""
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
