"""Writes the site's generated pages while `mkdocs build` runs
(mkdocs-gen-files): the API reference, the transforms gallery's pictures
and the repository pages the guides link to. What they are:
tools/docs_pages.py."""

import pathlib
import sys

import mkdocs_gen_files

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import docs_pages  # noqa: E402

for path, text in docs_pages.reference_pages().items():
    with mkdocs_gen_files.open(path, "w") as f:
        f.write(text)

for name, png in docs_pages.gallery_pictures().items():
    with mkdocs_gen_files.open(f"gallery/{name}", "wb") as f:
        f.write(png)

for path in docs_pages.REPO_PAGES:
    with mkdocs_gen_files.open(f"repo/{path}", "w") as f:
        f.write((ROOT / path).read_text())
