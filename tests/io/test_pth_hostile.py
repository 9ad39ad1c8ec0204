"""The .pth reader on hostile files (tests/fixtures/pth_hostile): each one
is refused with one line naming the file and what is wrong, runs nothing,
reads nothing outside its storages and inflates nothing."""

import importlib.util
import os
import pathlib
import pickle
import re
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from nda_tf.io import pth

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures"
HOSTILE = FIXTURES / "pth_hostile"
GENUINE = FIXTURES / "pth_genuine" / "state_zip.pth"


def _make_module():
    spec = importlib.util.spec_from_file_location(
        "pth_hostile_make", HOSTILE / "make.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = _make_module()


def test_the_corpus_is_committed_whole():
    assert {path.stem for path in HOSTILE.glob("*.pth")} == set(MAKE.CASES)


@pytest.mark.parametrize("case", list(MAKE.CASES))
def test_a_hostile_file_is_refused_in_one_line(case, tmp_path, monkeypatch):
    _, kind, pattern, _ = MAKE.CASES[case]
    path = HOSTILE / f"{case}.pth"
    monkeypatch.chdir(tmp_path)  # where a payload would leave its marker
    tracemalloc.start()
    try:
        with pytest.raises(getattr(pth, kind)) as error:
            pth.load_state_dict(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(error.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    assert re.search(pattern, message), message
    assert error.value.path == str(path)
    assert os.listdir(tmp_path) == []  # no payload ran
    # The bombs declare gigabytes, or inflate to 16 MiB: none of it is
    # allocated, nor any view of memory outside the file's storages.
    assert peak < 2**21, f"{case}: {peak:,} bytes allocated"


def test_the_code_payloads_are_armed(tmp_path):
    """Read as the old reader read the legacy header (a plain pickle.load
    of each pickle), each payload runs: the refusals above are real."""
    armed = [name for name, (*_, runs) in MAKE.CASES.items() if runs]
    script = (
        "import pickle, sys, zipfile\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        if zipfile.is_zipfile(path):\n"
        "            with zipfile.ZipFile(path) as archive:\n"
        "                pickle.loads(archive.read('m/data.pkl'))\n"
        "        else:\n"
        "            with open(path, 'rb') as stream:\n"
        "                while True:\n"
        "                    pickle.load(stream)\n"
        "    except Exception:\n"
        "        pass\n"
    )
    paths = [str(HOSTILE / f"{name}.pth") for name in armed]
    subprocess.run(
        [sys.executable, "-c", script, *paths],
        cwd=tmp_path,
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert sorted(os.listdir(tmp_path)) == sorted(map(MAKE.marker, armed))


def test_the_errors_keep_their_old_classes():
    """Callers caught pickle.UnpicklingError (code refused) and ValueError
    (everything else); both still catch."""
    assert issubclass(pth.UnsafePthError, pickle.UnpicklingError)
    for kind in (
        pth.UnsafePthError,
        pth.MalformedPthError,
        pth.OversizedPthError,
    ):
        assert issubclass(kind, pth.PthError)
        assert issubclass(kind, ValueError)
        error = pickle.loads(pickle.dumps(kind("f.pth", "why")))
        assert (type(error), str(error)) == (kind, "f.pth: why")


def test_max_bytes_bounds_a_genuine_file():
    assert len(pth.load_state_dict(GENUINE, max_bytes=2**20)) == 23
    with pytest.raises(pth.OversizedPthError, match="above max_bytes=100"):
        pth.load_state_dict(GENUINE, max_bytes=100)


def test_the_number_of_tensors_is_bounded(monkeypatch):
    monkeypatch.setattr(pth, "_MAX_TENSORS", 3)
    with pytest.raises(pth.OversizedPthError, match="of 3 tensors has"):
        pth.load_state_dict(GENUINE)  # its zip directory, first
    legacy = GENUINE.with_name("state_legacy.pth")
    with pytest.raises(pth.OversizedPthError, match="more than 3 storages"):
        pth.load_state_dict(legacy)


def test_a_tensor_seen_twice_is_one_array(tmp_path):
    """A pickle may name one tensor twice (memo): one array, counted once."""
    value = MAKE.tensor((4,), (1,))
    pickled = (
        MAKE.PROTO2
        + MAKE.ordered_dict((MAKE.text("a"), value + b"q\x00"))
        + b"(X\x01\x00\x00\x00bh\x00u"  # "b": the memo's tensor again
        + MAKE.STOP
    )
    path = tmp_path / "twice.pth"
    path.write_bytes(MAKE.zip_file(pickled))
    loaded = pth.load_state_dict(path, max_bytes=16)
    assert loaded["a"] is loaded["b"]
    np.testing.assert_array_equal(loaded["a"], [1.0, 2.0, 3.0, 4.0])


def _legacy_view_file(path, start, size, shape):
    """A legacy file whose tensor sits on a storage view (torch < 0.4 saved
    them): elements [start, start + size) of a 4-float storage."""
    m = MAKE
    view = m.tuple_(m.text("9"), m.integer(start), m.integer(size))
    pid = m.storage(legacy=True)[:-3] + view + b"tQ"  # replaces the None
    value = m.call(
        m.global_("torch._utils", "_rebuild_tensor_v2"),
        pid,
        m.integer(0),
        m.tuple_(*map(m.integer, shape)),
        m.tuple_(m.integer(1)),
    )
    path.write_bytes(m.legacy_file(m.state(("w", value))))
    return path


def test_legacy_storage_views_read_and_are_bounded(tmp_path):
    inside = _legacy_view_file(tmp_path / "a.pth", 1, 2, (2,))
    np.testing.assert_array_equal(pth.load_state_dict(inside)["w"], [2, 3])
    past_view = _legacy_view_file(tmp_path / "b.pth", 1, 2, (3,))
    with pytest.raises(pth.MalformedPthError, match="reads element 2 of"):
        pth.load_state_dict(past_view)  # inside the storage, not the view
    past_root = _legacy_view_file(tmp_path / "c.pth", 3, 2, (1,))
    with pytest.raises(pth.MalformedPthError, match="ends past its 4"):
        pth.load_state_dict(past_root)
