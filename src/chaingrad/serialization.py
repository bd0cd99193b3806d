"""``chaingrad.save`` / ``chaingrad.load``: tensors, state dicts and checkpoints in a file that cannot run code.

The file is a NumPy ``.npz`` archive: one ``.npy`` entry per array, plus ``__chaingrad__``, a UTF-8 JSON
description of the saved object (dicts, lists, tuples, numbers, strings, None, and references to the
arrays). Loading uses ``allow_pickle=False`` and never unpickles anything, so a crafted file cannot
execute code; pickle files (``pickle.dump``, ``torch.save``) are refused with an explanation.

Writes are atomic: the archive goes to a temporary file in the target's folder, is flushed and fsynced,
then renamed over the target, so a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from collections import Counter, OrderedDict, defaultdict
from typing import Any

import numpy as np

from .tensor import Tensor

FORMAT = "chaingrad-save"
VERSION = 1
_STRUCTURE = "__chaingrad__"


class _Encoder:
    """Turns an object into a JSON-able tree, collecting its arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._seen: dict[int, str] = {}
        self._path: list[str] = []

    def encode(self, obj: Any, where: str = "obj") -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            if math.isfinite(obj):
                return obj
            return {"$": "float", "value": repr(obj)}  # inf, -inf, nan (JSON has none of them)
        if isinstance(obj, Tensor):
            return self._tensor(obj, where)
        if isinstance(obj, np.ndarray):
            return {"$": "ndarray", "key": self._array(obj, obj, where)}
        if isinstance(obj, np.generic):
            return self.encode(obj.item(), where)
        if isinstance(obj, (dict, OrderedDict, Counter, defaultdict)):
            kind = {OrderedDict: "OrderedDict", Counter: "Counter"}.get(type(obj), "dict")
            items = [[self.encode(k, f"{where} key {k!r}"), self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()]
            if kind == "dict" and all(isinstance(k, str) for k in obj):
                return {"$": "dict", "items": items}
            return {"$": kind, "items": items}
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"$": "tuple", "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        from ._dtype import dtype as DType

        if isinstance(obj, DType):
            return {"$": "dtype", "name": obj.name}
        raise TypeError(
            f"chaingrad.save: cannot save {where} of type {type(obj).__module__}.{type(obj).__name__}; it stores "
            "tensors, NumPy arrays, numbers, strings, None, and dicts/lists/tuples of them (save a module or "
            "optimizer through its state_dict())")

    def _tensor(self, t: Tensor, where: str) -> dict:
        node = {"$": "tensor", "key": self._array(t, t._data, where)}
        if t.requires_grad:
            node["requires_grad"] = True
        if type(t) is not Tensor and type(t).__name__ == "Parameter":
            node["parameter"] = True
        return node

    def _array(self, owner: Any, array: np.ndarray, where: str) -> str:
        key = self._seen.get(id(owner))
        if key is None:  # the same tensor saved twice is stored once and loads as one object
            if array.dtype.kind not in "biuf":
                raise TypeError(f"chaingrad.save: cannot save {where}: arrays of dtype {array.dtype} are not "
                                "supported (numbers and booleans only)")
            key = f"a{len(self.arrays)}"
            self.arrays[key] = array
            self._seen[id(owner)] = key
        return key


class _Decoder:
    def __init__(self, arrays) -> None:
        self.arrays = arrays
        self._made: dict[str, Any] = {}

    def decode(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("$")
        if kind == "float":
            return float(node["value"])
        if kind == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if kind in ("dict", "OrderedDict", "Counter"):
            cls = {"dict": dict, "OrderedDict": OrderedDict, "Counter": Counter}[kind]
            return cls({self._key(self.decode(k)): self.decode(v) for k, v in node["items"]})
        if kind == "ndarray":
            return self._load_array(node["key"]).copy()
        if kind == "tensor":
            return self._tensor(node)
        if kind == "dtype":
            from ._dtype import to_dtype

            return to_dtype(node["name"])
        raise ValueError(f"chaingrad.load: unknown entry {kind!r} in the file's structure (written by a newer "
                         "chaingrad?)")

    @staticmethod
    def _key(key: Any) -> Any:
        return tuple(key) if isinstance(key, list) else key

    def _load_array(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def _tensor(self, node: dict) -> Tensor:
        key = node["key"]
        if key in self._made:
            return self._made[key]
        array = np.array(self._load_array(key))
        if node.get("parameter"):
            try:
                from .nn import Parameter

                t = Parameter(Tensor._wrap(array), requires_grad=bool(node.get("requires_grad", False)))
            except ImportError:
                t = Tensor._wrap(array, bool(node.get("requires_grad", False)))
        else:
            t = Tensor._wrap(array, bool(node.get("requires_grad", False)))
        self._made[key] = t
        return t


def save(obj: Any, f, pickle_module=None, pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True
         ) -> None:
    """Save ``obj`` (a tensor, a state dict, or nested dicts/lists/tuples of tensors, arrays, numbers,
    strings and None) to the path or binary file ``f``. A path is written atomically."""
    if pickle_module is not None:
        raise ValueError("chaingrad.save does not pickle; leave pickle_module unset")
    encoder = _Encoder()
    tree = encoder.encode(obj)
    header = json.dumps({"format": FORMAT, "version": VERSION, "object": tree}, allow_nan=False)
    arrays = dict(encoder.arrays)
    arrays[_STRUCTURE] = np.frombuffer(header.encode("utf-8"), dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args) -> Any:
    """Load what ``chaingrad.save`` wrote. No code from the file is ever run: pickles are refused.

    ``map_location`` and ``weights_only`` are accepted for compatibility (everything lives on the CPU and
    only data is ever loaded).
    """
    name = repr(os.fspath(f)) if not hasattr(f, "read") else "the file object"
    if hasattr(f, "read"):
        raw = f.read()
    else:
        with open(f, "rb") as fh:
            raw = fh.read()
    _refuse_foreign(raw, name)
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            if _STRUCTURE not in archive.files:
                _refuse_zip(raw, name)
            header = json.loads(bytes(archive[_STRUCTURE]).decode("utf-8"))
            if header.get("format") != FORMAT:
                raise ValueError(f"chaingrad.load: {name} is not a chaingrad checkpoint")
            if header.get("version", 0) > VERSION:
                raise ValueError(f"chaingrad.load: {name} was written by a newer chaingrad (format version "
                                 f"{header['version']}); upgrade chaingrad to read it")
            arrays = {key: archive[key] for key in archive.files if key != _STRUCTURE}
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ValueError(f"chaingrad.load: {name} is damaged or incomplete ({e}); chaingrad.save writes files "
                         "atomically, so this file was probably written or copied by something else") from None
    return _Decoder(arrays).decode(header["object"])


_PICKLE_HELP = ("chaingrad never unpickles, because loading a pickle can run arbitrary code. If you trust the "
                "file, convert it in the program that wrote it: with PyTorch, "
                "sd = torch.load(path, weights_only=True); then chaingrad.save({k: chaingrad.tensor(v.numpy()) "
                "for k, v in sd.items()}, new_path).")


def _refuse_foreign(raw: bytes, name: str) -> None:
    if raw[:1] == b"\x80" or raw[:1] in (b"(", b"c", b"]", b"}") and b"." in raw[-2:]:
        raise ValueError(f"chaingrad.load: {name} is a pickle file (as written by pickle.dump or torch.save's "
                         f"legacy format). {_PICKLE_HELP}")
    if raw[:6] == b"\x93NUMPY":
        raise ValueError(f"chaingrad.load: {name} is a single .npy array, not a chaingrad checkpoint; read it with "
                         "numpy.load(path, allow_pickle=False) and chaingrad.from_numpy")
    if raw[:4] != b"PK\x03\x04":
        raise ValueError(f"chaingrad.load: {name} is not a chaingrad checkpoint (a chaingrad file is a .npz zip "
                         "archive written by chaingrad.save)")


def _refuse_zip(raw: bytes, name: str) -> None:
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        names = z.namelist()
    if any(n.endswith(".pkl") for n in names):
        raise ValueError(f"chaingrad.load: {name} is a PyTorch checkpoint (torch.save's zip format, which holds a "
                         f"pickle). {_PICKLE_HELP}")
    raise ValueError(f"chaingrad.load: {name} is a zip/npz archive but not a chaingrad checkpoint (it has no "
                     f"{_STRUCTURE} entry); read plain .npz files with numpy.load(path, allow_pickle=False)")
