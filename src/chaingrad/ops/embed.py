"""Placing tensors inside bigger ones, and reading flat positions: ``block_diag``, ``take`` and the out-of-place
writes ``select_scatter``, ``slice_scatter``, ``diagonal_scatter`` (``x`` with a region replaced by ``src``)."""

from __future__ import annotations

import numpy as np

from .._dtype import result_type
from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim
from ._checks import require_tensor, scalar_type


class BlockDiag(Node):
    """The matrices along the diagonal of a bigger one, zeros elsewhere; each input's gradient is its block."""

    formulas = ("dL/dx_k = the block of dL/dout where x_k sits (reshaped to x_k's shape)",)

    def forward(ctx, *blocks):
        mats = [b.reshape(1, -1) if b.ndim < 2 else b for b in blocks]
        rows, cols = sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)
        out = np.zeros((rows, cols), dtype=blocks[0].dtype if blocks else np.float32)
        ctx.places, r, c = [], 0, 0
        for b, m in zip(blocks, mats):
            out[r:r + m.shape[0], c:c + m.shape[1]] = m
            ctx.places.append((r, r + m.shape[0], c, c + m.shape[1], b.shape))
            r, c = r + m.shape[0], c + m.shape[1]
        return out

    def backward(ctx, g):
        return tuple(g[r0:r1, c0:c1].reshape(shape) for r0, r1, c0, c1, shape in ctx.places)


class Take(Node):
    """``input.flatten()[index]``: the gradient adds dL/dout back at those flat positions (repeats add up)."""

    formulas = ("dL/dx = zeros of x's shape, with dL/dout added at the flat positions index names",)

    def forward(ctx, x, index=None):
        ctx.shape, ctx.index = x.shape, index
        return x.reshape(-1)[index]

    def backward(ctx, g):
        from .index import IndexAdd

        flat = apply(IndexAdd, g, index=ctx.index, basic=False, shape=(int(np.prod(ctx.shape)),))
        return flat.reshape(ctx.shape)


class ScatterInto(Node):
    """``x`` with the region ``region(x)`` names replaced by ``src``: x's gradient is dL/dout with 0 there,
    src's is dL/dout read at that region."""

    input_names = ("x", "src")
    formulas = ("dL/dx = dL/dout with 0 in the region src replaced", "dL/dsrc = dL/dout read at that region")

    def forward(ctx, x, src, region=None):
        ctx.region = region
        out = x.copy()
        view, where = region(out)
        view[where] = src
        written = np.zeros(x.shape, bool)
        view, where = region(written)
        view[where] = True
        ctx.written = written
        return out

    def backward(ctx, g):
        gx = g * Tensor._wrap((~ctx.written).astype(g._data.dtype)) if ctx.needs_input_grad[0] else None
        if not ctx.needs_input_grad[1]:
            return gx, None
        view, where = ctx.region(g)
        return gx, view[where]


_SELECT, _SLICE = ScatterInto.named("SelectScatterBackward0"), ScatterInto.named("SliceScatterBackward0")
_DIAGONAL = ScatterInto.named("DiagonalScatterBackward0")


def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix of the given matrices (0-d and 1-d tensors count as one row), in their common
    dtype."""
    for i, t in enumerate(tensors):
        require_tensor(t, "block_diag", "tensors", i + 1)
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
    if not tensors:
        return Tensor._wrap(np.zeros((1, 0), np.float32))
    common = result_type(*tensors)
    return apply(BlockDiag, *[t if t.dtype is common else t.to(common) for t in tensors])


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements at flat positions ``index`` (as if ``input`` were 1-d), in ``index``'s shape."""
    require_tensor(input, "take")
    require_tensor(index, "take", "index", 2)
    if index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {scalar_type(index)}")
    n = input._data.size
    bad = index._data[(index._data >= n) | (index._data < -n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {int(bad.reshape(-1)[0])} on a tensor of {n} "
                         "elements.")
    return apply(Take, input, index=index._data.copy())


def _scatter_into(node, input: Tensor, src: Tensor, region, slice_shape: tuple) -> Tensor:
    if tuple(src.shape) != tuple(slice_shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(slice_shape)}")
    if src.dtype is not input.dtype:
        src = src.to(input.dtype)
    return apply(node, input, src, region=region)


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``input`` with ``input.select(dim, index)`` replaced by ``src`` (a new tensor; input is unchanged)."""
    require_tensor(input, "select_scatter")
    require_tensor(src, "select_scatter", "src", 2)
    where = (slice(None),) * _check_dim(dim, input.ndim, "select_scatter") + (int(index),)
    shape = input.select(dim, index).shape
    return _scatter_into(_SELECT, input, src, lambda a: (a, where), shape)


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,
                  step: int = 1) -> Tensor:
    """``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by ``src``."""
    require_tensor(input, "slice_scatter")
    require_tensor(src, "slice_scatter", "src", 2)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    where = (slice(None),) * _check_dim(dim, input.ndim, "slice_scatter") + (slice(start, end, step),)
    shape = input._data[where].shape
    return _scatter_into(_SLICE, input, src, lambda a: (a, where), shape)


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src`` (the diagonal's dim last, as
    ``diagonal`` gives it)."""
    require_tensor(input, "diagonal_scatter")
    require_tensor(src, "diagonal_scatter", "src", 2)
    d1, d2 = _check_dim(dim1, input.ndim, "diagonal_scatter"), _check_dim(dim2, input.ndim, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    shape = np.diagonal(input._data, offset, d1, d2).shape
    n = shape[-1]
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)

    def region(a):
        moved = a.movedim((d1, d2), (-2, -1)) if isinstance(a, Tensor) else np.moveaxis(a, (d1, d2), (-2, -1))
        return moved, (Ellipsis, rows, cols)

    return _scatter_into(_DIAGONAL, input, src, region, shape)


def _attach() -> None:
    for name in ("take", "select_scatter", "slice_scatter", "diagonal_scatter"):
        setattr(Tensor, name, globals()[name])


_attach()
