"""The package as users install it (issue 26): one version number, a
wheel that holds the package only, and a core install (no extra) that
runs the transforms' doctests, the README's first command and the one
line naming a missing extra.

In the test suite these run against the source tree, with every extra's
packages hidden (tests/hidden_modules.py) where the core is meant.
`.ci/run` runs this file again with the python of a fresh virtual
environment into which it installed the built wheel and nothing else
(NDA_TF_CORE_INSTALL=1, NDA_TF_WHEEL=the wheel): there the extras are
really absent and nda_tf comes from that environment's site-packages.
"""

import importlib.metadata
import os
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

import nda_tf
from nda_tf import extras

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORE = os.environ.get("NDA_TF_CORE_INSTALL") == "1"
HIDE_ALL = sorted({m for modules in extras.MODULES.values() for m in modules})


def _module_command(module, *arguments):
    """`python -m module arguments`: in the suite, through
    tests.hidden_modules with every extra hidden, from the source tree;
    in the core install plainly, from a folder outside the source tree,
    so that nda_tf is the installed one (see `_run`)."""
    if CORE:
        return [sys.executable, "-m", module, *arguments]
    hidden = ",".join(HIDE_ALL)
    return [sys.executable, "-m", "tests.hidden_modules", hidden, module] + [
        *arguments
    ]


def _run(command, tmp_path, timeout=600):
    return subprocess.run(
        command,
        cwd=tmp_path if CORE else ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def test_what_this_run_stands_for():
    """The core install has no extra, and its nda_tf is the installed
    one; the suite's environment has every extra (the suite tests them)."""
    missing = {extra: extras.missing(extra) for extra in extras.MODULES}
    if CORE:
        assert missing == {e: list(m) for e, m in extras.MODULES.items()}
        package = pathlib.Path(nda_tf.__file__).resolve()
        assert pathlib.Path(sys.prefix).resolve() in package.parents
    else:
        assert missing == {extra: [] for extra in extras.MODULES}


def test_one_version_number():
    version = nda_tf.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert importlib.metadata.version("nda_tf") == version
    # setup.py reads it from nda_tf/__init__.py and states none itself.
    setup = (ROOT / "setup.py").read_text()
    assert "version=VERSION" in setup and version not in setup
    changelog = (ROOT / "CHANGELOG.md").read_text()
    newest = re.search(r"^## (\S+)", changelog, re.MULTILINE).group(1)
    assert newest == version


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel .ci/run built, or one built here from a copy of the
    sources with the installed setuptools (no network)."""
    if os.environ.get("NDA_TF_WHEEL"):
        return pathlib.Path(os.environ["NDA_TF_WHEEL"])
    source = tmp_path_factory.mktemp("source")
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    shutil.copytree(
        ROOT / "nda_tf",
        source / "nda_tf",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation"]
        + ["--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (path,) = out.glob("*.whl")
    return path


def test_the_wheel_holds_the_package_only(wheel):
    version = nda_tf.__version__
    assert wheel.name == f"nda_tf-{version}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    info = f"nda_tf-{version}.dist-info/"
    package = sorted(n for n in names if not n.startswith(info))
    sources = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "nda_tf").rglob("*.py")
    )
    # Every module, and nothing else: no tests, fixtures or pictures.
    assert package == sources
    metadata = zipfile.ZipFile(wheel).read(info + "METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata
    for extra in (*extras.MODULES, "all", "test"):
        assert f"\nProvides-Extra: {extra}\n" in metadata


DOCTESTS = """
import doctest, importlib, pkgutil, sys
import keras, numpy as np, tensorflow as tf
import nda_tf.transforms

names = ["nda_tf.transforms"] + [
    m.name for m in pkgutil.walk_packages(
        nda_tf.transforms.__path__, "nda_tf.transforms.")
]
extraglobs = {"np": np, "tf": tf, "keras": keras}
runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
finder = doctest.DocTestFinder()
for name in names:
    module = importlib.import_module(name)
    for test in finder.find(module, name, extraglobs=extraglobs):
        runner.run(test)
result = runner.summarize(verbose=False)
print(f"RESULT {result.attempted} {result.failed} {nda_tf.__file__}")
"""


def test_the_transforms_doctests_pass_without_any_extra(tmp_path):
    prelude = ""
    if not CORE:
        prelude = (
            "from tests import hidden_modules\n"
            f"hidden_modules.hide({HIDE_ALL!r})\n"
        )
    command = [sys.executable, "-c", prelude + DOCTESTS]
    done = _run(command, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    attempted, failed, where = re.search(
        r"RESULT (\d+) (\d+) (\S+)", done.stdout
    ).groups()
    assert int(failed) == 0, done.stdout[-3000:]
    assert int(attempted) >= 40  # every module's examples were found
    expected = pathlib.Path(nda_tf.__file__).resolve()
    assert pathlib.Path(where).resolve() == expected


def _readme_first_command():
    """The README's first command, after its install step."""
    readme = (ROOT / "README.md").read_text()
    line = next(
        line.strip()
        for line in readme.splitlines()
        if "nda_tf.experiments.gan --dataset=dots" in line
    )
    command = line.split(" && ")[-1].split()
    assert command[:3] == [".venv/bin/python", "-m", "nda_tf.experiments.gan"]
    return command[2:]


def test_the_readme_first_command_runs_without_any_extra(tmp_path):
    arguments = [
        f"--logdir={tmp_path / 'runs/dots'}" if a.startswith("--logdir") else a
        for a in _readme_first_command()
    ]
    done = _run(_module_command(*arguments), tmp_path, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    samples = sorted(p.name for p in (tmp_path / "runs/dots/samples").iterdir())
    assert samples == ["step_0000100.png", "step_0000200.png"]


def test_a_command_that_needs_an_extra_names_it_in_one_line(tmp_path):
    command = _module_command("nda_tf.experiments.ood", "--logdir=runs/none")
    done = _run(command, tmp_path)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert (done.returncode, lines) == (
        1,
        [
            'nda_tf.experiments.ood: error: this command needs the "ood" '
            "extra: pip install \"nda_tf[ood]\" (no module 'sklearn')"
        ],
    )
