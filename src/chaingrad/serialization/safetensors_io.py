"""``.safetensors`` files (Hugging Face's format: a JSON header, then raw little-endian tensor bytes) through
the ``safetensors`` package's NumPy API. The format holds a flat ``{name: tensor}`` dict and optional
``{str: str}`` metadata, and nothing else, so it is safe by construction."""

from __future__ import annotations

import json
import struct
from collections import OrderedDict
from typing import IO, Any

import numpy as np

_DTYPES = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "I32": np.int32, "I64": np.int64,
           "F16": np.float16, "F32": np.float32, "F64": np.float64}  # the ones chaingrad has


def _module():
    try:
        import safetensors.numpy
    except ImportError:  # pragma: no cover - a runtime dependency; only a broken install lacks it
        raise ImportError("chaingrad: reading and writing .safetensors files needs the 'safetensors' package "
                          "(pip install safetensors)") from None
    return safetensors.numpy


def dumps(obj: Any, metadata: dict[str, str] | None) -> bytes:
    """The bytes of a .safetensors file for the flat dict of tensors ``obj``."""
    from ..tensor import Tensor

    if not isinstance(obj, dict):
        raise TypeError(f"chaingrad.save: a .safetensors file holds a dict of tensors (a state dict), not a "
                        f"{type(obj).__name__}; save other objects to a .pt file")
    arrays = {}
    for name, value in obj.items():
        if type(name) is not str:
            raise TypeError(f"chaingrad.save: .safetensors names must be strings, got {name!r}")
        if isinstance(value, Tensor):
            value = value._data
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
            raise TypeError(f"chaingrad.save: .safetensors stores only tensors, but {name!r} is a "
                            f"{type(value).__name__}; save nested checkpoints (optimizer state, epochs) to a .pt "
                            "file")
        arrays[name] = value if value.flags.c_contiguous else value.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            type(k) is str and type(v) is str for k, v in metadata.items())):
        raise TypeError("chaingrad.save: safetensors metadata must be a dict of str to str")
    return _module().save(arrays, metadata=metadata)


def load(fh: IO[bytes], path: str | None, where: str, restore: Any, mmap: bool) -> OrderedDict:
    """The tensors of a .safetensors file, in the file's order, as chaingrad tensors. ``mmap=True`` maps
    them from the file (copy-on-write) instead of reading them."""
    from ..tensor import Tensor

    if restore.map_location is not None and (callable(restore.map_location) or
                                             isinstance(restore.map_location, dict)):
        raise RuntimeError("Loading safetensors file with dict or callable map_location is not supported. Use a "
                           "device string ('cpu') instead.")
    restore.location("cpu")
    start = fh.tell()
    header, data_start = _header(fh, where)
    for name, entry in header.items():
        if name != "__metadata__" and entry.get("dtype") not in _DTYPES:
            raise TypeError(f"chaingrad.load: tensor {name!r} in {where} has dtype {entry.get('dtype')}, which "
                            "chaingrad has no dtype for (it holds bool, uint8, int8..int64, float16/32/64); "
                            "convert it in PyTorch first, e.g. to float32")
    if mmap:
        return OrderedDict((name, Tensor._wrap(_mapped(path, data_start, entry, where)))
                           for name, entry in header.items() if name != "__metadata__")
    fh.seek(start)
    try:
        arrays = _module().load(fh.read())
    except Exception as e:  # safetensors raises its own error type for malformed files
        raise ValueError(f"chaingrad.load: {where} is not a valid .safetensors file: {e}") from None
    return OrderedDict((name, Tensor._wrap(a if a.flags.writeable else a.copy())) for name, a in arrays.items())


def _mapped(path: str | None, data_start: int, entry: dict, where: str) -> np.ndarray:
    dtype = np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
    shape, (begin, end) = tuple(entry["shape"]), entry["data_offsets"]
    count = int(np.prod(shape, dtype=np.int64))
    if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end
            and end - begin == count * dtype.itemsize):
        raise ValueError(f"chaingrad.load: {where} has a tensor whose offsets do not match its shape")
    if count == 0:
        return np.empty(shape, dtype=dtype.newbyteorder("="))
    if path is None:
        raise ValueError("f must be a file path in order to use the mmap argument")
    mapped = np.memmap(path, dtype=dtype, mode="c", offset=data_start + begin, shape=shape)
    return mapped.view(np.ndarray) if dtype.isnative else mapped.astype(dtype.newbyteorder("="))


def metadata(fh: IO[bytes], where: str) -> dict[str, str] | None:
    return _header(fh, where)[0].get("__metadata__")


def looks_like(head: bytes) -> bool:
    """A safetensors file starts with its header's length (8 bytes, little-endian), then ``{"``."""
    if len(head) < 10:
        return False
    (n,) = struct.unpack("<Q", head[:8])
    return 2 <= n < 100_000_000 and head[8:10] == b'{"'


def _header(fh: IO[bytes], where: str) -> tuple[dict, int]:
    """The JSON header and the offset where the tensors' bytes begin."""
    start = fh.tell()
    head = fh.read(8)
    if len(head) < 8:
        raise ValueError(f"chaingrad.load: {where} is not a .safetensors file (too short)")
    (n,) = struct.unpack("<Q", head)
    text = fh.read(n) if n < 100_000_000 else b""
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"chaingrad.load: {where} is not a .safetensors file (its header does not parse: "
                         f"{e})") from None
    if not isinstance(header, dict) or not all(isinstance(v, dict) for v in header.values()):
        raise ValueError(f"chaingrad.load: {where} has a malformed .safetensors header")
    return header, start + 8 + n
