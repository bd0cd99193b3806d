"""Write ``data.pkl`` as ``torch.save`` does: pickle protocol 2, tensors as calls to
``torch._utils._rebuild_tensor_v2`` on storages named by persistent ids, so that ``torch.load`` with its
default ``weights_only=True`` reads the file.

The opcodes are emitted by hand (the standard pickler would import ``torch`` to name its functions, and
chaingrad runs without it). Only data goes in: numbers, strings, bytes, None, tuples, lists, dicts,
OrderedDict, Counter, sets, dtypes, ``Size``, tensors and NumPy arrays (stored as tensors).
"""

from __future__ import annotations

import pickle
import struct
from collections import Counter, OrderedDict, defaultdict
from typing import Any

import numpy as np

from .storage import STORAGE_OF_DTYPE, StorageWindow, window_of

OP = pickle  # the opcode constants (pickle.MARK, pickle.BINPUT ...) are bytes


class Storage:
    """One storage of the file: its key (``data/<key>``) and its bytes."""

    __slots__ = ("key", "block", "type_name")

    def __init__(self, key: str, block: np.ndarray, type_name: str) -> None:
        self.key, self.block, self.type_name = key, block, type_name


class TorchPickler:
    """Pickle one object into bytes; ``storages`` lists the storages its tensors refer to, in order."""

    def __init__(self, legacy: bool = False) -> None:
        self.out: list[bytes] = []
        self.memo: dict[Any, int] = {}  # id(obj) or ("global", name) -> memo slot
        self._keep: list[Any] = []  # objects whose id is in the memo stay alive while pickling
        self.storages: list[Storage] = []
        self._storage_keys: dict[int, tuple[str, np.dtype]] = {}  # id(owner block) -> (key, dtype)
        self._legacy = legacy  # torch's pre-zip format puts a sixth field (view metadata) in storage ids
        self._in_progress: set[int] = set()

    def dumps(self, obj: Any) -> bytes:
        self.out = [OP.PROTO + b"\x02"]
        self._save(obj, "obj")
        self.out.append(OP.STOP)
        return b"".join(self.out)

    # -- the memo ----------------------------------------------------------------------------------
    def _put(self, key: Any, obj: Any = None) -> None:
        slot = len(self.memo)
        self.memo[key] = slot
        if obj is not None:
            self._keep.append(obj)
        self.out.append(OP.BINPUT + bytes([slot]) if slot < 256 else OP.LONG_BINPUT + struct.pack("<I", slot))

    def _get(self, key: Any) -> bool:
        slot = self.memo.get(key)
        if slot is None:
            return False
        self.out.append(OP.BINGET + bytes([slot]) if slot < 256 else OP.LONG_BINGET + struct.pack("<I", slot))
        return True

    # -- values ------------------------------------------------------------------------------------
    def _save(self, obj: Any, where: str) -> None:
        from ..tensor import Size, Tensor

        if obj is None:
            self.out.append(OP.NONE)
        elif obj is True or obj is False:
            self.out.append(OP.NEWTRUE if obj else OP.NEWFALSE)
        elif isinstance(obj, int) and type(obj) in (int, bool) or isinstance(obj, np.integer):
            self._int(int(obj))
        elif isinstance(obj, float) and type(obj) is float or isinstance(obj, np.floating):
            self.out.append(OP.BINFLOAT + struct.pack(">d", float(obj)))
        elif isinstance(obj, np.bool_):
            self._save(bool(obj), where)
        elif type(obj) is str:
            self._str(obj)
        elif isinstance(obj, Tensor):
            self._tensor(obj, where)
        elif isinstance(obj, np.ndarray):
            from ..ops.creation import from_numpy

            if obj.dtype.kind not in "biuf":
                raise _refusal(obj, where)
            self._tensor(from_numpy(obj), where)
        elif isinstance(obj, Size):
            self._reduce("torch", "Size", (tuple(obj),), obj, where)
        elif type(obj) is tuple:
            self._tuple(obj, where)
        elif type(obj) is list:
            self._list(obj, where)
        elif type(obj) is OrderedDict:
            self._ordered_dict(obj, where)
        elif type(obj) is Counter:
            self._reduce("collections", "Counter", (dict(obj),), obj, where)
        elif type(obj) in (dict, defaultdict):
            self._dict(obj, where)
        elif type(obj) is set:
            self._reduce("__builtin__", "set", (list(obj),), obj, where)
        elif type(obj) is bytes:
            self._reduce("_codecs", "encode", (obj.decode("latin-1"), "latin1"), obj, where)
        elif type(obj) is complex:
            self._reduce("__builtin__", "complex", (obj.real, obj.imag), obj, where)
        else:
            from .._dtype import dtype as DType

            if isinstance(obj, DType):
                self._global("torch", obj.name)
            else:
                raise _refusal(obj, where)

    def _int(self, n: int) -> None:
        if 0 <= n < 256:
            self.out.append(OP.BININT1 + bytes([n]))
        elif 0 <= n < 65536:
            self.out.append(OP.BININT2 + struct.pack("<H", n))
        elif -(2 ** 31) <= n < 2 ** 31:
            self.out.append(OP.BININT + struct.pack("<i", n))
        else:
            data = pickle.encode_long(n)
            self.out.append((OP.LONG1 + bytes([len(data)]) if len(data) < 256 else
                             OP.LONG4 + struct.pack("<i", len(data))) + data)

    def _str(self, s: str) -> None:
        if self._get(id(s)):
            return
        data = s.encode("utf-8", "surrogatepass")
        self.out.append(OP.BINUNICODE + struct.pack("<I", len(data)) + data)
        self._put(id(s), s)

    def _global(self, module: str, name: str) -> None:
        key = ("global", module, name)
        if not self._get(key):
            self.out.append(OP.GLOBAL + f"{module}\n{name}\n".encode())
            self._put(key)

    def _tuple(self, t: tuple, where: str) -> None:
        if self._get(id(t)):
            return
        if id(t) in self._in_progress:
            raise ValueError(f"chaingrad.save: {where} is a tuple that contains itself; such recursive "
                             "structures cannot be saved")
        self._in_progress.add(id(t))
        if not t:
            self.out.append(OP.EMPTY_TUPLE)
        else:
            if len(t) > 3:
                self.out.append(OP.MARK)
            for i, v in enumerate(t):
                self._save(v, f"{where}[{i}]")
            self.out.append({1: OP.TUPLE1, 2: OP.TUPLE2, 3: OP.TUPLE3}.get(len(t), OP.TUPLE))
        self._in_progress.discard(id(t))
        if t:
            self._put(id(t), t)

    def _list(self, items: list, where: str) -> None:
        if self._get(id(items)):
            return
        self.out.append(OP.EMPTY_LIST)
        self._put(id(items), items)
        for start in range(0, len(items), 1000):  # batches as the standard pickler makes them
            batch = items[start:start + 1000]
            if len(batch) > 1:
                self.out.append(OP.MARK)
            for i, v in enumerate(batch, start):
                self._save(v, f"{where}[{i}]")
            self.out.append(OP.APPENDS if len(batch) > 1 else OP.APPEND)

    def _items(self, d: dict, where: str) -> None:
        pairs = list(d.items())
        for start in range(0, len(pairs), 1000):
            batch = pairs[start:start + 1000]
            if len(batch) > 1:
                self.out.append(OP.MARK)
            for k, v in batch:
                self._save(k, f"{where} key {k!r}")
                self._save(v, f"{where}[{k!r}]")
            self.out.append(OP.SETITEMS if len(batch) > 1 else OP.SETITEM)

    def _dict(self, d: dict, where: str) -> None:
        if self._get(id(d)):
            return
        self.out.append(OP.EMPTY_DICT)
        self._put(id(d), d)
        self._items(d, where)

    def _ordered_dict(self, d: OrderedDict, where: str) -> None:
        """``OrderedDict()`` then its items, then its attributes (a state dict's ``_metadata``) by BUILD."""
        if self._get(id(d)):
            return
        self._global("collections", "OrderedDict")
        self.out.append(OP.EMPTY_TUPLE + OP.REDUCE)
        self._put(id(d), d)
        self._items(d, where)
        attributes = getattr(d, "__dict__", None)
        if attributes:
            self._save(dict(attributes), f"{where} attributes")
            self.out.append(OP.BUILD)

    def _reduce(self, module: str, name: str, args: tuple, obj: Any, where: str) -> None:
        if self._get(id(obj)):
            return
        self._global(module, name)
        self._save(args, where)
        self.out.append(OP.REDUCE)
        self._put(id(obj), obj)

    # -- tensors -----------------------------------------------------------------------------------
    def _tensor(self, t: Any, where: str) -> None:
        if self._get(id(t)):
            return
        array = np.asarray(t._data)
        type_name = STORAGE_OF_DTYPE.get(array.dtype.newbyteorder("="))
        if type_name is None:
            raise _refusal(t, where)
        is_parameter = type(t).__name__ == "Parameter"
        if is_parameter:  # torch.nn.Parameter pickles as _rebuild_parameter(data, requires_grad, hooks)
            self._global("torch._utils", "_rebuild_parameter")
            self.out.append(OP.MARK)
        window = window_of(array)
        self._global("torch._utils", "_rebuild_tensor_v2")
        self.out.append(OP.MARK)
        self._storage_id(window, type_name)
        self._int(window.offset)
        self._save(tuple(int(n) for n in window.shape), where)
        self._save(tuple(int(s) for s in window.strides), where)
        self.out.append(OP.NEWTRUE if t.requires_grad and not is_parameter else OP.NEWFALSE)
        self._empty_ordered_dict()
        self.out.append(OP.TUPLE + OP.REDUCE)
        if is_parameter:
            self.out.append(OP.NEWTRUE if t.requires_grad else OP.NEWFALSE)
            self._empty_ordered_dict()
            self.out.append(OP.TUPLE + OP.REDUCE)
        self._put(id(t), t)

    def _empty_ordered_dict(self) -> None:
        self._global("collections", "OrderedDict")
        self.out.append(OP.EMPTY_TUPLE + OP.REDUCE)

    def _storage_id(self, window: StorageWindow, type_name: str) -> None:
        """``('storage', torch.<Type>Storage, key, 'cpu', numel)`` as a persistent id (BINPERSID)."""
        dtype = window.block.dtype
        known = self._storage_keys.get(id(window.owner))
        if known is not None and known[1] != dtype:
            # one block viewed as two dtypes: torch cannot load that, so this tensor gets its own copy
            compact = _materialize(window)
            window = StorageWindow(compact, compact.reshape(-1), 0, compact.shape,
                                   tuple(s // dtype.itemsize for s in compact.strides))
            known = None
        if known is None:
            key = str(len(self.storages))
            self._storage_keys[id(window.owner)] = (key, dtype)
            self._keep.append(window.owner)
            self.storages.append(Storage(key, window.block, type_name))
        else:
            key = known[0]
        self.out.append(OP.MARK)
        self._str_value("storage")
        self._global("torch", type_name)
        self._str_value(key)
        self._str_value("cpu")
        self._int(int(window.block.size))
        if self._legacy:
            self.out.append(OP.NONE)
        self.out.append(OP.TUPLE + OP.BINPERSID)

    def _str_value(self, s: str) -> None:
        """A string memoized by value (the ids' fixed words repeat for every tensor)."""
        key = ("str", s)
        if not self._get(key):
            data = s.encode()
            self.out.append(OP.BINUNICODE + struct.pack("<I", len(data)) + data)
            self._put(key)


def _materialize(window: StorageWindow) -> np.ndarray:
    from .storage import view_on

    return view_on(window.block, window.offset, window.shape, window.strides).copy()


def _refusal(obj: Any, where: str) -> TypeError:
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    detail = ""
    if isinstance(obj, np.ndarray) or hasattr(obj, "_data"):
        dtype = getattr(obj, "dtype", None)
        detail = f" with dtype {dtype}"
    return TypeError(
        f"chaingrad.save: cannot save {where} of type {kind}{detail}; it stores tensors and NumPy arrays of "
        "numbers or booleans, Python numbers, strings, bytes, None, dtypes, and tuples/lists/dicts/"
        "OrderedDicts/sets of them (save a module or optimizer through its state_dict())")
