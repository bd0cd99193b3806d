"""The in-place comparisons and logic ops (``x.lt_(y)``, ``mask.logical_and_(other)``): the result, 1 or 0 (True or
False), written into the tensor in its own dtype.

As in torch, a comparison in place is recorded (``EqBackward0`` by a number, ``EqBackward1`` by a tensor) with a
zero derivative, since its result is piecewise constant; the logic ops in place record nothing, and a tensor that
required grad keeps its node (torch's behaviour, kept for parity)."""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor
from . import compare
from ._checks import require_tensor
from .inplace import _write, inplace


class CompareInPlace(Node):
    """x overwritten with a comparison's result (``result``, computed by the out-of-place op) in x's dtype."""

    input_names = ("x", "other")
    formulas = ("dL/dx = 0 (a comparison is piecewise constant)", "dL/dother = 0 (as for x)")

    def forward(ctx, x, other, result=None):
        return np.broadcast_to(result, np.broadcast_shapes(x.shape, result.shape)).astype(x.dtype)

    def backward(ctx, g):
        zero = g * 0
        return zero, (zero if ctx.needs_input_grad[1] else None)


def _comparison(name: str):
    ufunc_op = getattr(compare, name)
    by_number = CompareInPlace.named(name.capitalize() + "Backward0", unlisted_inputs=(1,))
    by_tensor = CompareInPlace.named(name.capitalize() + "Backward1")

    def method(self: Tensor, other) -> Tensor:
        result = ufunc_op(self, other)._data
        if isinstance(other, Tensor):
            return inplace(self, lambda old: apply(by_tensor, old, other, result=result), name + "_", (other,))
        zero = Tensor._wrap(np.zeros((), self._data.dtype))
        return inplace(self, lambda old: apply(by_number, old, zero, result=result), name + "_")

    method.__name__ = name + "_"
    return method


def _logical(name: str):
    fn = getattr(compare, name)

    def method(self: Tensor, *other) -> Tensor:
        for o in other:
            require_tensor(o, name + "_", "other", 1)
        result = fn(self, *other)
        _write(self, result, name + "_")  # (nothing recorded: the logic ops have no derivative, as in torch)
        self._version[0] += 1
        return self

    method.__name__ = name + "_"
    return method


def _attach() -> None:
    T = Tensor
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        setattr(T, name + "_", _comparison(name))
    T.greater_, T.greater_equal_, T.less_, T.less_equal_, T.not_equal_ = T.gt_, T.ge_, T.lt_, T.le_, T.ne_
    for name in ("logical_and", "logical_or", "logical_xor", "logical_not"):
        setattr(T, name + "_", _logical(name))


_attach()
