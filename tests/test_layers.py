"""Import rules between the layers of `nda_tf`, read from the source.

The layers import downward only (docs: data, random -> transforms ->
models -> algorithms -> training -> experiments / export), and only the
command-line layer defines absl flags. The rules are checked on the
syntax tree, so an import hidden inside a function counts as much as one
at the top of a module, and no module has to be imported to be checked.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Packages below the algorithms, and what they must never import.
LOWER = (
    "nda_tf.data",
    "nda_tf.eval",
    "nda_tf.extras",
    "nda_tf.keras_config",
    "nda_tf.models",
    "nda_tf.random",
    "nda_tf.transforms",
)
UPPER = (
    "nda_tf.contrastive",
    "nda_tf.experiments",
    "nda_tf.gan",
    "nda_tf.training",
    "nda_tf.translation",
    "nda_tf.video",
)
COMMANDS = "nda_tf.experiments"
FLAGS = "absl.flags"


def _under(name, package):
    return name == package or name.startswith(package + ".")


def _absolute(node, module, is_package):
    """The module a `from ... import` names, relative levels resolved."""
    if not node.level:
        return node.module
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def _named_modules(node, module, is_package):
    """Dotted names a node imports (a from-import's names are appended to
    its module, which covers `from nda_tf import gan`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = _absolute(node, module, is_package)
        return [f"{base}.{alias.name}" for alias in node.names]
    # importlib.import_module("...") or __import__("...") with a literal.
    if (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None))
        in ("import_module", "__import__")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return [node.args[0].value]
    return []


def violations(source, module, is_package, forbidden, label):
    """`label:line: statement` for every import (at any depth) of
    `source` that names a module under one of `forbidden`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = _named_modules(node, module, is_package)
        if any(_under(n, f) for n in names for f in forbidden):
            found.append(
                (node.lineno, f"{label}:{node.lineno}: {ast.unparse(node)}")
            )
    return [text for _, text in sorted(found)]


def _modules():
    """(dotted name, is package, path relative to the repository)."""
    for path in sorted((ROOT / "nda_tf").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        yield name, is_package, path


def _check(applies, forbidden):
    found = []
    for name, is_package, path in _modules():
        if applies(name):
            label = str(path.relative_to(ROOT))
            found += violations(
                path.read_text(), name, is_package, forbidden, label
            )
    return found


def test_lower_layers_import_no_algorithm_training_or_command():
    found = _check(lambda name: any(_under(name, p) for p in LOWER), UPPER)
    assert found == [], "imports that run up the layers:\n" + "\n".join(found)


ALGORITHMS = (
    "nda_tf.contrastive",
    "nda_tf.gan",
    "nda_tf.translation",
    "nda_tf.video",
)


# What an algorithm's option table (`options.py`, read by `--help` without
# TensorFlow) may import of the loop: the settings only.
SETTINGS = ("nda_tf.training.options", "nda_tf.training.recipe")


def test_the_loop_imports_no_algorithm_and_algorithms_only_their_recipe():
    """The loop knows algorithms only through the Recipe interface; in an
    algorithm package only `recipe.py` imports the loop, and `options.py`
    its settings."""
    found = _check(
        lambda name: _under(name, "nda_tf.training"),
        ALGORITHMS + (COMMANDS, "nda_tf.export"),
    )
    found += _check(
        lambda name: (
            any(_under(name, p) for p in ALGORITHMS)
            and not name.endswith((".recipe", ".options"))
        ),
        ("nda_tf.training", COMMANDS, "nda_tf.export"),
    )
    settings = _check(
        lambda name: (
            any(_under(name, p) for p in ALGORITHMS)
            and name.endswith(".options")
        ),
        ("nda_tf.training", COMMANDS, "nda_tf.export"),
    )
    found += [
        line
        for line in settings
        if not any(f"from {module} import" in line for module in SETTINGS)
    ]
    assert found == [], "imports that run up the layers:\n" + "\n".join(found)


def test_only_the_commands_define_flags():
    found = _check(lambda name: not _under(name, COMMANDS), (FLAGS,))
    assert found == [], "absl.flags outside nda_tf.experiments:\n" + "\n".join(
        found
    )


def test_the_checker_sees_every_form_of_import():
    source = "\n".join(
        [
            "import nda_tf.models",
            "import nda_tf.gan",
            "from nda_tf import contrastive, models",
            "from ..experiments import ood",
            "from . import stats",
            "def f():",
            "    from nda_tf.training.loop import run",
            "    importlib.import_module('nda_tf.gan.runs')",
            "from absl import flags",
            "import absl.flags",
        ]
    )
    found = violations(source, "nda_tf.eval.x", False, UPPER, "x.py")
    assert found == [
        "x.py:2: import nda_tf.gan",
        "x.py:3: from nda_tf import contrastive, models",
        "x.py:4: from ..experiments import ood",
        "x.py:7: from nda_tf.training.loop import run",
        "x.py:8: importlib.import_module('nda_tf.gan.runs')",
    ]
    # In a package's __init__, one dot is the package itself.
    assert violations("from .gan import x", "nda_tf", True, UPPER, "i.py") == [
        "i.py:1: from .gan import x"
    ]
    assert violations(source, "nda_tf.eval.x", False, (FLAGS,), "x.py") == [
        "x.py:9: from absl import flags",
        "x.py:10: import absl.flags",
    ]
