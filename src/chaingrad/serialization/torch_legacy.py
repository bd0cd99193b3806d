"""PyTorch's format before 1.6 (``torch.save(..., _use_new_zipfile_serialization=False)``): five pickles
one after the other, then the storages' bytes:

    MAGIC_NUMBER, PROTOCOL_VERSION, {sys info}, the object, [storage keys]
    per key, in that order: its element count (int64, little-endian), then its bytes (little-endian)

Every pickle goes through the same allow-list as the zip format. The older tar format is refused.
"""

from __future__ import annotations

import struct
import sys
from typing import Any

import numpy as np

from .pickler import Storage, TorchPickler
from .rebuild import Restore, StoragePlan, build, plan
from .unpickler import UnsafeFileError, parse

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def write(obj: Any, out) -> None:
    pickler = TorchPickler(legacy=True)
    main = pickler.dumps(obj)
    info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
            "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, info):
        out.write(TorchPickler().dumps(header))
    out.write(main)
    keys = [s.key for s in pickler.storages]
    out.write(TorchPickler().dumps(sorted(keys)))
    by_key: dict[str, Storage] = {s.key: s for s in pickler.storages}
    for key in sorted(keys):
        block = np.ascontiguousarray(by_key[key].block)
        out.write(struct.pack("<q", block.size))
        out.write(block.astype(block.dtype.newbyteorder("<"), copy=False).view(np.uint8).data)


def load(raw: bytes, where: str, restore: Restore, encoding: str) -> Any:
    def header(start: int, what: str) -> tuple[Any, int]:
        parsed = parse(raw, f"{where} (legacy torch format, {what})", start=start, encoding=encoding)
        if parsed.tensors or parsed.storages:
            raise UnsafeFileError(f"{where}: the {what} holds tensors; not a torch.save file")
        return parsed.value, parsed.end

    magic, pos = header(0, "magic number")
    if magic != MAGIC_NUMBER:
        raise UnsafeFileError(f"{where} is a pickle file but not one written by torch.save (its first value is "
                              f"not torch's magic number). chaingrad.load reads torch.save and chaingrad.save "
                              "files; it never unpickles arbitrary pickles, which can run code.")
    version, pos = header(pos, "protocol version")
    if version != PROTOCOL_VERSION:
        raise UnsafeFileError(f"{where}: unknown torch legacy protocol version {version!r}")
    _info, pos = header(pos, "system info")
    parsed = parse(raw, f"{where} (legacy torch format, object)", start=pos, encoding=encoding,
                   storage_fields=6)
    keys, pos = header(parsed.end, "storage keys")
    if type(keys) is not list or not all(type(k) is str for k in keys):
        raise UnsafeFileError(f"{where}: the storage key list is malformed")

    offsets: dict[str, tuple[int, int]] = {}  # key -> (data start, bytes)
    itemsizes = {ref.key: (1 if ref.dtype == "untyped" else ref.dtype.itemsize) for ref in parsed.storages}
    for key in keys:
        if key not in itemsizes or key in offsets:
            raise UnsafeFileError(f"{where}: storage key {key!r} is unknown or listed twice")
        if pos + 8 > len(raw):
            raise UnsafeFileError(f"{where} is truncated (storage {key!r})")
        (count,) = struct.unpack_from("<q", raw, pos)
        nbytes = count * itemsizes[key]
        if count < 0 or pos + 8 + nbytes > len(raw):
            raise UnsafeFileError(f"{where} is truncated or crafted: storage {key!r} claims {count} elements")
        offsets[key] = (pos + 8, nbytes)
        pos += 8 + nbytes

    plans = plan(parsed, where, lambda key: offsets[key][1] if key in offsets else None, restore)

    def read(p: StoragePlan) -> np.ndarray:
        start, nbytes = offsets[p.ref.key]
        return np.frombuffer(raw, dtype=np.uint8, count=nbytes, offset=start).copy()

    return build(parsed, plans, read, restore, byteorder="little")
