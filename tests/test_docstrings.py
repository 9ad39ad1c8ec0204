"""The `>>>` examples in the library's docstrings run and say what they show.

Every module of `nda_tf` whose source holds an example is imported and its
doctests are run, one test per module, with `np`, `tf` and `keras` already
imported. None is left out: the commands define their flags when they run,
not when imported.
"""

import doctest
import importlib
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

import nda_tf

PACKAGE = pathlib.Path(nda_tf.__file__).parent
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules_with_examples():
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).as_posix()
        if ">>>" in path.read_text():
            parts = relative[: -len(".py")].split("/")
            names.append(
                ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            )
    return names


MODULES = _modules_with_examples()


def _doctests(name):
    module = importlib.import_module(name)
    extraglobs = {"np": np, "tf": tf, "keras": keras}
    finder = doctest.DocTestFinder(exclude_empty=True)
    return finder.find(module, name, extraglobs=extraglobs)


def test_the_walk_finds_the_documented_packages():
    # A broken walk would make every test below vacuous.
    assert len(MODULES) >= 30
    for name in ("nda_tf.transforms.jigsaw", "nda_tf.models", "nda_tf.data"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_examples_run_and_show_results(name):
    tests = _doctests(name)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report = []
    failed = sum(runner.run(t, out=report.append).failed for t in tests)
    assert failed == 0, "".join(report)
    # An example that only runs asserts that it does not raise: every
    # module shows at least one result that is checked.
    shown = [
        e
        for t in tests
        for e in t.examples
        if e.want and not e.options.get(doctest.SKIP)
    ]
    assert shown, f"{name} has no example with a checked output"
