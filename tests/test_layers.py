"""The layer map of docs/architecture.md, checked on the source.

Every package of `nda_tf` has a layer (`LAYERS`); a module imports only
its own package and the layers below its own, so nothing runs back up,
the packages of one layer (the algorithms, say) never import each other,
and no two modules import each other, directly or in a circle. In an
algorithm package only `recipe.py` imports the loop (`options.py` its
settings), and only the command-line layer defines absl flags. The rules
are checked on the syntax tree: an import inside a function counts as
much as one at the top of a module, and no module is imported to be
checked. An old name kept with `nda_tf.lazy.moved` counts as an import of
its new module.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ALGORITHMS = (
    "nda_tf.contrastive",
    "nda_tf.detection",
    "nda_tf.gan",
    "nda_tf.translation",
    "nda_tf.video",
)
# Bottom to top; the packages of a layer do not import each other.
LAYERS = (
    ("nda_tf", "nda_tf.checks", "nda_tf.extras", "nda_tf.io",
     "nda_tf.keras_config", "nda_tf.lazy", "nda_tf.loss_scaling",
     "nda_tf.random"),
    ("nda_tf.data",),
    ("nda_tf.transforms",),
    ("nda_tf.eval", "nda_tf.models"),
    ("nda_tf.export", "nda_tf.serving", "nda_tf.training"),
    ALGORITHMS,
    ("nda_tf.studies.paper",),
    ("nda_tf.studies.nda_distance", "nda_tf.studies.numerosity",
     "nda_tf.studies.ood", "nda_tf.studies.real_study"),
    ("nda_tf.studies", "nda_tf.experiments"),
)  # fmt: skip
COMMANDS = "nda_tf.experiments"
FLAGS = "absl.flags"
# What an algorithm's option table (`options.py`, read by `--help` without
# TensorFlow) may import of the loop: the settings only.
SETTINGS = ("nda_tf.training.options", "nda_tf.training.recipe")
# Old names of commands that moved up a layer: run as programs, imported
# by nothing, so above the map (each holds nothing but its `moved`).
OLD_COMMANDS = {"nda_tf.transforms.demo": "nda_tf.experiments.demo"}


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
    # import_module("..."), __import__("...") or moved(__name__, "...").
    if isinstance(node, ast.Call):
        called = getattr(node.func, "attr", getattr(node.func, "id", None))
        at = {"import_module": 0, "__import__": 0, "moved": 1}.get(called)
        if at is not None and len(node.args) > at:
            name = node.args[at]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                return [name.value]
    return []


def _imports(source, module, is_package):
    """`(line, statement, [dotted names])` of every import, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = _named_modules(node, module, is_package)
        if names:
            found.append((node.lineno, ast.unparse(node), names))
    return sorted(found)


def violations(source, module, is_package, forbidden, label):
    """`label:line: statement` for every import (at any depth) of
    `source` that names a module under one of `forbidden`."""
    return [
        f"{label}:{line}: {statement}"
        for line, statement, names in _imports(source, module, is_package)
        if any(_under(n, f) for n in names for f in forbidden)
    ]


def _modules():
    """(dotted name, is package, path relative to the repository)."""
    for path in sorted((ROOT / "nda_tf").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        yield name, is_package, path


MODULES = {name: (is_package, path) for name, is_package, path in _modules()}


def layer_of(name):
    """`(layer index, package)` of a module: the longest package of
    `LAYERS` it is in."""
    found = [
        (len(package), index, package)
        for index, packages in enumerate(LAYERS)
        for package in packages
        if _under(name, package)
    ]
    if not found:
        return None, None
    _, index, package = max(found)
    return index, package


def _check(applies, forbidden):
    found = []
    for name, (is_package, path) in MODULES.items():
        if applies(name):
            label = str(path.relative_to(ROOT))
            found += violations(
                path.read_text(), name, is_package, forbidden, label
            )
    return found


def _resolved(name):
    """The module of ours a dotted name is (or is in), else None."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph():
    """`{module: {module it imports}}` over the modules of `nda_tf`."""
    graph = {}
    for name, (is_package, path) in MODULES.items():
        targets = set()
        for _, _, names in _imports(path.read_text(), name, is_package):
            targets |= {_resolved(n) for n in names if _under(n, "nda_tf")}
        graph[name] = targets - {None, name}
    return graph


def circles(graph):
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = {stack.pop()}
            while node not in group:
                group.add(stack.pop())
            on_stack.difference_update(group)
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_package_has_a_layer():
    unplaced = [
        name
        for name in MODULES
        if layer_of(name)[0] is None and name not in OLD_COMMANDS
    ]
    assert unplaced == []
    # Each top-level package and module of nda_tf is named in the map.
    named = {p for packages in LAYERS for p in packages}
    top = {".".join(name.split(".")[:2]) for name in MODULES}
    assert top <= named, top - named


def test_every_import_runs_down_or_stays_in_its_package():
    found = []
    for name, (is_package, path) in MODULES.items():
        if name in OLD_COMMANDS:
            continue
        layer, package = layer_of(name)
        source = path.read_text()
        for line, statement, names in _imports(source, name, is_package):
            for target in names:
                if not _under(target, "nda_tf") or _under(target, package):
                    continue
                other, other_package = layer_of(_resolved(target) or target)
                if other is None or other >= layer:
                    found.append(
                        f"{path.relative_to(ROOT)}:{line}: {statement} "
                        f"({package}, layer {layer} -> {other_package}, "
                        f"layer {other})"
                    )
    assert found == [], "imports that run up or across:\n" + "\n".join(found)


def test_no_module_imports_itself_through_others():
    assert circles(import_graph()) == []


def test_old_command_names_only_run_the_new_command():
    for old, new in OLD_COMMANDS.items():
        is_package, path = MODULES[old]
        imports = _imports(path.read_text(), old, is_package)
        assert [names for _, _, names in imports] == [
            ["nda_tf.lazy.moved"],
            [new],
        ]
        assert new in MODULES


def test_the_loop_imports_no_algorithm_and_algorithms_only_their_recipe():
    """The loop knows algorithms only through the Recipe interface; in an
    algorithm package only `recipe.py` imports the loop, and `options.py`
    its settings."""
    found = _check(
        lambda name: (
            any(_under(name, p) for p in ALGORITHMS)
            and not name.endswith((".recipe", ".options"))
        ),
        ("nda_tf.training",),
    )
    settings = _check(
        lambda name: (
            any(_under(name, p) for p in ALGORITHMS)
            and name.endswith(".options")
        ),
        ("nda_tf.training",),
    )
    found += [
        line
        for line in settings
        if not any(f"from {module} import" in line for module in SETTINGS)
    ]
    assert found == [], "imports of the loop:\n" + "\n".join(found)


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
            "moved(__name__, 'nda_tf.video.dpc')",
        ]
    )
    upper = ALGORITHMS + (COMMANDS, "nda_tf.training")
    found = violations(source, "nda_tf.eval.x", False, upper, "x.py")
    assert found == [
        "x.py:2: import nda_tf.gan",
        "x.py:3: from nda_tf import contrastive, models",
        "x.py:4: from ..experiments import ood",
        "x.py:7: from nda_tf.training.loop import run",
        "x.py:8: importlib.import_module('nda_tf.gan.runs')",
        "x.py:11: moved(__name__, 'nda_tf.video.dpc')",
    ]
    # In a package's __init__, one dot is the package itself.
    assert violations("from .gan import x", "nda_tf", True, upper, "i.py") == [
        "i.py:1: from .gan import x"
    ]
    assert violations(source, "nda_tf.eval.x", False, (FLAGS,), "x.py") == [
        "x.py:9: from absl import flags",
        "x.py:10: import absl.flags",
    ]


@pytest.mark.parametrize(
    "graph, expected",
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        # A function-local import closes a circle as much as any.
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_the_circle_finder(graph, expected):
    assert circles(graph) == expected


def test_the_map_places_modules_by_their_longest_package():
    assert layer_of("nda_tf.gan.recipe") == (5, "nda_tf.gan")
    assert layer_of("nda_tf.studies.ood.study") == (7, "nda_tf.studies.ood")
    assert layer_of("nda_tf.studies.paper.numbers")[0] == 6
    assert layer_of("nda_tf.io.pth")[0] == 0
    assert layer_of("nda_tf.eval")[0] < layer_of("nda_tf.export")[0]
