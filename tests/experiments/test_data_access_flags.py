"""Every command that reads data takes --no_download and --bad_files and
applies them before its work."""

import importlib

import pytest

from nda_tf.data import downloads

COMMANDS = ("evaluate", "ood", "export", "linear_eval", "numerosity")


@pytest.fixture
def restore_download_setting():
    yield
    downloads.set_allowed(None)


@pytest.mark.parametrize("name", COMMANDS)
def test_no_download_is_applied_before_the_work(
    name,
    command_line,
    tmp_path,
    restore_download_setting,
):
    module = importlib.import_module(f"nda_tf.experiments.{name}")
    downloads.set_allowed(True)
    seen = {}

    def main(fv):
        # The command's own first lines; it then stops on the empty run
        # directory (or the bad counts), before any real work.
        try:
            module.main(fv)
        except Exception:  # noqa: BLE001 - the run directory is empty
            pass
        seen["allowed"] = downloads.allowed()

    args = ["--no_download", "--bad_files=skip", f"--logdir={tmp_path}"]
    if name == "export":
        args.append(f"--out={tmp_path / 'serving'}")
    if name == "numerosity":
        args.append("--negative_counts=x")  # stops it before its runs
    code = command_line((module.OPTIONS, main), args)
    assert code is None  # a clean exit
    assert seen == {"allowed": False}
