"""Extras: what `pip install nda_tf` leaves out, and the one line that
names the extra when a command or function needs it (issue 26).

The packages of an extra are hidden (tests/hidden_modules.py) in a fresh
interpreter, which then stands for an install without that extra.
"""

import importlib.metadata
import os
import pathlib
import re
import subprocess
import sys

import pytest

from nda_tf import extras

ROOT = pathlib.Path(__file__).resolve().parents[1]
HIDE_ALL = sorted({m for modules in extras.MODULES.values() for m in modules})


def _run(hidden, module, *arguments):
    """`python -m tests.hidden_modules` in a fresh interpreter: (exit
    status, stderr lines, whether TensorFlow was imported)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.hidden_modules", ",".join(hidden)]
        + [module, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    imported = re.search(r"TENSORFLOW_IMPORTED=(\w+)", done.stdout)
    assert imported, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return done.returncode, lines, imported.group(1) == "True"


def _line(prog, what, extra, module):
    return (
        f'{prog}: error: {what} needs the "{extra}" extra: pip install '
        f"\"nda_tf[{extra}]\" (no module '{module}')"
    )


# Command, its arguments, the extra it needs. Each is run with that
# extra's packages hidden.
COMMANDS = [
    ("ood", ["--logdir=runs/none"], "ood"),
    ("real_study", ["--action=report"], "ood"),
    ("numerosity", [], "studies"),
    ("clevr_counter", [], "studies"),
    ("nda_distance", ["--logdirs=runs/none"], "studies"),
    ("demo", [], "studies"),
    ("export", ["--logdir=runs/none", "--out=serving"], "serving"),
    ("dpc", [], "video"),
    ("video_finetune", [], "video"),
    ("detect", [], "detection"),
]


@pytest.mark.parametrize(("command", "arguments", "extra"), COMMANDS)
def test_a_command_without_its_extra_stops_in_one_line_naming_it(
    command, arguments, extra
):
    prog = f"nda_tf.experiments.{command}"
    status, lines, tensorflow = _run(extras.MODULES[extra], prog, *arguments)
    first = extras.MODULES[extra][0]
    assert (status, lines) == (1, [_line(prog, "this command", extra, first)])
    assert not tensorflow, "stopped before any work"


@pytest.mark.parametrize(
    ("command", "arguments", "what"),
    [
        ("gan", ["--dataset=dots", "--export_dir=serving"], "--export_dir"),
        ("score", ["--grpc=localhost:1", "--model_name=m", "x.png"], "--grpc"),
    ],
)
def test_a_flag_that_needs_serving_stops_in_one_line(command, arguments, what):
    prog = f"nda_tf.experiments.{command}"
    status, lines, tensorflow = _run(
        extras.MODULES["serving"], prog, *arguments
    )
    line = _line(prog, what, "serving", "tensorflow_serving")
    assert (status, lines, tensorflow) == (1, [line], False)


def test_the_transforms_picture_by_its_old_name_without_its_extra(tmp_path):
    # The old name runs the command nda_tf.experiments.demo, which answers
    # (after the TensorFlow start-up of nda_tf.transforms, the old name's
    # package).
    status, lines, _ = _run(
        extras.MODULES["studies"],
        "nda_tf.transforms.demo",
        f"--out={tmp_path / 'x.png'}",
    )
    assert status == 1
    prog = "nda_tf.experiments.demo"
    assert lines[-1] == _line(prog, "this command", "studies", "scipy")
    assert not (tmp_path / "x.png").exists()


# Library code, with every extra hidden (the core install): each call
# raises a MissingExtraError whose message names the extra it needs.
LIBRARY = """
import numpy as np
from nda_tf import extras

def attempt(what, call):
    try:
        call()
    except extras.MissingExtraError as error:
        print(f"{what}|{error}")

def auroc():
    from nda_tf.eval.ood import detection
    detection.auroc(np.ones(3), np.zeros(3))

def corrupt():
    from nda_tf.eval.ood import corruptions
    corruptions.corrupt(np.zeros([32, 32, 3], np.uint8), "fog", 5,
                        np.random.default_rng(0))

def count_dots():
    from nda_tf.eval import counting
    counting.count_dots(np.zeros([1, 32, 32, 3], np.uint8))

def video(path=VIDEO):
    from nda_tf.data import video
    video.read_video(path)

attempt("auroc", auroc)
attempt("ood_report", lambda: __import__("nda_tf.eval.ood.report"))
attempt("corrupt", corrupt)
attempt("count_dots", count_dots)
attempt("warmup", lambda: __import__("nda_tf.export").export.servable
        .predict_log("m", "serving_default", {"x": np.zeros(1)}))
attempt("export_run", lambda: __import__("nda_tf.training").training
        .export_run(__import__("nda_tf.gan.recipe").gan.recipe.GAN,
                    "runs/none", "serving"))
attempt("video_probe", lambda: __import__("nda_tf.video.evaluation"))
attempt("read_video", video)
attempt("detection_ap", lambda: __import__("nda_tf.eval.detection").eval
        .detection.average_precision(
            {"boxes": [[[0, 0, 1, 1]]], "labels": [[0]]},
            {"boxes": [[[0, 0, 1, 1]]], "scores": [[1]], "labels": [[0]]}))
attempt("grpc", lambda: __import__("nda_tf.serving.client").serving.client
        .GrpcClient("localhost:8500", "m"))
"""


def test_library_code_names_the_extra_it_needs(tmp_path):
    script = tmp_path / "library.py"
    script.write_text(
        LIBRARY.replace("VIDEO", repr(str(tmp_path / "clip.mp4")))
    )
    (tmp_path / "clip.mp4").write_bytes(b"not read")
    done = subprocess.run(
        [sys.executable, "-c", _hiding_prelude() + script.read_text()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = dict(line.split("|", 1) for line in done.stdout.splitlines())
    expected = {
        "auroc": ("ood", "nda_tf.eval.ood.detection", "sklearn"),
        "ood_report": ("ood", "nda_tf.eval.ood.report", "matplotlib"),
        "corrupt": ("ood", "nda_tf.eval.ood.corruptions", "sklearn"),
        "count_dots": ("studies", "nda_tf.eval.counting", "scipy"),
        "warmup": ("serving", "nda_tf.export.servable", "tensorflow_serving"),
        "export_run": (
            "serving",
            "nda_tf.training.export_run",
            "tensorflow_serving",
        ),
        "video_probe": ("video", "nda_tf.video.evaluation", "sklearn"),
        "read_video": ("video", "nda_tf.data.video", "av"),
        "grpc": ("serving", "nda_tf.serving.client", "tensorflow_serving"),
        "detection_ap": ("detection", "nda_tf.eval.detection", "pycocotools"),
    }
    assert found == {
        what: (
            f'{module} needs the "{extra}" extra: pip install '
            f"\"nda_tf[{extra}]\" (no module '{missing}')"
        )
        for what, (extra, module, missing) in expected.items()
    }


def _hiding_prelude():
    return (
        f"from tests import hidden_modules\nhidden_modules.hide({HIDE_ALL!r})\n"
    )


def test_the_transforms_and_models_import_no_extra():
    """With every extra hidden, the core's packages import and a
    transform runs (the core install: also .ci/run's fresh install). The
    recipes import the export package for their export hook: it needs
    the "serving" extra only when a model is written."""
    code = _hiding_prelude() + (
        "import numpy as np\n"
        "import nda_tf.transforms as T, nda_tf.models, nda_tf.gan\n"
        "import nda_tf.training, nda_tf.data, nda_tf.eval.fid\n"
        "import nda_tf.export, nda_tf.gan.recipe, nda_tf.contrastive.recipe\n"
        "import nda_tf.translation.recipe\n"
        "out = T.get('jigsaw|stitch|cutout')(np.zeros([4, 8, 8, 3]))\n"
        "print(out.shape)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "(4, 8, 8, 3)"


def test_setup_reads_the_extras_from_their_one_home():
    setup = (ROOT / "setup.py").read_text()
    assert "extras.py" in setup and "extras_require()" not in setup
    extras_require = extras.extras_require()
    assert set(extras_require) == {*extras.REQUIREMENTS, *extras.TOOLS, "all"}
    assert set(extras.REQUIREMENTS) == set(extras.MODULES)
    everything = {r for reqs in extras.REQUIREMENTS.values() for r in reqs}
    assert sorted(extras_require["all"]) == sorted(everything)


def _name(requirement):
    return re.split(r"[<>=!~;\[ ]", requirement)[0].lower().replace("_", "-")


def _closure(names):
    """The distributions `names` install, with their dependencies."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for requirement in importlib.metadata.requires(name) or ():
            if "extra ==" not in requirement:
                todo.append(_name(requirement))
    return seen


def test_each_extra_installs_the_modules_it_is_missed_for():
    """Every module whose absence names an extra is installed by that
    extra's requirements (read from the installed distributions)."""
    providers = importlib.metadata.packages_distributions()
    for extra, modules in extras.MODULES.items():
        installed = _closure(_name(r) for r in extras.REQUIREMENTS[extra])
        for module in modules:
            names = {_name(d) for d in providers.get(module, ())}
            assert names & installed, (extra, module, names)


def test_an_unknown_extra_is_refused():
    with pytest.raises(ValueError, match="unknown extra 'vidoe'"):
        extras.require(["vidoe"], "x")
