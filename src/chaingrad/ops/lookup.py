"""Finding and counting positions: ``argwhere``, ``unravel_index``, ``isin``, ``aminmax`` (both extremes at once)
and ``vander`` (the Vandermonde matrix of powers)."""

from __future__ import annotations

import math

import numpy as np

from .. import return_types
from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim
from ._checks import require_tensor
from .index import nonzero
from .reduce import _spread
from .shape import cat


class Aminmax(Node):
    """min and max in one pass; each output's gradient goes to where it was found (shared evenly among ties)."""

    num_outputs = 2
    formulas = ("dL/dx = dL/dmin where x is the min + dL/dmax where x is the max (each shared evenly among ties)",)

    def forward(ctx, x, axes=None, keepdim=False):
        ctx.shape, ctx.axes = x.shape, axes
        lo, hi = np.amin(x, axis=axes, keepdims=keepdim), np.amax(x, axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, lo, hi)
        return lo, hi

    def backward(ctx, g_min, g_max):
        x, lo, hi = ctx.saved_tensors
        total = None
        for g, found in ((g_min, lo), (g_max, hi)):
            hit = x._data == _spread(found, ctx.shape, ctx.axes)._data
            share = Tensor._wrap((hit / np.sum(hit, axis=ctx.axes, keepdims=True)).astype(g._data.dtype))
            part = _spread(g, ctx.shape, ctx.axes) * share
            total = part if total is None else total + part
        return total


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """(min, max) of all elements, or along ``dim``: ``return_types.aminmax``."""
    require_tensor(input, "aminmax")
    if dim is None:
        axes = None
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               f"identity. (The input has shape {list(input.shape)}: give a dim, or check for empty.)")
    else:
        axes = (_check_dim(dim, max(input.ndim, 1), "aminmax"),) if input.ndim else None
        if input.ndim and input.shape[axes[0]] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {dim} to have non-zero size. (The input has shape "
                             f"{list(input.shape)}.)")
    lo, hi = apply(Aminmax, input, axes=axes, keepdim=keepdim)
    return return_types.aminmax(lo, hi)


def argwhere(input: Tensor) -> Tensor:
    """The indices of the nonzero elements, one row per element (``nonzero``): int64 of shape (n, input.ndim)."""
    require_tensor(input, "argwhere")
    if input.ndim == 0:  # (one row of no coordinates, or none)
        return Tensor._wrap(np.zeros((int(bool(input._data)), 0), np.int64))
    return nonzero(input)


def unravel_index(indices: Tensor, shape) -> tuple[Tensor, ...]:
    """The coordinates in ``shape`` of flat positions ``indices`` (row-major): one int64 tensor per dim. As in
    torch, an index is taken modulo the number of elements (-1 is the last element)."""
    if not isinstance(indices, Tensor):  # (torch's Python function asks it for is_complex first)
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(int(d) < 0 for d in dims):
        raise ValueError("'shape' cannot have negative values, but got " + str(dims))
    n = math.prod(dims)
    flat = indices._data.astype(np.int64)
    if n == 0 and flat.size:
        raise RuntimeError(f"unravel_index: shape {list(dims)} has no elements to index")
    coords = np.unravel_index(np.mod(flat, n), dims) if dims and flat.size else [flat] * len(dims)
    return tuple(Tensor._wrap(np.asarray(c, dtype=np.int64)) for c in coords)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """A bool tensor of ``elements``' shape: True where the element occurs in ``test_elements`` (a tensor or a
    number); ``invert`` gives the opposite."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments: one of 'elements' and "
                        "'test_elements' must be a Tensor")
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return Tensor._wrap(np.isin(a, b, assume_unique=assume_unique, invert=invert))


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803 - torch's name
    """The matrix of powers of a 1-d tensor: column j holds x ** (N - 1 - j) (``increasing``: x ** j); built as
    a cumulative product, so it is differentiable everywhere (x = 0 included)."""
    require_tensor(x, "vander", "x")
    if x.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor. (vander got a tensor of shape {list(x.shape)}.)")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if x._data.dtype.kind in "biu":
        x = x.long()
    if n == 0:
        return x.new_empty((x.shape[0], 0))
    ones = x.new_ones((x.shape[0], 1))
    powers = cat([ones, x.unsqueeze(1).expand(x.shape[0], n - 1)], 1).cumprod(1) if n > 1 else ones
    return powers if increasing else powers.flip(1)


def _attach() -> None:
    Tensor.aminmax = aminmax
    Tensor.argwhere = argwhere
    for name in ("aminmax", "argwhere"):
        getattr(Tensor, name).__name__ = name


_attach()
