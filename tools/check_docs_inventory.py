"""Checks a built documentation site's inventory (objects.inv) against
the package: every public class and function of every documented module,
and every name a package exports (`__all__`), must have an entry, so that
the API reference cannot leave one out. docs/build.sh runs it after
`mkdocs build`.

    python tools/check_docs_inventory.py build/site/objects.inv
"""

import importlib
import inspect
import pathlib
import sys
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import docs_pages  # noqa: E402


def read_inventory(path):
    """The object names of a Sphinx v2 inventory (what mkdocstrings
    writes): four header lines, then zlib-compressed entries."""
    data = pathlib.Path(path).read_bytes()
    header_end = 0
    for _ in range(4):
        header_end = data.index(b"\n", header_end) + 1
    text = zlib.decompress(data[header_end:]).decode()
    return {line.split(" ", 1)[0] for line in text.splitlines() if line}


def expected_names():
    """Dotted names the reference must hold."""
    names = set()
    for name in docs_pages.public_modules():
        names.add(name)
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if attribute.startswith("_"):
                continue
            value = inspect.unwrap(value) if callable(value) else value
            if inspect.isclass(value) or inspect.isfunction(value):
                if value.__module__ == name:
                    names.add(f"{name}.{attribute}")
        if docs_pages.is_package(name):
            for _, target, _ in docs_pages.exports(name):
                if target is not None:
                    names.add(target)
    return names


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    missing = sorted(expected_names() - read_inventory(argv[1]))
    if missing:
        print(f"{len(missing)} public names are not in the reference:")
        for name in missing:
            print(f"  {name}")
        sys.exit(1)
    print("docs: every public name of nda_tf is in the reference")


if __name__ == "__main__":
    main(sys.argv)
