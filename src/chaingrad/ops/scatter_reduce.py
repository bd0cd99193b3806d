"""Reducing values into indexed positions: ``scatter_reduce`` (``src[i][j]`` into ``out[index[i][j]][j]`` for
dim 0) and ``index_reduce`` (whole slices of ``source`` into the slices ``index`` names along a dim), with
``reduce`` one of "sum" (scatter only), "prod", "mean", "amax", "amin". ``include_self=False`` leaves the
input's own value out of the positions written to. Both share one node; their gradients are torch's
(the ``prod`` one exact where a factor is zero, ``amax``/``amin`` shared evenly between ties).
"""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim
from ._checks import require_tensor, scalar_type
from .index import AdvancedIndex, ScatterAdd

__all__ = ["scatter_reduce", "index_reduce"]

_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _identity(reduce: str, dtype: np.dtype):
    """The value a position starts from when the input's own value is left out."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if dtype.kind == "f" else (True if dtype.kind == "b" else np.iinfo(dtype).max)
    small = -np.inf if dtype.kind == "f" else (False if dtype.kind == "b" else np.iinfo(dtype).min)
    return small if reduce == "amax" else big


def _reduce_at(x: np.ndarray, src: np.ndarray, where: tuple, reduce: str, include_self: bool) -> np.ndarray:
    out = x.copy()
    if not include_self:
        out[where] = _identity(reduce, x.dtype)
    _UFUNC[reduce].at(out, where, src)
    if reduce == "mean":
        count = np.full(x.shape, 1 if include_self else 0, np.int64)
        np.add.at(count, where, 1)
        count[count == 0] = 1
        out = out // count.astype(x.dtype) if x.dtype.kind in "iub" else (out / count).astype(x.dtype)
    return out


def _gather(t: Tensor, where: tuple) -> Tensor:
    return apply(AdvancedIndex, t, index=where, basic=False)


def _scatter_add(base: Tensor, values: Tensor, where: tuple) -> Tensor:
    return apply(ScatterAdd, base, values, where=where)


class ScatterReduce(Node):
    """x with src reduced in at ``where`` (the positions index names along dim)."""

    torch_name = "ScatterReduceBackward0"
    input_names = ("x", "src")
    formulas = ("dL/dx = dL/dout (sum), dL/dout / count (mean), dL/dout * out / x (prod), dL/dout shared evenly by "
                "the x and src equal to out (amax/amin); 0 where include_self=False left x out",
                "dL/dsrc = dL/dout[index] (sum), (dL/dout / count)[index] (mean), (dL/dout * out)[index] / src "
                "(prod), dL/dout[index] shared among the ties (amax/amin)")

    def forward(ctx, x, src, where=(), reduce="sum", include_self=True):
        ctx.where, ctx.reduce, ctx.include_self = where, reduce, include_self
        out = _reduce_at(x, src, where, reduce, include_self)
        if reduce in ("prod", "amax", "amin"):
            ctx.save_for_backward(x, src, out)
        else:
            ctx.save_for_backward(src)
        return out

    def backward(ctx, g):
        where, reduce = ctx.where, ctx.reduce
        if reduce == "sum":
            gx, gs = g, _gather(g, where)
        elif reduce == "mean":
            (src,) = ctx.saved_tensors
            n = g.new_ones(g.shape) if ctx.include_self else g.new_zeros(g.shape)
            n = _scatter_add(n, src.new_ones(src.shape), where)
            gx = g / n.masked_fill(n == 0, 1)
            gs = _gather(gx, where)
        elif reduce == "prod":
            gx, gs = _prod_grads(ctx, g)
        else:
            x, src, out = ctx.saved_tensors
            value = _gather(out, where)
            x_is, src_is = (x == out).to(g.dtype), (src == value).to(g.dtype)
            share = g / _scatter_add(x_is, src_is, where)
            gx, gs = x_is * share, src_is * _gather(share, where)
        if not ctx.include_self:
            written = np.zeros(g.shape, bool)
            written[where] = True
            gx = gx.masked_fill(Tensor._wrap(written), 0)
        return gx, gs


def _prod_grads(ctx, g: Tensor) -> tuple[Tensor, Tensor]:
    """The product's gradients without dividing by a zero factor: the product of the other factors instead."""
    from .elementwise import where as where_

    x, src, out = ctx.saved_tensors
    where, include_self = ctx.where, ctx.include_self
    kwargs = {"where": where, "reduce": "prod", "include_self": include_self}
    masked_x = x.masked_fill(x == 0, 1)
    gx = g * apply(ScatterReduce, masked_x, src, **kwargs) / masked_x
    src_zero = src == 0
    zeros_there = _gather(_scatter_add(x.new_zeros(x.shape), src_zero.to(x.dtype), where), where)
    single_zero = src_zero & (zeros_there == 1)
    others = apply(ScatterReduce, x, src.masked_fill(single_zero, 1), **kwargs)
    gs = where_(single_zero, _gather(g * others, where), _gather(g * out, where) / src.masked_fill(src_zero, 1))
    return gx, gs


_INDEX_REDUCE = ScatterReduce.named("IndexReduceBackward0")
_warned: list[bool] = []  # (torch warns once a process that index_reduce is in beta)
_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """input with each ``src[i][j]`` reduced into ``input[index[i][j]][j]`` (dim 0) by ``reduce``."""
    require_tensor(input, "scatter_reduce")
    require_tensor(index, "scatter_reduce", "index", 3)
    require_tensor(src, "scatter_reduce", "src", 4)
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # (torch takes these spellings too)
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = _check_dim(dim, input._data.ndim, "scatter_reduce")
    idx = index._data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"scatter_reduce(): Expected dtype int32/int64 for index, got {index.dtype}")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if idx.size:
        nd = input._data.ndim
        if idx.ndim != max(nd, 1) or src._data.ndim != idx.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
        shape, sshape = input._data.shape or (1,), src._data.shape or (1,)
        if any(idx.shape[k] > sshape[k] or (k != d and idx.shape[k] > shape[k]) for k in range(idx.ndim)):
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart from "
                               f"dimension {d} and to be no larger size than src {list(sshape)}")
        outside = np.flatnonzero((idx < 0) | (idx >= shape[d]))
        if outside.size:  # (torch names the first, in index order)
            raise RuntimeError(f"index {idx.reshape(-1)[outside[0]]} is out of bounds for dimension {d} with size "
                               f"{shape[d]}")
    if not input._data.ndim:
        raise NotImplementedError("scatter_reduce of a 0-d tensor is not implemented; reshape it to 1 element "
                                  "(input.reshape(1)) and back")
    grids = list(np.ix_(*[np.arange(s) for s in idx.shape]))
    grids[d] = idx
    src = src[tuple(slice(0, s) for s in idx.shape)] if src._data.shape != idx.shape else src
    return apply(ScatterReduce, input, src, where=tuple(grids), reduce=reduce, include_self=include_self)


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """input with each slice ``source.select(dim, i)`` reduced into ``input.select(dim, index[i])`` by ``reduce``
    ("prod", "mean", "amax" or "amin")."""
    require_tensor(input, "index_reduce")
    if not _warned:
        import warnings

        warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning, stacklevel=2)
        _warned.append(True)
    require_tensor(index, "index_reduce", "index", 3)
    require_tensor(source, "index_reduce", "source", 4)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d = _check_dim(dim, input._data.ndim, "index_reduce")
    idx = index._data
    if idx.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{scalar_type(idx.dtype)} and size: {list(idx.shape)}")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {scalar_type(idx.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_reduce_(): self ({scalar_type(input)}) and source ({scalar_type(source)}) must "
                           "have the same scalar type")
    shape, sshape = input._data.shape, source._data.shape
    if source._data.ndim != input._data.ndim or any(sshape[k] != shape[k] for k in range(len(shape)) if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. Got "
                           f"self.shape = {list(shape)} source.shape = {list(sshape)}")
    if idx.size != (sshape[d] if sshape else 1):
        raise RuntimeError(f"index_reduce_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({sshape[d] if sshape else 1}), for dim: {d}")
    flat = idx.reshape(-1)
    if flat.size and (flat.min() < 0 or flat.max() >= shape[d]):
        raise IndexError("index out of range in self")
    grids = list(np.ix_(*[np.arange(s) for s in sshape]))
    grids[d] = flat.reshape([-1 if k == d else 1 for k in range(len(sshape))])
    return apply(_INDEX_REDUCE, input, source, where=tuple(grids), reduce=reduce, include_self=include_self)


def _attach() -> None:
    from .inplace import inplace

    Tensor.scatter_reduce, Tensor.index_reduce = scatter_reduce, index_reduce

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return inplace(self, lambda old: scatter_reduce(old, dim, index, src, reduce, include_self=include_self),
                       "scatter_reduce_", (src,))

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return inplace(self, lambda old: index_reduce(old, dim, index, source, reduce, include_self=include_self),
                       "index_reduce_", (source,))

    Tensor.scatter_reduce_, Tensor.index_reduce_ = scatter_reduce_, index_reduce_


_attach()
