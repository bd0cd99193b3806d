"""Distances and integrals: ``dist`` (the p-norm of a difference), ``vdot``, and the trapezoid rule
(``trapezoid``/``trapz``, ``cumulative_trapezoid``) built from slicing, sums and cumsums, as torch builds them."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim
from ._checks import require_tensor, scalar_type
from ._dispatch import broadcast_error, promote, to_float


class Dist(Node):
    """||a - b||_p over all elements (after broadcasting)."""

    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout * sign(a - b) * |a - b|^(p-1) / dist^(p-1) (p = inf: shared among the largest "
                "|a - b|; p = 0: 0; 0 where dist = 0)", "dL/db = -dL/da")

    def forward(ctx, a, b, p=2.0):
        diff = a - b
        ctx.p = p
        flat = np.abs(diff).reshape(-1)
        if p == math.inf:
            out = flat.max(initial=0)
        elif p == -math.inf:
            out = flat.min(initial=math.inf) if flat.size else np.zeros((), diff.dtype)
        elif p == 0:
            out = np.count_nonzero(flat)
        else:
            out = np.sum(flat ** p) ** (1 / p)
        out = np.asarray(out, dtype=diff.dtype)
        ctx.save_for_backward(diff, out)
        return out

    def backward(ctx, g):
        diff, out = ctx.saved_tensors
        p, d, o = ctx.p, diff._data, out._data
        if p == 0 or o == 0:
            slope = np.zeros_like(d)
        elif math.isinf(p):
            hit = np.abs(d) == o
            slope = np.sign(d) * hit / hit.sum()
        else:
            slope = np.sign(d) * np.abs(d) ** (p - 1) / o ** (p - 1)
        ga = g * Tensor._wrap(slope.astype(d.dtype))
        return ga, -ga



def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of ``input - other`` (broadcast), over all elements: a 0-d tensor."""
    require_tensor(input, "dist")
    require_tensor(other, "dist", "other", 2)
    a, b = promote(input, other)
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got {scalar_type(a)} "
                           "instead. (dist of two integer tensors: call .float() first.)")
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise broadcast_error(a, b) from None
    return apply(Dist, a, b, p=float(p))


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-d tensors (for real tensors the same as ``dot``; torch conjugates a complex
    first argument)."""
    from .linalg import DOT, dot

    require_tensor(input, "vdot")
    require_tensor(other, "vdot", "other", 2)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {scalar_type(input)} and "
                           f"{scalar_type(other)} (vdot: convert one with .to(other.dtype))")
    dot(input.detach(), other.detach())  # (dot's other checks: 1-d, the same length)
    return apply(DOT.named("VdotBackward0"), input, other)


def _spacing(y: Tensor, x, dim: int) -> Tensor:
    """The widths between neighbouring sample points along ``dim`` (x a 1-d tensor or y's shape)."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"trapezoid: There must be one `x` value for each sample point (x has "
                               f"{x.shape[0]}, y has {y.shape[dim]} along dim {dim})")
        widths = x[1:] - x[:-1]
        return widths.reshape([-1] + [1] * (y.ndim - 1 - dim))
    n = x.shape[dim]
    return x.narrow(dim, 1, n - 1) - x.narrow(dim, 0, n - 1)


def _samples(y: Tensor, x, dx, op: str) -> tuple[Tensor, Tensor | None]:
    """y (and x) as floats, once it is checked that x is a tensor, and that not both x and dx are given."""
    require_tensor(y, op, "y")
    if x is not None and not isinstance(x, Tensor) or x is not None and dx is not None:
        given = ", ".join(["Tensor", type(x).__name__ if not isinstance(x, Tensor) else "Tensor"]
                          + ([f"dx={type(dx).__name__}"] if dx is not None else []))
        raise TypeError(f"{op}() received an invalid combination of arguments - got ({given}): give the sample "
                        "points x as a tensor, or their spacing as dx=")
    return to_float(y), (None if x is None else to_float(x))


def _zeros_without(y: Tensor, d: int) -> Tensor:
    """The integral over no samples: zeros of y's shape without dim d (a new tensor, as torch's)."""
    return Tensor._wrap(np.zeros(y.shape[:d] + y.shape[d + 1:], y._data.dtype))


def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The integral of ``y`` along ``dim`` by the trapezoid rule: samples ``dx`` apart (default 1) or at the
    points ``x``."""
    y, x = _samples(y, x, dx, "trapezoid")
    d = _check_dim(dim, y.ndim, "trapezoid")
    n = y.shape[d]
    if x is not None:
        if n == 0:
            return _zeros_without(y, d)
        pairs = y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)
        return (_spacing(y, x, d) * pairs).sum(d) / 2
    step = 1 if dx is None else dx
    if n == 0:
        return _zeros_without(y, d)
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * step


def trapz(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """``trapezoid`` (its older name)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoid-rule integral of ``y`` along ``dim``: one value fewer than ``y`` has."""
    y, x = _samples(y, x, dx, "cumulative_trapezoid")
    d = _check_dim(dim, y.ndim, "cumulative_trapezoid")
    n = y.shape[d]
    if n == 0:
        return y.cumsum(d)  # (empty, as torch's: of y's shape)
    pairs = y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)
    if x is not None:
        return (_spacing(y, x, d) * pairs).cumsum(d) / 2
    step = 1 if dx is None else dx
    return (pairs * (step / 2)).cumsum(d)


def _attach() -> None:
    Tensor.dist = dist
    Tensor.vdot = vdot


_attach()
