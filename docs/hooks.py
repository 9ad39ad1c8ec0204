"""MkDocs hooks of the documentation site (mkdocs.yml, `hooks:`).

Links to repository files. The guides in docs/ and the repository pages
copied into the site (tools/docs_pages.py, `REPO_PAGES`, under repo/)
link to files by their place in the repository, which is right on a
repository browser. In the site such a link points to the site's copy
(repo/PATH, or the docs/ page or picture); a link to a repository file the
site does not hold (a script, a source file) becomes its text and the
path. A link whose target exists nowhere is left as written, so the
strict build fails on it.

Paper tables. `<!-- paper: NAME -->` on a line of its own becomes a
markdown table of the paper's numbers from `nda_tf.studies.paper.numbers`
(their one home), so the pages never copy a number by hand.
"""

import functools
import pathlib
import posixpath
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
REPO_PREFIX = "repo/"
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^()\s]+)\)")
PAPER = re.compile(r"^<!-- paper: (\w+) -->$", re.MULTILINE)


@functools.cache
def _repo_pages():
    import sys

    sys.path.insert(0, str(ROOT))
    from tools import docs_pages

    return set(docs_pages.REPO_PAGES)


def _page_repo_path(src_uri):
    """Where a site page's source lives in the repository."""
    if src_uri.startswith(REPO_PREFIX):
        return src_uri[len(REPO_PREFIX) :]
    return "docs/" + src_uri


def _site_uri(repo_path, repo_pages):
    """The site's copy of a repository file, or None."""
    if repo_path.startswith("docs/"):
        return repo_path[len("docs/") :]
    if repo_path in repo_pages:
        return REPO_PREFIX + repo_path
    readme = posixpath.join(repo_path, "README.md")
    if readme in repo_pages:
        return REPO_PREFIX + readme
    return None


def rewrite_links(markdown, src_uri, repo_pages):
    """The page's markdown with its repository links pointed at the
    site's copies (see the module's description)."""
    page_dir = posixpath.dirname(_page_repo_path(src_uri))

    def replace(match):
        bang, text, target = match.groups()
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target):
            return match.group(0)  # a URL, an anchor on the page, absolute
        path, hash_, anchor = target.partition("#")
        repo_path = posixpath.normpath(posixpath.join(page_dir, path))
        inside_docs = repo_path.startswith("docs/")
        if inside_docs and not src_uri.startswith(REPO_PREFIX):
            return match.group(0)  # an ordinary docs link, mkdocs checks it
        site = _site_uri(repo_path, repo_pages)
        if site is not None:
            relative = posixpath.relpath(site, posixpath.dirname(src_uri))
            return f"{bang}[{text}]({relative}{hash_}{anchor})"
        if (ROOT / repo_path).exists() and not bang:
            if repo_path in text:
                return text
            return f"{text} (`{repo_path}`)"
        return match.group(0)  # broken: the strict build says so

    return LINK.sub(replace, markdown)


def _fid(value):
    """A number with two decimals, as the paper prints them."""
    return "—" if value is None else f"{value:.2f}"


def paper_table(name):
    """Markdown of one of the paper's tables, from its numbers module."""
    from nda_tf.studies.paper import numbers as n

    columns = " | ".join(n.COLUMNS)
    if name == "table2":
        rows = [f"| data | {columns} | CR-BigGAN |"]
        rows.append("| --- " * (len(n.COLUMNS) + 2) + "|")
        for (data, conditional), fids in n.TABLE_2.items():
            cr = _fid(n.CR_BIGGAN.get((data, conditional)))
            cells = " | ".join(_fid(f) for f in fids)
            name = f"{data}, conditional" if conditional else data
            rows.append(f"| {name} | {cells} | {cr} |")
    elif name == "table1":
        rows = [
            "| transform | FID as PDA | FID as NDA |",
            "| --- | --- | --- |",
        ]
        for transform, (pda, nda) in n.TABLE_1.items():
            rows.append(f"| {transform} | {_fid(pda)} | {_fid(nda)} |")
    elif name == "lambda_sweep":
        rows = ["| lam | FID |", "| --- | --- |"]
        rows += [f"| {lam} | {_fid(f)} |" for lam, f in n.LAMBDA_SWEEP.items()]
    elif name == "variants":
        rows = ["| NDA (lam 0.25) | FID |", "| --- | --- |"]
        rows.append(
            f"| jigsaw without the identity (our default) | "
            f"{_fid(n.JIGSAW_WITHOUT_IDENTITY)} |"
        )
        rows += [f"| `{spec}` | {_fid(f)} |" for spec, f in n.VARIANTS.items()]
    elif name == "table5":
        rows = ["| OOD set | BigGAN | jigsaw NDA-BigGAN | EBM |"]
        rows.append("| --- | --- | --- | --- |")
        for ood, values in n.TABLE_5.items():
            rows.append(f"| {ood} | " + " | ".join(map(_fid, values)) + " |")
    elif name == "table4":
        rows = ["| loss | NDA | per-pixel acc. | per-class acc. | mIoU |"]
        rows.append("| --- | --- | --- | --- | --- |")
        for (loss, nda), values in n.PIX2PIX_TABLE_4.items():
            cells = " | ".join(f"{v:.2f}" for v in values)
            rows.append(f"| {loss} | {'jigsaw' if nda else 'none'} | {cells} |")
    elif name in ("table6", "table7"):
        table = n.TABLE_6 if name == "table6" else n.TABLE_7
        rows = ["| data | " + " | ".join(n.TABLE_7_COLUMNS) + " |"]
        rows.append("| --- " * (len(n.TABLE_7_COLUMNS) + 1) + "|")
        for data, values in table.items():
            rows.append(f"| {data} | " + " | ".join(map(_fid, values)) + " |")
    else:
        raise ValueError(f"no paper table {name!r} (docs/hooks.py)")
    return "\n".join(rows)


def on_page_markdown(markdown, page, config, files, **kwargs):
    markdown = PAPER.sub(lambda m: paper_table(m.group(1)), markdown)
    return rewrite_links(markdown, page.file.src_uri, _repo_pages())
