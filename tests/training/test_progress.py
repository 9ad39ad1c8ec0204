"""The progress line: fresh metrics every log_every steps, and no terminal
control codes in redirected output (ours or Keras')."""

import ast
import io
import pathlib
import re

from nda_tf import training
from tests.training.test_loop import GAN, GAN_TINY, options


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _d_losses(text, separator):
    """The d_loss shown at each step, by step."""
    found = {}
    for line in text.split(separator):
        step = re.match(r"step (\d+)/", line)
        loss = re.search(r"d_loss (\S+)", line)
        if step:
            found[int(step.group(1))] = loss and float(loss.group(1))
    return found


def test_metrics_refresh_every_log_every_steps(tmp_path):
    terminal = Terminal()
    training.train(
        GAN,
        dict(GAN_TINY, steps=5, eval_every=100),
        str(tmp_path / "run"),
        options(progress=True, progress_stream=terminal, log_every=2),
    )
    shown = _d_losses(terminal.getvalue(), "\r")
    assert list(shown) == [1, 2, 3, 4, 5]
    # Nothing logged yet at step 1; step 3 shows step 2's values.
    assert shown[1] is None and shown[2] == shown[3]
    assert len({shown[2], shown[4], shown[5]}) == 3


def test_off_a_terminal_whole_lines_without_control_codes():
    log = io.StringIO()
    bar = training.Progress(5, stream=log, log_every_s=30.0)
    for step in range(1, 6):
        bar.update(step, {"d_loss": step / 10})
    text = log.getvalue()
    assert "\r" not in text and "\x1b" not in text
    # The first line, then none within 30 s but the last.
    assert [line.split(" [")[0] for line in text.splitlines()] == [
        "step 1/5",
        "step 5/5",
    ]
    assert _d_losses(text, "\n") == {1: 0.1, 5: 0.5}


def test_keras_loops_in_nda_tf_draw_no_progress_bars():
    """Keras' verbose=1 bar (the default) writes ANSI codes even into
    files; every fit / predict / evaluate of a Keras model in the package
    passes verbose 0 or 2 (one plain line per epoch)."""
    root = pathlib.Path(__file__).resolve().parents[2] / "nda_tf"
    calls = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("fit", "predict", "evaluate")
            ):
                verbose = [k.value for k in node.keywords if k.arg == "verbose"]
                receiver = ast.unparse(node.func.value)
                calls.append((f"{path.name}:{node.lineno}", receiver, verbose))
    keras_calls = [c for c in calls if c[2]]
    assert keras_calls, "no Keras fit/predict found: the scan is broken"
    for where, _, (value,) in keras_calls:
        assert not (
            isinstance(value, ast.Constant) and value.value in (1, "auto")
        ), where
    # The calls without a verbose argument are our own objects' methods (an
    # evaluation callback, the OOD detection measures, a serving client),
    # the video probe's scikit-learn classifier or pycocotools' COCOeval
    # (`evaluation`, the detection AP), not Keras'.
    unverbose = [(w, r) for w, r, verbose in calls if not verbose]
    allowed = ("self", "detection", "measure", "probe", "evaluation")
    assert unverbose and all(r in allowed for _, r in unverbose), unverbose
