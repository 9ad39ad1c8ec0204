"""The documentation site's generated parts, checked without MkDocs.

The API reference is generated from the package tree
(tools/docs_pages.py), so a new module or exported name gets a page or a
row by itself; these tests pin that the walk finds every public module,
that every name a package exports (`__all__`) is listed and linked to a
documented place, that the transforms gallery has a section for every
registered transform, and that the site's hooks (docs/hooks.py) draw the
paper's tables from their one home and point repository links at the
site's copies. The built site itself is checked by docs/build.sh
(strict build, then tools/check_docs_inventory.py).
"""

import importlib
import importlib.util
import pkgutil
import re

import pytest

import nda_tf
import nda_tf.transforms as T
from tools import docs_pages

ROOT = docs_pages.ROOT


def _hooks():
    spec = importlib.util.spec_from_file_location(
        "docs_hooks", ROOT / "docs" / "hooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages():
    return docs_pages.reference_pages()


def _walked_modules():
    """Every importable module of nda_tf by pkgutil, public parts only."""
    names = {"nda_tf"}
    for info in pkgutil.walk_packages(nda_tf.__path__, "nda_tf."):
        if not any(p.startswith("_") for p in info.name.split(".")):
            names.add(info.name)
    return names


def test_every_public_module_has_a_page_in_the_navigation(pages):
    documented = set(docs_pages.public_modules())
    old = set(docs_pages.old_names())
    assert documented | old == _walked_modules()
    assert len(documented) > 100  # a broken walk would make this vacuous
    nav = pages["reference/SUMMARY.md"]
    for name in documented:
        path = docs_pages.page_path(name)
        assert f"::: {name}\n" in pages[path]
        assert f"({path.removeprefix('reference/')})" in nav


def test_old_module_names_point_to_documented_modules(pages):
    moved = docs_pages.old_names()
    assert moved["nda_tf.eval.pth"] == "nda_tf.io.pth"
    for new in moved.values():
        assert new in docs_pages.public_modules()
        assert f"[{new}]" in pages["reference/index.md"]


@pytest.mark.parametrize(
    "package",
    [m for m in docs_pages.public_modules() if docs_pages.is_package(m)],
)
def test_every_exported_name_is_listed_and_linked(package, pages):
    page = pages[docs_pages.page_path(package)]
    exported = getattr(importlib.import_module(package), "__all__", [])
    rows = {name: target for name, target, _ in docs_pages.exports(package)}
    assert sorted(rows) == sorted(exported)
    documented = set(docs_pages.public_modules())
    for name, target in rows.items():
        if target is None:  # a value made on first use: named, not linked
            assert f"| `{name}` |" in page
            continue
        assert f"| [`{name}`][{target}] |" in page
        # The link's target is on a page: a module, or an object defined
        # at the top of one (the strict build fails on any other).
        module = target if target in documented else target.rpartition(".")[0]
        assert module in documented, target


def test_a_package_shows_its_own_functions_not_its_imports():
    text = docs_pages.module_page("nda_tf.models")
    assert "members: [build_gan]" in text
    assert "members: false" in docs_pages.module_page("nda_tf.gan")


def test_a_module_page_documents_the_whole_module():
    # Commands too: their description is the usage, then their functions.
    for name in ("nda_tf.experiments.demo", "nda_tf.transforms.jigsaw"):
        assert docs_pages.module_page(name) == f"::: {name}\n"


def test_the_gallery_has_every_registered_transform():
    text = (ROOT / "docs" / "transforms.md").read_text()
    headings = set(re.findall(r"^#+ (\w+)$", text, re.MULTILINE))
    assert set(T.available()) <= headings
    pictures = set(re.findall(r"\(gallery/(\w+)\.png\)", text))
    assert pictures == {entry[0] for entry in docs_pages.GALLERY}


def test_gallery_pictures_are_small_pngs():
    pictures = docs_pages.gallery_pictures()
    assert set(pictures) == {f"{e[0]}.png" for e in docs_pages.GALLERY}
    for png in pictures.values():
        assert png.startswith(b"\x89PNG")
        assert len(png) < 100_000


def test_paper_tables_come_from_the_numbers_module():
    from nda_tf.studies.paper import numbers

    hooks = _hooks()
    table2 = hooks.paper_table("table2")
    for fids in numbers.TABLE_2.values():
        for fid in fids:
            assert f"{fid:.2f}" in table2
    assert "14.56" in table2  # the CR-BigGAN column
    table5 = hooks.paper_table("table5")
    assert "| CIFAR-10-C | 0.56 | 0.63 | 0.60 |" in table5
    with pytest.raises(ValueError, match="no paper table"):
        hooks.paper_table("table99")
    # Every marker on the pages names a table the hook knows.
    for page in (ROOT / "docs").glob("*.md"):
        for name in hooks.PAPER.findall(page.read_text()):
            hooks.paper_table(name)


def test_repository_links_point_at_the_sites_copies():
    hooks = _hooks()
    repo = {"experiments/RESULTS.md", "experiments/README.md"}
    rewrite = hooks.rewrite_links
    # From a guide in docs/: a repository page the site copies.
    assert rewrite("[r](../experiments/RESULTS.md#x)", "a.md", repo) == (
        "[r](repo/experiments/RESULTS.md#x)"
    )
    # A docs/ link stays for MkDocs to check; URLs and anchors stay.
    for link in ("[a](architecture.md)", "[u](https://x.org/a.md)", "[h](#h)"):
        assert rewrite(link, "a.md", repo) == link
    # From a copied page: its pictures in docs/, its sibling pages.
    page = "repo/experiments/RESULTS.md"
    assert rewrite("![k](../docs/k6.png)", page, repo) == "![k](../../k6.png)"
    assert rewrite("[x](README.md)", page, repo) == "[x](README.md)"
    # A repository file the site does not hold becomes text and its path;
    # a file that exists nowhere is left for the strict build to refuse.
    assert rewrite("[s](gan/cifar10_uncond.sh)", page, repo) == (
        "s (`experiments/gan/cifar10_uncond.sh`)"
    )
    assert rewrite("[m](missing.md)", page, repo) == "[m](missing.md)"


def test_doctest_examples_become_code_blocks():
    pytest.importorskip("griffe")  # the docs extra's, not the test one's
    spec = importlib.util.spec_from_file_location(
        "griffe_site", ROOT / "docs" / "griffe_site.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = "Example:\n>>> f(1)[0]\n2\n\nArgs:\n    x: y.\n\n        >>> g()\n"
    assert module.fence_examples(text) == (
        "Example:\n\n```pycon\n>>> f(1)[0]\n2\n```\n\nArgs:\n    x: y.\n\n"
        "        ```pycon\n        >>> g()\n        ```\n"
    )
