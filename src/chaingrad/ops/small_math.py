"""Small functions of torch's namespace: ``isposinf``/``isneginf``/``isreal`` (tests), ``i0`` (the modified Bessel
function of order 0, whose slope is I1), ``addr`` (beta * input + alpha * outer(vec1, vec2)) and ``renorm`` (each
slice scaled down to a p-norm of at most maxnorm)."""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor, scalar_type
from ._dispatch import to_float

__all__ = ["isposinf", "isneginf", "isreal", "i0", "addr", "renorm"]


def isposinf(input: Tensor) -> Tensor:
    """True where input is +inf."""
    return Tensor._wrap(np.isposinf(require_tensor(input, "isposinf")._data))


def isneginf(input: Tensor) -> Tensor:
    """True where input is -inf."""
    return Tensor._wrap(np.isneginf(require_tensor(input, "isneginf")._data))


def isreal(input: Tensor) -> Tensor:
    """True where input has no imaginary part: everywhere, for chaingrad's real dtypes."""
    return Tensor._wrap(np.ones(require_tensor(input, "isreal")._data.shape, np.bool_))


class I0(Node):
    """I0(x) = sum_k (x/2)^(2k) / (k!)^2; its derivative is I1(x)."""

    formulas = ("dL/dx = dL/dout * I1(x)",)

    def forward(ctx, x):
        from scipy.special import i0 as i0_

        ctx.save_for_backward(x)
        return i0_(x).astype(x.dtype, copy=False)

    def backward(ctx, g):
        from scipy.special import i1

        (x,) = ctx.saved_tensors
        return g * Tensor._wrap(i1(x._data).astype(g._data.dtype, copy=False))


def i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 0 (integers become the default float dtype)."""
    return apply(I0, to_float(require_tensor(input, "i0")))


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2), shape (len(vec1), len(vec2)); with beta = 0 input is not read
    (its NaNs do not show)."""
    from .linalg import outer

    require_tensor(input, "addr")
    require_tensor(vec1, "addr", "vec1", 2)
    require_tensor(vec2, "addr", "vec2", 3)
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.dim()}-D")
    if input._data.dtype.kind in "iub" and vec1._data.dtype.kind in "iub" and vec2._data.dtype.kind in "iub":
        for name, value in (("beta", beta), ("alpha", alpha)):
            if isinstance(value, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
    shape = (vec1.shape[0], vec2.shape[0])
    try:
        np.broadcast_shapes(input._data.shape, shape)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({shape[-1]}) must match the existing size "
                           f"({input.shape[-1]}) at non-singleton dimension {len(shape) - 1}.  Target sizes: "
                           f"{list(shape)}.  Tensor sizes: {list(input.shape)}") from None
    from .._dtype import promote_types
    from .elementwise import where

    common = promote_types(promote_types(input.dtype, vec1.dtype), vec2.dtype)
    product = outer(vec1.to(common), vec2.to(common))
    if alpha != 1:
        product = product * alpha
    if beta == 0:  # (input takes no part: a zero gradient, and its NaNs do not show)
        unread = where(Tensor._wrap(np.zeros((), np.bool_)), input.to(common), 0)
        return product + unread
    return (input * beta if beta != 1 else input).to(common) + product


def renorm(input: Tensor, p, dim: int, maxnorm) -> Tensor:
    """Each slice ``input.select(dim, i)`` whose p-norm exceeds ``maxnorm`` scaled by maxnorm / (norm + 1e-7)."""
    from .. import linalg
    from ..ops.elementwise import where

    require_tensor(input, "renorm")
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{scalar_type(input)}")
    nd = input.dim()
    if nd < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {nd} dimensions")
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    others = tuple(d for d in range(nd) if d != dim % nd)
    norm = linalg.vector_norm(input, p, dim=others, keepdim=True)
    factor = where(norm > maxnorm, maxnorm / (norm + 1e-7), norm.new_ones(()))
    return input * factor


def _attach() -> None:
    from .inplace import inplace

    for name in ("isposinf", "isneginf", "isreal", "i0", "addr", "renorm"):
        setattr(Tensor, name, globals()[name])
    for name in ("i0", "addr", "renorm"):
        fn = globals()[name]

        def method_(self, *args, _fn=fn, _name=name + "_", **kwargs):
            return inplace(self, lambda old: _fn(old, *args, **kwargs), _name,
                           tuple(a for a in args if isinstance(a, Tensor)))

        method_.__name__ = name + "_"
        setattr(Tensor, name + "_", method_)


_attach()
