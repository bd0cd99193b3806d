"""Comparisons, logic and bit operations, and the float tests (isnan, isclose ...): results without a gradient.

Their results are bool (or integer) tensors that never require grad, so none of them records a node.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._dispatch import as_operand, broadcast_error, promote
from .arithmetic import nondiff


def _compare(ufunc):
    def compare(input, other) -> Tensor:
        a = input if isinstance(input, Tensor) else as_operand(input, other)
        a, b = promote(a, other)
        return nondiff(ufunc(a._data, b._data))

    compare.__name__ = ufunc.__name__
    return compare


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _data(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _logic(ufunc, input, other) -> Tensor:
    if not isinstance(other, Tensor):  # (the functions are checked where they are listed; this is the method)
        raise TypeError(f"{ufunc.__name__}(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    try:
        return nondiff(ufunc(_data(input), _data(other)))
    except ValueError:  # shapes that do not broadcast: torch's RuntimeError
        raise broadcast_error(as_operand(input), as_operand(other)) from None


def logical_and(input, other) -> Tensor:
    return _logic(np.logical_and, input, other)


def logical_or(input, other) -> Tensor:
    return _logic(np.logical_or, input, other)


def logical_xor(input, other) -> Tensor:
    return _logic(np.logical_xor, input, other)


def logical_not(input) -> Tensor:
    return nondiff(np.logical_not(_data(input)))


def _bitwise(ufunc, name):
    def op(input, other) -> Tensor:
        a, b = promote(input if isinstance(input, Tensor) else as_operand(input, other), other)
        if a._data.dtype.kind == "f":
            raise RuntimeError(f'"{name}_cpu" not implemented for \'{a.dtype}\': bitwise ops need bool or '
                               "integer tensors (use logical_and/logical_or for masks)")
        return nondiff(ufunc(a._data, b._data))

    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "f":
        raise RuntimeError(f"bitwise_not is not implemented for {input.dtype}: use a bool or integer tensor")
    return nondiff(np.invert(input._data))


def isnan(input: Tensor) -> Tensor:
    return nondiff(np.isnan(input._data))


def isfinite(input: Tensor) -> Tensor:
    return nondiff(np.isfinite(input._data))


def isinf(input: Tensor) -> Tensor:
    return nondiff(np.isinf(input._data))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    return nondiff(np.isclose(_data(input), _data(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(np.allclose(_data(input), _data(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Tensor, other: Tensor) -> bool:
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def _attach() -> None:
    T = Tensor
    T.__eq__, T.__ne__, T.__lt__, T.__le__, T.__gt__, T.__ge__ = eq, ne, lt, le, gt, ge
    T.__and__ = T.__rand__ = lambda self, other: bitwise_and(self, other)
    T.__or__ = T.__ror__ = lambda self, other: bitwise_or(self, other)
    T.__xor__ = lambda self, other: bitwise_xor(self, other)
    T.__invert__ = bitwise_not
    for name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
                 "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
                 "bitwise_xor", "bitwise_not", "isnan", "isfinite", "isinf", "isclose", "allclose", "equal"):
        setattr(T, name, globals()[name])


_attach()
