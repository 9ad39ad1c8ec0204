"""`import nda_tf.eval` is free of side effects and heavy imports.

Each check runs in a fresh interpreter, since this one has long imported
TensorFlow (which itself imports scikit-learn, SciPy and pyplot).
"""

import json
import os
import subprocess
import sys

import pytest

import nda_tf.eval

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
HEAVY = ("tensorflow", "sklearn", "scipy", "matplotlib", "matplotlib.pyplot")


def _run(code):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_import_loads_no_heavy_module():
    loaded = _run(
        "import json, sys\n"
        "import nda_tf.eval\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert loaded == []


def test_writing_figures_keeps_the_users_backend(tmp_path):
    # "pdf" is a backend nobody picks by accident: the old import-time
    # matplotlib.use("Agg") would have replaced it.
    result = _run(
        "import json, sys\n"
        "import matplotlib\n"
        "matplotlib.use('pdf')\n"
        "import nda_tf.eval\n"
        "after_import = matplotlib.get_backend()\n"
        "from nda_tf.eval import counting\n"
        "from nda_tf.eval.ood import detection, report\n"
        "found = detection.OODReport([1.0, 2.0], {'x': [0.0, 1.5]},\n"
        "                            differences=[0.5, -0.1], transform='t')\n"
        f"paths = report.write(found, {str(tmp_path)!r})\n"
        "summary = counting.summarize_counts([1, 2], target=2)\n"
        f"counting.plot_counts({{'a': summary}}, {str(tmp_path)!r} + "
        "'/counts.png')\n"
        "print(json.dumps([after_import, matplotlib.get_backend(),\n"
        "                  sorted(paths)]))"
    )
    assert result == [
        "pdf",
        "pdf",
        [
            *("csv", "difference", "difference_values", "differences"),
            *("json", "markdown", "roc", "scores"),
        ],
    ]
    for name in ("roc", "scores", "difference", "counts"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_every_listed_name_resolves_and_dir_lists_them():
    for name in nda_tf.eval.__all__:
        value = getattr(nda_tf.eval, name)
        owner = getattr(value, "__module__", None) or value.__name__
        assert owner.startswith("nda_tf.eval"), (name, owner)
    assert set(nda_tf.eval.__all__) <= set(dir(nda_tf.eval))
    assert nda_tf.eval.EvaluationCallback is (
        nda_tf.eval.callback.EvaluationCallback
    )
    with pytest.raises(AttributeError, match="'nda_tf.eval'.*'fidd'"):
        nda_tf.eval.fidd  # noqa: B018
