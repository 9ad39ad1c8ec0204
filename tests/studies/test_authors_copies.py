"""The authors' study tool tells their saved copies apart by step.

Their loop numbers its copies with a counter that a resume sets back by
one, so a copy's number says nothing of its step (issue 24's study
converted copies as the wrong steps before this). The tool reads the
step from each copy's state dict without unpickling it.
"""

import os
import pickle
import zipfile

from tools import authors_biggan_study as study


class _Config:
    """Stands for their config object: a pickle of it is not a plain
    state dict, which is why the tool reads opcodes instead."""


def _state_dict(path, itr, save_num=0):
    # torch.save's layout: a zip archive holding NAME/data.pkl.
    state = {"itr": itr, "epoch": 2, "save_num": save_num, "c": _Config()}
    name = os.path.basename(path)[: -len(".pth")]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/data.pkl", pickle.dumps(state, protocol=2))


def test_saved_step_reads_itr_of_any_size(tmp_path):
    for itr in (0, 200, 4000, 70000, 2**40):
        path = str(tmp_path / "state_dict.pth")
        _state_dict(path, itr)
        assert study.saved_step(path) == itr


def test_saved_step_runs_nothing(tmp_path):
    # A pickle that would create a file if it were loaded.
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = str(tmp_path / "state_dict.pth")
    data = pickle.dumps({"x": Payload(), "itr": 500}, protocol=2)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("state_dict/data.pkl", data)
    assert study.saved_step(path) == 500
    assert not marker.exists()


def test_copies_by_step_follows_the_state_not_the_number(tmp_path):
    # Copy 2 was overwritten by the first save after a resume at 1500.
    for index, itr in ((0, 500), (1, 1000), (2, 2000)):
        _state_dict(str(tmp_path / f"state_dict_copy{index}.pth"), itr)
        (tmp_path / f"G_ema_copy{index}.pth").write_bytes(b"weights")
    # Copy 3's state is written but its G_ema (the save's last file) is
    # not yet: it is left out.
    _state_dict(str(tmp_path / "state_dict_copy3.pth"), 2500)
    ema = tmp_path / "G_ema_copy3.pth"
    ema.write_bytes(b"old")
    os.utime(ema, (0, 0))
    later = os.path.getmtime(tmp_path / "G_ema_copy2.pth") + 60
    copies = study.copies_by_step(str(tmp_path), now=later)
    assert copies == {500: 0, 1000: 1, 2000: 2}


def test_a_copy_whose_g_ema_is_being_written_is_left_out(tmp_path):
    # Its G_ema is newer than its state dict, but still growing: convert
    # would read it cut short.
    _state_dict(str(tmp_path / "state_dict_copy0.pth"), 500)
    ema = tmp_path / "G_ema_copy0.pth"
    ema.write_bytes(b"half of the weig")
    written = os.path.getmtime(ema)
    assert study.copies_by_step(str(tmp_path), now=written + 1) == {}
    settled = written + study.SETTLE_SECONDS
    assert study.copies_by_step(str(tmp_path), now=settled) == {500: 0}


def test_the_batch_reader_reads_arrays_and_runs_no_code(tmp_path):
    import io

    import numpy as np
    import pytest

    batch = {"data": np.arange(12, dtype=np.uint8), "labels": [0, 1]}
    record = study._ArraysOnly(io.BytesIO(pickle.dumps(batch))).load()
    assert record["labels"] == [0, 1]
    assert record["data"].tolist() == list(range(12))

    class Hostile:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "ran"),))

    with pytest.raises(pickle.UnpicklingError, match="system is not allowed"):
        study._ArraysOnly(io.BytesIO(pickle.dumps(Hostile()))).load()
    assert not (tmp_path / "ran").exists()
