"""The torch-free .pth reader, on files written here in torch's layouts."""

import collections
import io
import pathlib
import pickle
import struct
import sys
import types
import zipfile

import numpy as np
import pytest

from nda_tf.io import pth

GENUINE = pathlib.Path(__file__).parents[1] / "fixtures" / "pth_genuine"


class _Storage:
    def __init__(self, key, array):
        self.key, self.array = key, array


class _Tensor:
    def __init__(self, storage, offset, shape, stride):
        self.args = (storage, offset, shape, stride)

    def __reduce__(self):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        storage, offset, shape, stride = self.args
        return rebuild, (
            storage,
            offset,
            shape,
            stride,
            False,
            collections.OrderedDict(),
        )


@pytest.fixture
def fake_torch(monkeypatch):
    """Module names that pickle records as torch's own (no torch needed)."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("only pickled, never called")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    classes = {}
    for name in ("FloatStorage", "LongStorage", "HalfStorage"):
        classes[name] = type(name, (), {"__module__": "torch"})
        classes[name].__qualname__ = name
        setattr(torch, name, classes[name])
    torch._utils = utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return classes


_KINDS = {
    np.dtype("float32"): "FloatStorage",
    np.dtype("int64"): "LongStorage",
    np.dtype("float16"): "HalfStorage",
}


class _Pickler(pickle.Pickler):
    def __init__(self, stream, classes, legacy):
        super().__init__(stream, protocol=2)
        self.classes, self.legacy = classes, legacy

    def persistent_id(self, obj):
        if not isinstance(obj, _Storage):
            return None
        kind = self.classes[_KINDS[obj.array.dtype]]
        pid = ("storage", kind, obj.key, "cpu", obj.array.size)
        return pid + (None,) if self.legacy else pid


def _state_dict():
    """Tensors sharing a storage, an offset, a transposed view, a scalar."""
    weights = np.arange(24, dtype=np.float32) * 0.5 - 3.0
    shared = _Storage("7", weights)
    steps = _Storage("9", np.array([12345], np.int64))
    half = _Storage("3", np.array([1.5, -2.0, 0.25], np.float16))
    tensors = collections.OrderedDict(
        [
            ("conv.weight", _Tensor(shared, 0, (2, 3, 2, 2), (12, 4, 2, 1))),
            ("linear.weight_t", _Tensor(shared, 4, (3, 4), (1, 3))),
            ("bn.num_batches_tracked", _Tensor(steps, 0, (), ())),
            ("half", _Tensor(half, 1, (2,), (1,))),
        ]
    )
    expected = {
        "conv.weight": weights.reshape(2, 3, 2, 2),
        "linear.weight_t": weights[4:16].reshape(4, 3).T,
        "bn.num_batches_tracked": np.int64(12345),
        "half": np.array([-2.0, 0.25], np.float16),
    }
    return tensors, [shared, steps, half], expected


def _write_zip(path, classes):
    tensors, storages, expected = _state_dict()
    buffer = io.BytesIO()
    _Pickler(buffer, classes, legacy=False).dump(tensors)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model/data.pkl", buffer.getvalue())
        archive.writestr("model/byteorder", "little")
        archive.writestr("model/version", "3\n")
        for storage in storages:
            archive.writestr(
                f"model/data/{storage.key}", storage.array.tobytes()
            )
    return expected


def _write_legacy(path, classes):
    tensors, storages, expected = _state_dict()
    with open(path, "wb") as stream:
        for header in (
            0x1950A86A20F9469CFC6C,
            1001,
            {"protocol_version": 1001, "little_endian": True},
        ):
            pickle.dump(header, stream, protocol=2)
        _Pickler(stream, classes, legacy=True).dump(tensors)
        pickle.dump([s.key for s in storages], stream, protocol=2)
        for storage in storages:
            stream.write(struct.pack("<q", storage.array.size))
            stream.write(storage.array.tobytes())
    return expected


@pytest.mark.parametrize("writer", [_write_zip, _write_legacy])
def test_reads_tensors_exactly(tmp_path, fake_torch, writer):
    path = tmp_path / "weights.pth"
    expected = writer(path, fake_torch)
    sys.modules.pop("torch")  # the reader must not need it
    loaded = pth.load_state_dict(path)
    assert list(loaded) == list(expected)
    for name, value in expected.items():
        assert loaded[name].dtype == value.dtype, name
        np.testing.assert_array_equal(loaded[name], value, err_msg=name)


@pytest.mark.parametrize("layout", ["zip", "legacy"])
def test_reads_files_torch_wrote_exactly(layout):
    """`torch.save`'s own files (tests/fixtures/pth_genuine/make.py): all
    dtypes, views sharing a storage, stride 0, empty and 0-d tensors."""
    loaded = pth.load_state_dict(GENUINE / f"state_{layout}.pth")
    with np.load(GENUINE / "expected.npz") as expected:
        assert list(loaded) == list(expected)
        for name in expected:
            value = expected[name]
            assert loaded[name].dtype == value.dtype, name
            assert loaded[name].shape == value.shape, name
            np.testing.assert_array_equal(loaded[name], value, err_msg=name)
    assert isinstance(loaded["1.num_batches_tracked"], np.int64)
    assert loaded["1.num_batches_tracked"] == 1
    # Copies, not views of the file's bytes.
    assert all(
        value.flags.writeable
        for value in loaded.values()
        if isinstance(value, np.ndarray)
    )


def test_refuses_code_in_the_pickle(tmp_path):
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("m/data.pkl", pickle.dumps(print, protocol=2))
    with pytest.raises(
        pickle.UnpicklingError, match="refusing to load .*print"
    ):
        pth.load_state_dict(path)


def test_rejects_files_of_other_formats(tmp_path):
    path = tmp_path / "not.pth"
    path.write_bytes(b"\x00" * 32)
    with pytest.raises(ValueError, match="neither a zip nor"):
        pth.load_state_dict(path)
