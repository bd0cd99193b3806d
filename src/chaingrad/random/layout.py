"""Where the numbers go: torch writes random values into a tensor in memory order, not index order.

A fresh tensor is contiguous, so the two agree. For a view such as ``w.t()`` or ``w[:, ::2]`` torch's
kernels walk the elements as they lie in memory (TensorIterator orders the dimensions by stride), so
``torch.empty(20, 3).t().normal_()`` receives the same stream as the (20, 3) tensor would. This module
finds that order for a NumPy array and puts a flat sequence of values there.
"""

from __future__ import annotations

import numpy as np


def memory_axes(a: np.ndarray) -> tuple[int, ...]:
    """a's axes from the outermost to the innermost in memory (ties keep index order)."""
    return tuple(sorted(range(a.ndim), key=lambda ax: abs(a.strides[ax]) if a.shape[ax] > 1 else 0, reverse=True))


def is_contiguous(a: np.ndarray) -> bool:
    """torch's ``is_contiguous()`` for the tensor a holds: row-major with no gaps (size-1 dims aside).

    Negative strides count as forward: chaingrad only makes them as copies (``flip``), which in torch are
    contiguous tensors.
    """
    if a.flags.c_contiguous:
        return True
    expected = a.itemsize
    for size, stride in zip(reversed(a.shape), reversed(a.strides)):
        if size > 1:
            if abs(stride) != expected:
                return False
            expected *= size
    return True


def check_writable(a: np.ndarray, op: str) -> None:
    if a.flags.c_contiguous and a.flags.writeable:
        return
    if any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape)) or not a.flags.writeable:
        raise RuntimeError(f"{op}: unsupported operation: more than one element of the written-to tensor refers "
                           "to a single memory location. Please clone() the tensor before performing the operation.")


def place(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """An array shaped like ``like`` whose elements, visited in like's memory order, are ``values``."""
    if is_contiguous(like):
        return values.reshape(like.shape)
    return _write_in_order(np.empty(like.shape, values.dtype), values, memory_axes(like))


def fill(out: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``out`` (dense, any stride order) holding ``values`` in its memory order; returned."""
    return _write_in_order(out, values, memory_axes(out))


def _write_in_order(out: np.ndarray, values: np.ndarray, axes: tuple) -> np.ndarray:
    """``values`` written into ``out`` visiting its axes in the order ``axes`` (outermost first)."""
    np.transpose(out, axes)[...] = values.reshape([out.shape[ax] for ax in axes])
    return out


def in_memory_order(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """values (shaped like ``like``) read in like's memory order, as a flat array."""
    if is_contiguous(like):
        return np.ascontiguousarray(values).reshape(-1)
    return np.ascontiguousarray(np.transpose(values, memory_axes(like))).reshape(-1)
