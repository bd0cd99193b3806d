"""Where a tensor's numbers live, in PyTorch's terms: one flat *storage* per memory block, and each tensor an
(offset, size, stride) window on it. Saving finds the block behind a NumPy array, so that views which share
memory in chaingrad share one storage in the file; loading rebuilds the windows on one array per storage.
"""

from __future__ import annotations

import numpy as np

# torch's storage classes and dtype names, and the NumPy dtype each one means
STORAGE_TYPES: dict[str, np.dtype] = {
    "BoolStorage": np.dtype(np.bool_), "ByteStorage": np.dtype(np.uint8), "CharStorage": np.dtype(np.int8),
    "ShortStorage": np.dtype(np.int16), "IntStorage": np.dtype(np.int32), "LongStorage": np.dtype(np.int64),
    "HalfStorage": np.dtype(np.float16), "FloatStorage": np.dtype(np.float32),
    "DoubleStorage": np.dtype(np.float64),
}
STORAGE_OF_DTYPE = {dt: name for name, dt in STORAGE_TYPES.items()}
TORCH_DTYPES: dict[str, np.dtype] = {
    "bool": np.dtype(np.bool_), "uint8": np.dtype(np.uint8), "int8": np.dtype(np.int8),
    "int16": np.dtype(np.int16), "int32": np.dtype(np.int32), "int64": np.dtype(np.int64),
    "float16": np.dtype(np.float16), "float32": np.dtype(np.float32), "float64": np.dtype(np.float64),
}
# names torch writes that chaingrad knows but cannot hold (NumPy has no such dtype, or chaingrad lacks it)
UNSUPPORTED_STORAGES = ("BFloat16Storage", "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage",
                        "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage")
UNSUPPORTED_DTYPES = ("bfloat16", "complex32", "complex64", "complex128", "uint16", "uint32", "uint64",
                      "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "float8_e8m0fnu",
                      "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "bits8", "bits16")


class StorageWindow:
    """A tensor as torch stores it: which block (``owner``), its bytes, and the window on it in elements."""

    __slots__ = ("owner", "block", "offset", "shape", "strides")

    def __init__(self, owner: object, block: np.ndarray, offset: int, shape: tuple, strides: tuple) -> None:
        self.owner = owner  # identifies the memory block: equal owners mean one storage in the file
        self.block = block  # the whole block as a flat array of the tensor's dtype
        self.offset = offset
        self.shape = shape
        self.strides = strides


def window_of(array: np.ndarray) -> StorageWindow:
    """The storage window of ``array``: the contiguous block it lives in when NumPy can tell (views of one
    array share it), else a compact copy of its own."""
    dtype = array.dtype
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    itemsize = dtype.itemsize
    start = array.__array_interface__["data"][0]
    if (root.flags.c_contiguous or root.flags.f_contiguous) and dtype.isnative and itemsize:
        root_start = root.__array_interface__["data"][0]
        offset_bytes = start - root_start
        strides = array.strides
        fits = (root.nbytes % itemsize == 0 and offset_bytes >= 0 and offset_bytes % itemsize == 0
                and all(s >= 0 and s % itemsize == 0 for s in strides))
        if fits:
            block = (root.T if root.flags.f_contiguous and not root.flags.c_contiguous else root).reshape(-1)
            block = block.view(np.uint8).view(dtype)
            window = StorageWindow(root, block, offset_bytes // itemsize, array.shape,
                                   tuple(s // itemsize for s in strides))
            if array.size == 0 or _extent(window) <= block.size:
                return window
    compact = np.ascontiguousarray(array, dtype=dtype.newbyteorder("="))
    return StorageWindow(compact, compact.reshape(-1), 0, array.shape, _contiguous_strides(array.shape))


def _extent(w: StorageWindow) -> int:
    """One past the last element the window touches."""
    return w.offset + sum((n - 1) * s for n, s in zip(w.shape, w.strides)) + 1


def _contiguous_strides(shape: tuple) -> tuple:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def view_on(storage: np.ndarray, offset: int, shape: tuple, strides: tuple) -> np.ndarray:
    """The array for a window on ``storage`` (an array sharing its memory). The caller has checked the
    window lies inside the storage; NumPy checks it again."""
    if any(n == 0 for n in shape):
        return np.empty(shape, dtype=storage.dtype)
    itemsize = storage.dtype.itemsize
    return np.ndarray(shape, dtype=storage.dtype, buffer=storage, offset=offset * itemsize,
                      strides=tuple(s * itemsize for s in strides))


def check_window(offset: int, shape: tuple, strides: tuple, numel: int, what: str) -> None:
    """Refuse a window that reaches outside its storage (a crafted file could point anywhere)."""
    if offset < 0 or any(n < 0 for n in shape) or any(s < 0 for s in strides):
        raise ValueError(f"{what}: negative offset, size or stride (offset {offset}, size {list(shape)}, "
                         f"stride {list(strides)})")
    if len(shape) != len(strides):
        raise ValueError(f"{what}: size {list(shape)} and stride {list(strides)} have different lengths")
    if any(n == 0 for n in shape):
        return
    last = offset + sum((n - 1) * s for n, s in zip(shape, strides))
    if last >= numel:
        raise ValueError(f"{what}: the window (offset {offset}, size {list(shape)}, stride {list(strides)}) "
                         f"reaches element {last}, past the end of its storage of {numel} elements")
