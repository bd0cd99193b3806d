"""Turning user arguments into operands of one dtype before an op runs (torch's type promotion).

A Python number next to a float tensor is the common case (``x * 0.5``, ``1 - p``, ``y ** 2``): it keeps
the tensor's dtype, and the arithmetic ops take it as it is, so the recorded node holds the number itself
(``explain`` shows ``dL/dx = dL/dout * 0.5``). That rule is ``number_operand``; everything else is promoted.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._dtype import from_numpy_dtype, result_type
from ..autograd.node import apply
from ..tensor import Tensor


def number_operand(t: Tensor, x) -> bool:
    """True when the Python number ``x`` keeps the float tensor ``t``'s dtype: torch's rule for "wrapped"
    numbers (and NumPy 2's for Python scalars), so ``x`` needs no promotion and no tensor of its own."""
    return (type(x) is float or type(x) is int) and t._data.dtype.kind == "f"


def as_operand(x, like: Tensor | None = None) -> Tensor:
    """A tensor for ``x``; Python scalars and arrays become constants (no gradient)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (numbers.Number, np.number, np.bool_)):
        dt = result_type(like, x).np if like is not None else None
        return Tensor._wrap(scalar_array(x, dt))
    from .creation import to_array

    return Tensor._wrap(to_array(x))


def scalar_array(value, np_dtype) -> np.ndarray:
    """A 0-d array of ``value``; integers out of the dtype's range wrap around (uint8 tensor - 3), as torch."""
    try:
        return np.array(value, dtype=np_dtype)
    except OverflowError:
        return np.array(value).astype(np_dtype)


def promote(a: Tensor, b) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of their common (torch-promoted) dtype."""
    if isinstance(b, Tensor):
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return a, b
        rt = result_type(a, b).np
        return (a if da == rt else a.to(from_numpy_dtype(rt))), (b if db == rt else b.to(from_numpy_dtype(rt)))
    if number_operand(a, b):
        return a, Tensor._wrap(np.array(b, a._data.dtype))
    if isinstance(b, (float, int)):  # a Python scalar that changes the dtype (int tensor * 2.5, bool + 1)
        rt = result_type(a, b).np
        if a._data.dtype != rt:
            a = a.to(from_numpy_dtype(rt))
        return a, Tensor._wrap(scalar_array(b, rt))
    return promote(a, as_operand(b))


def binary(op, a: Tensor, b, reverse: bool = False):
    """``op(a, b)`` after promotion, or ``op(b, a)`` with ``reverse`` (for ``2 - x``). A Python number goes in
    as it is where the op takes numbers and the number keeps ``a``'s dtype."""
    if not (op.takes_numbers and number_operand(a, b)):
        a, b = promote(a, b)
    try:
        return apply(op, b, a) if reverse else apply(op, a, b)
    except ValueError:
        raise broadcast_error(a, b) from None


def operator(op, check=None):
    """The method for ``a op b``: ``binary`` with its two common cases first.

    Speed: operators are the most frequent calls of a training step; a tensor of the same dtype on the
    other side, or a number the op takes as it is, needs no promotion, so these go straight to ``apply``.
    Tested against ``binary`` in tests/test_fast_paths.py. ``check(self, other)`` runs before the general
    path (the common cases never meet what it rejects)."""
    takes_numbers = op.takes_numbers

    def method(self, other):
        if isinstance(other, Tensor):
            if self._data.dtype is other._data.dtype and self._data.dtype.kind != "b":  # (bool: sub must raise)
                try:
                    return apply(op, self, other)
                except ValueError:
                    raise broadcast_error(self, other) from None
        elif takes_numbers and number_operand(self, other):
            return apply(op, self, other)
        if check is not None:
            check(self, other)
        return binary(op, self, other)

    return method


def broadcast_error(a: Tensor, b: Tensor) -> RuntimeError:
    """torch's message for shapes that do not broadcast, naming the first dimension that disagrees."""
    sa, sb = a._data.shape, b._data.shape
    for i in range(1, max(len(sa), len(sb)) + 1):
        da = sa[-i] if i <= len(sa) else 1
        db = sb[-i] if i <= len(sb) else 1
        if da != db and da != 1 and db != 1:
            return RuntimeError(
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension "
                f"{max(len(sa), len(sb)) - i} (shapes {list(sa)} and {list(sb)} do not broadcast)")
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} do not broadcast")


def binary_any(op, a, b):
    """``op(a, b)`` where either argument may be a Python scalar or an array."""
    if isinstance(a, Tensor):
        return binary(op, a, b)
    if isinstance(b, Tensor):
        return binary(op, b, a, reverse=True)
    return binary(op, as_operand(a), b)


def to_float(t: Tensor) -> Tensor:
    """Integer and bool tensors become the default float dtype (for exp, sqrt, division ...)."""
    if t._data.dtype.kind == "f":
        return t
    from .._dtype import get_default_dtype

    return t.to(get_default_dtype())
