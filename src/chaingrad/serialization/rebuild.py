"""From a parsed pickle to chaingrad tensors: check every storage and tensor window against the data the
file really has, apply ``map_location``, then read each storage once and build the tensors on it (tensors
that shared a storage in PyTorch share memory in chaingrad)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .storage import check_window, view_on
from .unpickler import Parsed, StorageRef, TensorRef, UnsafeFileError, resolve


class Restore:
    """``map_location`` as torch reads it, for a library whose tensors all live on the CPU."""

    def __init__(self, map_location: Any) -> None:
        self.map_location = map_location
        if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
            self._where(_device_name(map_location), "map_location")  # refuse 'cuda' & co. up front

    def location(self, saved: str) -> str:
        """Where a storage saved at ``saved`` goes; it must be the CPU."""
        m = self.map_location
        if m is None:
            target = saved
        elif isinstance(m, dict):
            target = _device_name(m.get(saved, saved))
        elif callable(m):
            return "cpu"  # decided by the function, once it has the storage
        else:
            target = _device_name(m)
        return self._where(target, saved)

    @staticmethod
    def _where(target: str, saved: str) -> str:
        if target == "cpu" or target.startswith("cpu:"):
            return "cpu"
        if saved == target:
            raise RuntimeError(
                f"chaingrad.load: the file holds tensors saved on '{saved}', and chaingrad runs on the CPU only. "
                "Pass map_location='cpu' to load them onto the CPU (as torch.load does on a machine without "
                "that device).")
        raise RuntimeError(f"chaingrad.load: map_location sends tensors to '{target}', but chaingrad runs on the "
                           "CPU only; use map_location='cpu'")

    def apply(self, storage: np.ndarray, saved: str) -> np.ndarray:
        m = self.map_location
        if not callable(m) or isinstance(m, dict):
            return storage
        result = m(storage, saved)  # chaingrad hands the storage over as a flat NumPy array
        if result is None:
            self._where(saved, saved)
            return storage
        if not isinstance(result, np.ndarray) or result.dtype != storage.dtype or result.shape != storage.shape:
            raise TypeError("chaingrad.load: a map_location function receives each storage as a flat NumPy "
                            "array and must return it (or an array of the same dtype and size), or None; "
                            f"it returned {type(result).__name__}")
        return result


def _device_name(device: Any) -> str:
    if isinstance(device, bytes):
        device = device.decode()
    text = str(device)
    if not isinstance(device, str) and not hasattr(device, "type"):
        raise TypeError(f"chaingrad.load: map_location should be a device name ('cpu'), a dict or a function, "
                        f"not {type(device).__name__}")
    return text


class StoragePlan:
    """One storage of the file: its bytes' source and its dtype, checked before anything is read."""

    def __init__(self, ref: StorageRef, nbytes: int) -> None:
        self.ref = ref
        self.nbytes = nbytes
        self.array: np.ndarray | None = None


def plan(parsed: Parsed, where: str, available: Callable[[str], int | None], restore: Restore
         ) -> dict[str, StoragePlan]:
    """Check each storage id against the file (``available(key)``: its size in bytes, or None when it
    is missing) and each tensor window against its storage. Raises before any data is read."""
    plans: dict[str, StoragePlan] = {}
    for ref in parsed.storages:
        root_key = ref.key
        itemsize = 1 if ref.dtype == "untyped" else ref.dtype.itemsize
        known = plans.get(root_key)
        if known is not None:
            if known.ref.dtype != ref.dtype or known.ref.numel != ref.numel:
                raise UnsafeFileError(f"{where}: storage {root_key!r} is declared twice with different dtypes or "
                                      "sizes; nothing was loaded")
            continue
        size = available(root_key)
        if size is None:
            raise UnsafeFileError(f"{where}: storage {root_key!r} is named in data.pkl but missing from the file; "
                                  "nothing was loaded")
        if size != ref.numel * itemsize:
            raise UnsafeFileError(f"{where}: storage {root_key!r} should hold {ref.numel} elements "
                                  f"({ref.numel * itemsize} bytes) but the file has {size} bytes; nothing was loaded")
        restore.location(ref.location)
        plans[root_key] = StoragePlan(ref, size)
    for ref in parsed.storages:
        if ref.view is not None:
            _, offset, size = ref.view
            if offset + size > plans[ref.key].ref.numel:
                raise UnsafeFileError(f"{where}: a view of storage {ref.key!r} reaches past its end")
    for t in parsed.tensors:
        numel = _numel(t)
        try:
            check_window(t.offset, t.shape, t.strides, numel, f"{where}: a tensor on storage {t.storage.key!r}")
        except ValueError as e:
            raise UnsafeFileError(f"{e}; nothing was loaded") from None
        if t.storage.dtype == "untyped" and plans[t.storage.key].nbytes % t.dtype.itemsize:
            raise UnsafeFileError(f"{where}: storage {t.storage.key!r} does not hold whole {t.dtype} elements")
    return plans


def _numel(t: TensorRef) -> int:
    ref = t.storage
    count = ref.view[2] if ref.view is not None else ref.numel
    return count // t.dtype.itemsize if ref.dtype == "untyped" else count


def build(parsed: Parsed, plans: dict[str, StoragePlan], read: Callable[[StoragePlan], np.ndarray],
          restore: Restore, byteorder: str = sys.byteorder) -> Any:
    """Read every storage (``read(plan)`` returns its bytes as a uint8 array) and resolve the tree."""
    for p in plans.values():
        raw = read(p)
        dtype = np.dtype(np.uint8) if p.ref.dtype == "untyped" else p.ref.dtype
        array = raw.view(dtype) if dtype.itemsize == 1 or raw.size else np.empty(0, dtype)
        if byteorder != sys.byteorder and dtype.itemsize > 1:
            array = array.view(dtype.newbyteorder()).astype(dtype)
        p.array = restore.apply(array, p.ref.location)

    def make_tensor(t: TensorRef) -> Any:
        from ..tensor import Tensor

        storage = plans[t.storage.key].array
        assert storage is not None
        if t.storage.view is not None:
            _, offset, size = t.storage.view
            storage = storage[offset:offset + size]
        if t.storage.dtype == "untyped":
            storage = storage[: storage.size - storage.size % t.dtype.itemsize].view(t.dtype)
        array = view_on(storage, t.offset, t.shape, t.strides)
        if t.parameter:
            from ..nn.parameter import Parameter

            return Parameter(Tensor._wrap(array), requires_grad=t.requires_grad)
        return Tensor._wrap(array, t.requires_grad)

    return resolve(parsed.value, make_tensor)
