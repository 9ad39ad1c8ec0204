"""Modules that moved keep their old names (`nda_tf.lazy.moved`): the
old name imports as the new module, and runs as the new program."""

import importlib

import pytest

# old name -> new module
MOVED = {
    "nda_tf.eval.pth": "nda_tf.io.pth",
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_name_is_the_new_module(old):
    new = importlib.import_module(MOVED[old])
    assert importlib.import_module(old) is new
    package, _, name = old.rpartition(".")
    assert getattr(__import__(package, fromlist=[name]), name) is new
