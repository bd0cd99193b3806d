"""``make_tensor``: a random tensor of a shape and dtype for tests, drawn as torch.testing draws it (so the same
seed gives the same values): integers from ``randint`` on [low, high), floats from ``uniform_`` on [low, high)."""

from __future__ import annotations

import collections.abc
import math
import warnings

from .. import _dtype
from ..tensor import Tensor

__all__ = ["make_tensor"]

_INTEGRAL = (_dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64)
_FLOATING = (_dtype.float16, _dtype.float32, _dtype.float64)


def _bounds(low, high, dtype, lowest: float, highest: float, default_low: float, default_high: float):
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype in _FLOATING:
        warnings.warn("Passing `low==high` to `chaingrad.testing.make_tensor` for floating or complex types is "
                      "deprecated since 2.1 and will be removed in 2.3. Use `chaingrad.full(...)` instead.",
                      FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), but {dtype} only "
                         f"supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if dtype is _dtype.bool_ or dtype in _INTEGRAL:
        return math.ceil(low), math.ceil(high)
    return low, high


def make_tensor(*shape, dtype, device, low: float | None = None, high: float | None = None,
                requires_grad: bool = False, noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """A tensor of ``shape`` with values drawn uniformly from [low, high) (default [-9, 9) for floats, [-9, 10) for
    integers, {False, True} for bool); ``noncontiguous`` gives a strided view, ``exclude_zero`` replaces zeros (by
    1, or the dtype's smallest normal number)."""
    from .._finfo import finfo, iinfo
    from ..ops.creation import empty
    from ..ops.random import randint

    dims = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence) else tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(f"The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
                         f"noncontiguous={noncontiguous} and memory_format={memory_format}")
    if requires_grad and (dtype is _dtype.bool_ or dtype in _INTEGRAL):
        raise ValueError("`requires_grad=True` is not supported for boolean and integral dtypes, but got "
                         f"dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(dims) > 1
    if noncontiguous:
        dims = (*dims[:-1], 2 * dims[-1])
    if dtype is _dtype.bool_:
        lo, hi = _bounds(low, high, dtype, 0, 2, 0, 2)
        result = randint(lo, hi, dims, device=device, dtype=dtype)
    elif dtype in _INTEGRAL:
        info = iinfo(dtype)
        lo, hi = _bounds(low, high, dtype, info.min, info.max + (1 if dtype is not _dtype.int64 else 0), -9, 10)
        result = randint(lo, hi, dims, device=device, dtype=dtype)
    elif dtype in _FLOATING:
        fi = finfo(dtype)
        lo, hi = _bounds(low, high, dtype, fi.min, fi.max, -9, 9)
        result = empty(dims, device=device, dtype=dtype)
        if hi - lo >= fi.max:  # (the width would overflow: draw half of it and double)
            result.uniform_(lo / 2, hi / 2).mul_(2)
        else:
            result.uniform_(lo, hi)
    else:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by chaingrad.testing.make_tensor().")
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = 1 if (dtype is _dtype.bool_ or dtype in _INTEGRAL) else finfo(dtype).tiny
    if dtype in _FLOATING:
        result.requires_grad = requires_grad
    return result
