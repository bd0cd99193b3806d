"""Writing values at indexed positions: ``scatter`` (``src[i][j]`` to ``out[index[i][j]][j]`` for dim 0, or one
number everywhere ``index`` points; with ``reduce=`` added or multiplied in instead), ``index_copy`` (whole slices
to the positions ``index`` names along a dim) and ``index_fill`` (those slices set to one value). Each has its
in-place twin (``x.scatter_(...)``); the gradient of a written position goes to what was written there."""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim
from ._checks import require_tensor as _tensor
from ._checks import scalar_type
from .index import AdvancedIndex


def _masked_out(g: Tensor, written: np.ndarray) -> Tensor:
    """g with 0 at the overwritten positions (they no longer depend on the input)."""
    return g * Tensor._wrap((~written).astype(g._data.dtype))


class Scatter(Node):
    """x with ``src`` written at ``where`` (the positions scatter's index names); a number src has no edge."""

    input_names = ("x", "src")
    formulas = ("dL/dx = dL/dout with 0 at the positions written", "dL/dsrc = dL/dout gathered at index along dim")

    def forward(ctx, x, src, where=()):
        ctx.where = where
        out = x.copy()
        out[where] = src
        written = np.zeros(x.shape, bool)
        written[where] = True
        ctx.written = written
        return out

    def backward(ctx, g):
        gsrc = apply(AdvancedIndex, g, index=ctx.where, basic=False) if ctx.needs_input_grad[1] else None
        return _masked_out(g, ctx.written), gsrc


class ScatterReduce(Node):
    """scatter with ``reduce="add"`` or ``"multiply"``: torch defines no derivative for it; backward raises."""

    torch_name = "NotImplemented"
    input_names = ("x", "src")
    formulas = ("not differentiable: torch has no derivative for scatter with reduce=; use scatter_add, or "
                "scatter_reduce", "not differentiable (as for x)")

    def forward(ctx, x, src, where=(), reduce="add"):
        out = x.copy()
        (np.add if reduce == "add" else np.multiply).at(out, where, src)
        return out

    def backward(ctx, g):
        raise RuntimeError("derivative for aten::scatter is not implemented (scatter with reduce=: use "
                           "scatter_add, or compute the sum with differentiable ops)")


class IndexCopy(Node):
    """x with the slices of ``source`` copied to the positions ``where`` (index along dim)."""

    input_names = ("x", "source")
    formulas = ("dL/dx = dL/dout with 0 at the slices copied over", "dL/dsource = dL/dout[index] along dim")

    def forward(ctx, x, source, where=()):
        ctx.where = where
        out = x.copy()
        out[where] = source
        written = np.zeros(x.shape, bool)
        written[where] = True
        ctx.written = written
        return out

    def backward(ctx, g):
        gs = apply(AdvancedIndex, g, index=ctx.where, basic=False) if ctx.needs_input_grad[1] else None
        return _masked_out(g, ctx.written), gs


class IndexFill(Node):
    """x with the slices at ``where`` set to ``value`` (a number, without an edge, or a 0-d tensor)."""

    input_names = ("x", "value")
    formulas = ("dL/dx = dL/dout with 0 at the filled slices",
                "dL/dvalue = the sum of dL/dout over the filled positions (each counted once)")

    def forward(ctx, x, value, where=()):
        out = x.copy()
        out[where] = value
        written = np.zeros(x.shape, bool)
        written[where] = True
        ctx.written = written
        return out

    def backward(ctx, g):
        gv = None
        if ctx.needs_input_grad[1]:
            gv = (g * Tensor._wrap(ctx.written.astype(g._data.dtype))).sum()
        return _masked_out(g, ctx.written), gv


_SCATTER_VALUE = Scatter.named("ScatterBackward1", unlisted_inputs=(1,))
_SCATTER_SRC = Scatter.named("ScatterBackward0")
_FILL_NUMBER = IndexFill.named("IndexFillBackward0", unlisted_inputs=(1,))
_FILL_TENSOR = IndexFill.named("IndexFillBackward1")


def _scatter_where(input: Tensor, d: int, index: Tensor, src_shape: tuple | None) -> tuple:
    """The NumPy index of the positions scatter writes, after torch's checks of index."""
    idx = index._data
    shape = input._data.shape
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"scatter(): Expected dtype int32/int64 for index (got {scalar_type(idx.dtype)})")
    if idx.ndim != input._data.ndim and idx.size:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as self tensor (scatter: self "
                           f"{list(shape)}, index {list(idx.shape)})")
    if src_shape is not None and idx.ndim != len(src_shape) and idx.size:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as src tensor (scatter: src "
                           f"{list(src_shape)}, index {list(idx.shape)})")
    if not idx.size:
        return (np.zeros(0, np.int64),) * max(input._data.ndim, 1) if input._data.ndim else (Ellipsis,)
    too_big = any(s > shape[k] for k, s in enumerate(idx.shape) if k != d) or (
        src_shape is not None and any(s > t for s, t in zip(idx.shape, src_shape)))
    if too_big:
        tail = f" and to be no larger size than src {list(src_shape)}" if src_shape is not None else ""
        raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart from "
                           f"dimension {d}{tail}")
    size = shape[d] if shape else 1
    bad = idx[(idx < 0) | (idx >= size)]
    if bad.size:
        raise RuntimeError(f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {d} with size {size}")
    if not shape:
        return (Ellipsis,)
    grids = list(np.ix_(*[np.arange(s) for s in idx.shape]))
    grids[d] = idx.astype(np.int64)
    return tuple(grids)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce: str | None = None) -> Tensor:
    """``input`` with ``src`` (a tensor, or a number) written at ``index`` along ``dim``: for dim 0,
    ``out[index[i][j]][j] = src[i][j]``. With ``reduce="add"`` or ``"multiply"`` src is added or multiplied in
    (no gradient, as in torch). Where an index repeats, the last write wins."""
    _tensor(input, "scatter")
    _tensor(index, "scatter", "index", 3)
    if src is None:
        if value is None:
            raise TypeError("scatter() missing the values to write: pass src (a tensor) or value (a number)")
        src = value
    elif value is not None:
        raise TypeError("scatter() got both src and value: pass only one")
    d = _check_dim(dim, max(input._data.ndim, 1), "scatter")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply. (got {reduce!r})")
    by_tensor = isinstance(src, Tensor)
    if by_tensor:
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype (got {input.dtype} and "
                               f"{src.dtype}: convert src with .to(input.dtype))")
        where = _scatter_where(input, d, index, src._data.shape)
        if reduce is not None:
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
                          "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=2)
        if src._data.shape != index._data.shape and index._data.size:  # only the leading index-shaped block is read
            src = src[tuple(slice(0, s) for s in index._data.shape)]
    else:
        where = _scatter_where(input, d, index, None)
        src = Tensor._wrap(np.array(src).astype(input._data.dtype))
    if not index._data.size:
        return input.clone()
    if reduce is not None:
        return apply(ScatterReduce, input, src, where=where, reduce=reduce)
    return apply(_SCATTER_SRC if by_tensor else _SCATTER_VALUE, input, src, where=where)


def _slice_index(input: Tensor, dim: int, index: Tensor, op: str) -> tuple[int, np.ndarray, tuple]:
    """index_copy's and index_fill's dim, index vector and NumPy index of the slices named, after torch's checks."""
    d = _check_dim(dim, max(input._data.ndim, 1), op)
    idx = index._data
    size = input._data.shape[d] if input._data.ndim else 1
    if idx.ndim > 1:
        if op == "index_fill_":
            raise RuntimeError(f"Index has to be a vector/scalar (index_fill: got an index of shape {list(idx.shape)})")
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    if idx.dtype != np.int64:
        if op == "index_fill_":
            raise IndexError("index_fill_(): Expected dtype int64 for index.")
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {scalar_type(idx.dtype)}")
    idx = idx.reshape(-1)
    low = -size if op == "index_fill_" else 0  # (index_fill takes negative indices, index_copy does not)
    bad = idx[(idx < low) | (idx >= size)]
    if bad.size:
        prefix = "index_copy_(): " if op == "index_copy_" else ""
        raise IndexError(f"{prefix}index {int(bad[0])} is out of bounds for dimension {d} with size {size}")
    where = (slice(None),) * d + (idx % max(size, 1),) if input._data.ndim else (Ellipsis,)
    return d, idx, where


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``input`` with ``source``'s slices along ``dim`` copied to the positions ``index`` names (for dim 0,
    ``out[index[i]] = source[i]``)."""
    _tensor(input, "index_copy")
    _tensor(source, "index_copy", "source", 4)
    d, idx, where = _slice_index(input, dim, index, "index_copy_")
    shape, sshape = input._data.shape, source._data.shape
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{scalar_type(input)} and (source) {scalar_type(source)}")
    if len(sshape) != len(shape) and sshape and shape:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({len(sshape)}), destination dimensionality ({len(shape)})")
    for k in range(len(shape)):
        if k != d and len(sshape) == len(shape) and shape[k] != sshape[k]:
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                               f"slice shape: {shape[k]} at dimension {k} and source slice shape: {sshape[k]} at "
                               f"dimension {k}.")
    count = sshape[d] if sshape else 1
    if idx.size != count:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                         f"({count})")
    return apply(IndexCopy, input, source, where=where)


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """``input`` with the slices along ``dim`` that ``index`` names set to ``value`` (a number or a 0-d tensor)."""
    _tensor(input, "index_fill")
    _, _, where = _slice_index(input, dim, index, "index_fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        v = value if value._data.dtype == input._data.dtype else value.to(input.dtype)
        return apply(_FILL_TENSOR, input, v, where=where)
    v = Tensor._wrap(np.array(value).astype(input._data.dtype))
    return apply(_FILL_NUMBER, input, v, where=where)


def _attach() -> None:
    from .inplace import inplace

    T = Tensor
    T.scatter, T.index_copy, T.index_fill = scatter, index_copy, index_fill

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        others = (src,) if isinstance(src, Tensor) else ()
        return inplace(self, lambda old: scatter(old, dim, index, src, value=value, reduce=reduce), "scatter_",
                       others)

    def index_copy_(self, dim, index, source):
        return inplace(self, lambda old: index_copy(old, dim, index, source), "index_copy_", (source,))

    def index_fill_(self, dim, index, value):
        others = (value,) if isinstance(value, Tensor) else ()
        return inplace(self, lambda old: index_fill(old, dim, index, value), "index_fill_", others)

    T.scatter_, T.index_copy_, T.index_fill_ = scatter_, index_copy_, index_fill_


_attach()
