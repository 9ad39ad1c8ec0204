"""Packages whose names load on first use (PEP 562).

A package that re-exports TensorFlow code would load TensorFlow as soon as
any of its modules is imported (Python runs the package's `__init__`
first), even a module that needs none, such as the option tables that
`--help` reads. With `lazy_names`, `__init__` imports nothing: a name is
imported from its module when it is first looked up, and `from package
import Name` works as before.

    >>> import types
    >>> package = types.ModuleType("nda_tf.example")
    >>> getattr_, dir_ = lazy_names(
    ...     package.__name__, vars(package), {"check_int": "nda_tf.checks"}
    ... )
    >>> getattr_("check_int")("steps", 3, 1)
    3
    >>> dir_()
    ['check_int']

A module that moved keeps its old name with `moved`: importing the old
name gives the new module, and running it (`python -m OLD`) runs the new.
"""

import importlib
import runpy
import sys


def lazy_names(package, namespace, names=None, submodules=()):
    """`(__getattr__, __dir__)` for the package `package` (its `__name__`)
    whose globals are `namespace`.

    Args:
        package: the package's dotted name.
        namespace: its `globals()`; a name looked up once is stored there,
            so later lookups are plain attribute reads.
        names: dict exported name -> the module (dotted, or relative to
            the package with a leading ".") that defines it.
        submodules: the package's modules that are also reachable as
            attributes (`package.losses`), imported when first used.
    """
    names = dict(names or {})
    submodules = tuple(submodules)

    def __getattr__(name):
        if name in names:
            module = names[name]
            if module.startswith("."):
                module = package + module
            value = getattr(importlib.import_module(module), name)
        elif name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(
                f"module {package!r} has no attribute {name!r}"
            )
        namespace[name] = value
        return value

    def __dir__():
        visible = {n for n in namespace if not n.startswith("__")}
        return sorted(visible | set(names) | set(submodules))

    return __getattr__, __dir__


def moved(name, target):
    """Makes the module `name` (the old place, its `__name__`) the module
    `target`; run as a program, `name` runs `target` as one."""
    if name == "__main__":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.modules[name] = importlib.import_module(target)
