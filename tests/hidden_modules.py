"""Runs a module as a user would, with some installed packages hidden.

    python -m tests.hidden_modules sklearn,cv2 nda_tf.experiments.ood \
        --logdir=runs/x

stands for an install without those packages: importing any of them (or
a submodule) raises `ModuleNotFoundError`, as if it were absent, and
`importlib.util.find_spec` refuses it too. At exit the process prints
`TENSORFLOW_IMPORTED=True|False` on stdout, so that a test can tell
whether a command stopped before any work.
"""

import atexit
import runpy
import sys


class HiddenModules:
    """A `sys.meta_path` finder that refuses the given top-level names."""

    def __init__(self, names):
        self.names = frozenset(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.names:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (hidden)", name=fullname
            )
        return None


def hide(names):
    """Hides `names` from now on in this process (none may be imported
    yet)."""
    loaded = [n for n in names if n in sys.modules]
    if loaded:
        raise RuntimeError(f"already imported, cannot hide: {loaded}")
    sys.meta_path.insert(0, HiddenModules(names))


def _report():
    print(f"TENSORFLOW_IMPORTED={'tensorflow' in sys.modules}", flush=True)


def main():
    names, module, *arguments = sys.argv[1:]
    hide([n for n in names.split(",") if n])
    atexit.register(_report)
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
