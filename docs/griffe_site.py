"""Griffe extensions of the API reference (mkdocs.yml, mkdocstrings
`extensions`): the docstrings' `>>>` examples shown as code, and less
noise from attributes.

`DoctestBlocks`. The library's docstrings put their examples (the ones tests/
test_docstrings.py runs) in the text, often right after a sentence or
after the Args section, rather than under an "Examples:" heading, which is
the only place Griffe's Google parser reads `>>>` as code. Markdown would
run such lines into the paragraph before them. This extension wraps each
run of examples (a `>>>` line, its `...` lines and its output, up to a
blank line) in a fenced `pycon` block before the docstring is parsed; the
docstrings themselves stay as the doctest runner reads them.

`QuietAttributes`. An attribute a constructor sets (`self.name = name`)
without a docstring of its own is described by the class's Args, so it
is not listed again; a module or class constant whose value is longer
than `MAX_VALUE_LINES` lines (an option table) shows "..." as its value.
"""

import re

import griffe

SECTION = re.compile(r"^[A-Z][A-Za-z ]*:\s*$")  # "Args:", "Returns:" ...
FENCE = "```"
MAX_VALUE_LINES = 8


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def fence_examples(text):
    """`text` with every run of doctest lines in a fenced code block."""
    lines = text.split("\n")
    out = []
    in_section = in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(FENCE):
            in_fence = not in_fence
        if in_fence or not stripped.startswith(">>>"):
            if line and _indent(line) == 0:
                in_section = bool(SECTION.match(line))
            out.append(line)
            i += 1
            continue
        indent = _indent(line)
        block = []
        while i < len(lines) and lines[i].strip():
            if _indent(lines[i]) < indent:
                break
            block.append(lines[i][indent:])
            i += 1
        # In a section the block keeps its place (the section reader
        # dedents it); in the text an indented block would be a code
        # block of its own, so the fence starts the line.
        at = " " * indent if in_section else ""
        if out and out[-1].strip():
            out.append("" if not in_section else at)
        out += [at + FENCE + "pycon", *(at + b for b in block), at + FENCE]
        if i < len(lines) and lines[i].strip():
            out.append("")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fences the `>>>` examples of every docstring (see the module)."""

    def on_object(self, *, obj, **kwargs):
        if obj.is_alias:
            return  # documented where it is defined
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_examples(obj.docstring.value)


class QuietAttributes(griffe.Extension):
    """Leaves out undocumented instance attributes and long values."""

    def on_class(self, *, cls, **kwargs):
        for name, member in list(cls.members.items()):
            if (
                not member.is_alias
                and member.is_attribute
                and "instance-attribute" in member.labels
                and member.docstring is None
            ):
                del cls.members[name]

    def on_attribute(self, *, attr, **kwargs):
        if attr.lineno and attr.endlineno:
            if attr.endlineno - attr.lineno + 1 > MAX_VALUE_LINES:
                attr.value = "..."
