"""The documentation site's generated pages.

`mkdocs build` runs docs/gen_pages.py (mkdocs-gen-files), which writes
what this module makes into the site's sources:

- the API reference, one page per public module of `nda_tf`, found by
  walking the package tree, so that a new module or name is documented
  without a change here; each package's page lists its exported names
  (`__all__`) with a link to where each is defined, and a link that
  does not resolve fails the strict build;
- the transforms gallery's pictures (`gallery_pictures`), drawn from
  CIFAR-sized (32x32) copies of scikit-image's sample photos;
- the repository's own markdown pages that the guides link to
  (`REPO_PAGES`), under `repo/`.

tests/test_docs_reference.py checks the reference against the package
tree without mkdocs; tools/check_docs_inventory.py checks the built site.
"""

import ast
import importlib
import inspect
import io
import pathlib
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = "nda_tf"
REFERENCE = "reference"
# The commands' package: its modules' descriptions are their usage.
COMMANDS = "nda_tf.experiments"
# Repository files the guides link to, shown in the site at repo/<path>.
REPO_PAGES = (
    "experiments/README.md",
    "experiments/RESULTS.md",
    "experiments/moco/README.md",
    "export/README.md",
    "benchmarks/RESULTS.md",
)


def _source(name):
    """The source file of the module or package `name`."""
    path = ROOT.joinpath(*name.split("."))
    if path.is_dir():
        return path / "__init__.py"
    return path.with_suffix(".py")


def is_old_name(name):
    """Whether the module `name` only keeps an old name of another module
    (`nda_tf.lazy.moved`): it is listed, not documented again."""
    return "moved(__name__," in _source(name).read_text()


def old_names():
    """`{old module name: the module it now is}`."""
    found = {}
    for name in _walk():
        if is_old_name(name):
            tree = ast.parse(_source(name).read_text())
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) == "moved"
                ):
                    found[name] = node.args[1].value
    return found


def _walk():
    """Every module and package of nda_tf whose dotted name has no part
    starting with "_", sorted."""
    names = []
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if any(part.startswith("_") for part in parts):
            continue
        names.append(".".join(parts))
    return names


def public_modules():
    """The modules and packages the reference documents, sorted."""
    return [name for name in _walk() if not is_old_name(name)]


def is_package(name):
    return _source(name).name == "__init__.py"


def defined_names(name):
    """Public functions, classes and assigned names at the top level of a
    module's source, in source order (not the names it imports)."""
    tree = ast.parse(_source(name).read_text())
    found = []
    for node in tree.body:
        targets = []
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            targets = [node.name]
        elif isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(
            node.target, ast.Name
        ):
            targets = [node.target.id]
        found += [t for t in targets if not t.startswith("_")]
    return list(dict.fromkeys(found))


def exports(package):
    """`[(name, target, kind)]` for each name of a package's `__all__`:
    the dotted path of the object's definition in the reference (a module,
    or a class or function of one) and what it is. A value that no
    module defines (computed on first use) has target None."""
    module = importlib.import_module(package)
    rows = []
    for name in getattr(module, "__all__", ()):
        value = getattr(module, name)
        value = inspect.unwrap(value) if callable(value) else value
        if isinstance(value, types.ModuleType):
            rows.append((name, value.__name__, "module"))
        elif inspect.isclass(value) or inspect.isfunction(value):
            kind = "class" if inspect.isclass(value) else "function"
            target = f"{value.__module__}.{value.__qualname__}"
            rows.append((name, target, kind))
        elif name in defined_names(package):
            rows.append((name, f"{package}.{name}", type(value).__name__))
        else:
            rows.append((name, None, type(value).__name__))
    return rows


def _summary(target):
    """The first line of the docstring of the object at dotted `target`."""
    module_name, _, rest = target, "", ""
    while True:
        try:
            value = importlib.import_module(module_name)
            break
        except ModuleNotFoundError:
            module_name, _, last = module_name.rpartition(".")
            rest = f"{last}.{rest}" if rest else last
    for part in filter(None, rest.split(".")):
        value = getattr(value, part)
    doc = inspect.getdoc(value) or ""
    return " ".join(doc.split("\n\n")[0].split()).replace("|", "\\|")


def page_path(name):
    """The reference page of a module: reference/nda_tf/a/b.md, packages
    reference/nda_tf/a/index.md."""
    parts = name.split(".")
    if is_package(name):
        return "/".join([REFERENCE, *parts, "index.md"])
    return "/".join([REFERENCE, *parts]) + ".md"


def _directive(name, **options):
    lines = [f"::: {name}"]
    if options:
        lines.append("    options:")
        for key, value in options.items():
            lines.append(f"      {key}: {value}")
    return "\n".join(lines) + "\n"


def module_page(name):
    """The markdown of one module's reference page."""
    if not is_package(name):
        return _directive(name)
    own = [n for n in defined_names(name) if n != "__all__"]
    text = _directive(name, members=f"[{', '.join(own)}]" if own else "false")
    rows = exports(name)
    if rows:
        text += "\n## Exported names\n\n| name | what | defined in |\n"
        text += "| --- | --- | --- |\n"
        for export, target, kind in rows:
            if target is None:
                where = f"made on first use by `{name}`"
                text += f"| `{export}` | {kind} | {where} |\n"
                continue
            link = f"[`{export}`][{target}]"
            summary = _summary(target)
            text += f"| {link} | {kind}: {summary} | `{target}` |\n"
    children = [m for m in public_modules() if m.rpartition(".")[0] == name]
    if children:
        text += "\n## Modules\n\n| module | what |\n| --- | --- |\n"
        for child in children:
            text += f"| [`{child}`][{child}] | {_summary(child)} |\n"
    return text


def reference_pages():
    """`{path: markdown}`: every module's page, the overview and the
    navigation (reference/SUMMARY.md, for mkdocs-literate-nav)."""
    modules = public_modules()
    pages = {page_path(name): module_page(name) for name in modules}
    pages[f"{REFERENCE}/index.md"] = _overview(modules)
    pages[f"{REFERENCE}/SUMMARY.md"] = _summary_nav(modules)
    return pages


def _overview(modules):
    top = [m for m in modules if m.count(".") == 1]
    text = (
        "# API reference\n\n"
        "Generated from the docstrings of every public module of "
        "[`nda_tf`][nda_tf] (a module or package whose name has no part "
        'starting with "_"). Each package page lists the names it exports '
        "and where each is defined. The examples (`>>>`) are the ones the "
        "test suite runs (tests/test_docstrings.py).\n\n"
        "| package or module | what |\n| --- | --- |\n"
    )
    for name in top:
        text += f"| [`{name}`][{name}] | {_summary(name)} |\n"
    moved = old_names()
    if moved:
        text += (
            "\nOld module names, kept so that existing scripts still "
            "import or run them, are the modules they moved to:\n\n"
        )
        for old, new in sorted(moved.items()):
            text += f"- `{old}`: [`{new}`][{new}]\n"
    return text


def _summary_nav(modules):
    def order(name):
        # The commands and the studies after the library.
        parts = name.split(".")
        return (parts[1] in ("experiments", "studies"), parts)

    lines = ["* [Overview](index.md)", f"* [{PACKAGE}]({PACKAGE}/index.md)"]
    for name in sorted((m for m in modules if m != PACKAGE), key=order):
        depth = name.count(".") - 1
        title = name.rpartition(".")[2]
        if name == COMMANDS:
            title = "experiments (commands)"
        target = page_path(name)[len(REFERENCE) + 1 :]
        lines.append(f"{'    ' * depth}* [{title}]({target})")
    return "\n".join(lines) + "\n"


# The gallery: (picture name, transform, originals, label of the lower
# row). Originals: "photos", CIFAR-sized sample photos; "dots", images of
# six dots.
GALLERY = (
    ("jigsaw", "jigsaw(grid=2)", "photos", "jigsaw"),
    ("jigsaw_grid4", "jigsaw(grid=4)", "photos", "jigsaw 4x4"),
    ("stitch", "stitch", "photos", "stitch"),
    ("cutout", "cutout", "photos", "cutout"),
    ("cutmix", "cutmix", "photos", "cutmix"),
    ("mixup", "mixup(alpha=25)", "photos", "mixup"),
    ("mixture", "jigsaw|stitch|cutout", "photos", "mixture"),
    ("random_crop", "random_crop(padding=4)", "photos", "random crop"),
    (
        "horizontal_flip",
        "horizontal_flip(probability=1.0)",
        "photos",
        "h. flip",
    ),
    ("vertical_flip", "vertical_flip(probability=1.0)", "photos", "v. flip"),
    ("gaussian_noise", "gaussian_noise(stddev=0.1)", "photos", "noise"),
    ("dots", "dots(counts=(4, 5, 7))", "dots", "4, 5 or 7"),
    ("other_samples", "other_samples", "photos", "other"),
)
PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "colorwheel",
)
# Other pictures: the bank of the `other_samples` example.
OTHER_PHOTOS = ("hubble_deep_field", "retina", "camera", "brick")
SIZE = 32  # CIFAR-10's size
SCALE = 3  # drawn 3x larger, nearest neighbour, so pixels stay visible
GAP = 4
LABEL_WIDTH = 96  # the rows' labels, left of the images


def _photos(names, size=SIZE):
    """scikit-image's sample photos, centre-cropped and resized, as floats
    in [-1, 1] (the range the GAN trains in)."""
    import numpy as np
    import tensorflow as tf
    from skimage import data

    images = []
    for name in names:
        photo = getattr(data, name)()
        photo = photo[..., :3] if photo.ndim == 3 else photo[..., None]
        photo = np.broadcast_to(photo, (*photo.shape[:2], 3))
        side = min(photo.shape[:2])
        top = (photo.shape[0] - side) // 2
        left = (photo.shape[1] - side) // 2
        square = photo[top : top + side, left : left + side]
        small = tf.image.resize(square, [size, size], antialias=True)
        images.append(np.clip(small.numpy() / 127.5 - 1.0, -1.0, 1.0))
    return np.stack(images).astype("float32")


def _originals(kind):
    import numpy as np

    if kind == "dots":
        from nda_tf.data import dots

        images = dots.render([6] * len(PHOTOS), SIZE, 3, seed=0)
        return images.astype(np.float32) / 127.5 - 1.0
    return _photos(PHOTOS)


def _transform(spec):
    import nda_tf.transforms as T

    if spec == "other_samples":
        return T.OtherSamples(_photos(OTHER_PHOTOS), seed=0)
    return T.get(spec)


def _grid(rows, labels):
    """One PNG (bytes): rows of [-1, 1] images, scaled up, with white gaps
    and each row's label on its left."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    rows = [np.asarray(r) for r in rows]
    count = rows[0].shape[0]
    cell = SIZE * SCALE
    height = len(rows) * cell + (len(rows) - 1) * GAP
    width = LABEL_WIDTH + count * cell + (count - 1) * GAP
    canvas = np.full([height, width, 3], 255, np.uint8)
    for i, row in enumerate(rows):
        pixels = np.round((np.clip(row, -1, 1) + 1) * 127.5).astype(np.uint8)
        big = pixels.repeat(SCALE, axis=1).repeat(SCALE, axis=2)
        for j in range(count):
            top = i * (cell + GAP)
            left = LABEL_WIDTH + j * (cell + GAP)
            canvas[top : top + cell, left : left + cell] = big[j]
    picture = Image.fromarray(canvas)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=15)  # Pillow's own font: any machine
    for i, label in enumerate(labels):
        middle = i * (cell + GAP) + cell // 2
        draw.text((4, middle), label, fill=(40, 40, 40), font=font, anchor="lm")
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def gallery_pictures(seed=0):
    """`{file name: PNG bytes}`: for each transform of `GALLERY`, its
    originals (top row) and what the transform made of them (bottom),
    each row labelled."""
    pictures = {}
    for name, spec, kind, label in GALLERY:
        originals = _originals(kind)
        made = _transform(spec).transform_with_seed(originals, seed)
        first = "6 dots" if kind == "dots" else "original"
        pictures[f"{name}.png"] = _grid([originals, made], [first, label])
    return pictures
