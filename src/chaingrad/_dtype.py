"""Data types (`chaingrad.float32` ...) and PyTorch's type-promotion rules.

A `dtype` wraps a NumPy dtype. Promotion follows torch: the category (bool < integer < float)
decides first, dimensioned tensors outrank zero-dim tensors, which outrank Python scalars, and a
Python float meets an integer tensor as the default dtype, float32.
"""

from __future__ import annotations

import numpy as np


class dtype:  # noqa: N801 - the name torch users know
    """A tensor element type, e.g. ``chaingrad.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name: str, np_dtype: type, category: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = category == 2
        self.is_signed = name not in ("bool", "uint8")
        self.itemsize = self.np.itemsize
        self._category = category  # 0 bool, 1 integer, 2 floating point

    def __repr__(self) -> str:
        return f"chaingrad.{self.name}"

    def __reduce__(self):  # dtypes are singletons
        return (_by_name.__getitem__, (self.name,))

    @property
    def is_complex(self) -> bool:
        return False

    def to_complex(self):  # pragma: no cover - complex tensors are not supported
        raise TypeError(f"{self} has no complex counterpart in chaingrad")


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_by_name = {d.name: d for d in ALL}
_by_np: dict = {d.np: d for d in ALL}
for _d in ALL:
    _by_np[_d.np.type] = _d

_default_float = [float32]


def get_default_dtype() -> dtype:
    """The dtype of tensors made from Python floats (float32 unless changed)."""
    return _default_float[0]


def set_default_dtype(d: dtype) -> None:
    """Make ``d`` (float32 or float64) the dtype of tensors made from Python floats."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point dtypes are allowed, got {d}")
    _default_float[0] = d


def from_numpy_dtype(np_dtype) -> dtype:
    """The chaingrad dtype for a NumPy dtype; raises TypeError for unsupported ones."""
    try:
        return _by_np[np_dtype]
    except KeyError:
        pass
    try:
        return _by_np[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert NumPy dtype {np_dtype} to a chaingrad dtype; supported: "
            + ", ".join(d.name for d in ALL)
        ) from None


def to_dtype(d) -> dtype:
    """Accept a chaingrad dtype, a NumPy dtype or type, or Python's float/int/bool."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str):
        if d in _by_name:
            return _by_name[d]
        raise TypeError(f"unknown dtype name {d!r}")
    return from_numpy_dtype(d)


def _promote_pair(a: dtype, b: dtype) -> dtype:
    """torch.promote_types for two dtypes."""
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    return _by_np[np.promote_types(a.np, b.np)]


def promote_types(a, b) -> dtype:
    """The smallest dtype that both ``a`` and ``b`` convert to, as torch.promote_types."""
    return _promote_pair(to_dtype(a), to_dtype(b))


def scalar_dtype(value) -> dtype:
    """The dtype a Python scalar takes on its own: bool, int64, or the default float."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    return _default_float[0]


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # A lower-priority operand only matters if it belongs to a higher category.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return _promote_pair(higher, lower)
    return higher


def result_type(*operands) -> dtype:
    """torch.result_type over tensors and Python scalars (at least one operand)."""
    dim = zero = wrapped = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim:
                dim = d if dim is None else _promote_pair(dim, d)
            else:
                zero = d if zero is None else _promote_pair(zero, d)
        else:
            d = scalar_dtype(x)
            wrapped = d if wrapped is None else _promote_pair(wrapped, d)
    result = _combine(dim, _combine(zero, wrapped))
    if result is None:
        raise TypeError("result_type needs at least one tensor or number")
    return result
