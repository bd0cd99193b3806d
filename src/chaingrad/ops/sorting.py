"""Ordering ops: sort, argsort, topk, kthvalue, median, mode, unique, searchsorted, bucketize.

The value-picking ops (sort, topk, kthvalue, median(dim), mode) choose an index along ``dim`` for each
output; their gradient is the output gradient put back at the chosen indices, 0 elsewhere. The
counting ops live in ``histogram.py``.
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim
from ._checks import require_tensor
from .index import IndexAdd


def along(indices: np.ndarray, dim: int) -> tuple:
    """A NumPy index that picks ``indices`` along ``dim`` (and every position of the other dims)."""
    grids = list(np.ix_(*[np.arange(s) for s in indices.shape]))
    grids[dim] = indices
    return tuple(grids)


class PickAlongDim(Node):
    """out = x at ``indices`` along ``dim`` (one chosen element per output)."""

    formulas = ("dL/dx = dL/dout put back at the chosen indices along dim, 0 elsewhere",)

    def forward(ctx, x, indices=None, dim=0, keepdim=True):
        ctx.shape, ctx.dim, ctx.indices, ctx.keepdim = x.shape, dim, indices, keepdim
        out = np.take_along_axis(x, indices, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    def backward(ctx, g):
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        return apply(IndexAdd, g, index=along(ctx.indices, ctx.dim), basic=False, shape=ctx.shape)


class Sort(PickAlongDim):
    pass


class Topk(PickAlongDim):
    pass


class Kthvalue(PickAlongDim):
    pass


class MedianDim(PickAlongDim):
    torch_name = "MedianBackward1"


class NanmedianDim(PickAlongDim):
    torch_name = "NanmedianBackward1"


class Mode(PickAlongDim):
    pass


class MedianAll(Node):
    """The median of all elements: its gradient is shared evenly by every element equal to it (torch's rule)."""

    formulas = ("dL/dx = dL/dout / k at each of the k elements equal to the median, 0 elsewhere",)

    def forward(ctx, x, nan=False):
        ctx.nan = nan
        flat = x.reshape(-1)
        if nan:
            flat = flat[~np.isnan(flat)]
        if flat.size == 0:
            out = np.array(np.nan, x.dtype)
        elif not nan and np.isnan(flat).any():
            out = np.array(np.nan, x.dtype)
        else:
            out = np.asarray(np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2])
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        hit = np.isnan(x._data) if np.isnan(out._data) else x._data == out._data
        return g * Tensor._wrap((hit / max(int(hit.sum()), 1)).astype(g._data.dtype))

    torch_name = "MedianBackward0"


_STABLE_SORT, _NANMEDIAN_ALL = Sort.named("SortBackward1"), MedianAll.named("NanmedianBackward0")


# -- the order of elements ---------------------------------------------------------------------------------
def _order(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``axis``; NaN counts as the largest value (last ascending, first descending), as torch."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    # sorting the reversed array and reversing the result keeps equal elements in their original order
    rev = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return np.flip(n - 1 - rev, axis)


def _pick(op: type[Node], input: Tensor, indices: np.ndarray, dim: int, keepdim: bool, result, **extra):
    values = apply(op, input, indices=indices, dim=dim, keepdim=keepdim)
    if values._grad_fn is not None:
        values._grad_fn.__dict__.update(extra)
    idx = indices if keepdim else np.squeeze(indices, axis=dim)
    return result(values, Tensor._wrap(idx.astype(np.int64, copy=False)))


def _as_1d(input: Tensor, op: str, dim: int):
    """(tensor, dim, restore) where a 0-d input is seen as 1-d and ``restore`` undoes that on a result."""
    d = _check_dim(dim, input._data.ndim, op)
    if input._data.ndim:
        return input, d, lambda r: r
    return input.reshape(1), 0, lambda r: type(r)(*[t.reshape(()) for t in r])


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool | None = False):
    """(values, indices) sorted along ``dim``; equal elements keep their order; NaN sorts as the largest."""
    x, d, restore = _as_1d(input, "sort", dim)
    order = _order(x._data, d, descending)
    return restore(_pick(_STABLE_SORT if stable else Sort, x, order, d, True, return_types.sort))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (``sort(...).indices``)."""
    x, d, _ = _as_1d(input, "argsort", dim)
    order = _order(x._data, d, descending).astype(np.int64, copy=False)
    return Tensor._wrap(order if input._data.ndim else order.reshape(()))


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, best first.

    Equal values come in index order. With ``sorted=False`` torch leaves the order to its selection algorithm;
    here the result is sorted then too (a valid order, though not always the one torch prints)."""
    x, d, restore = _as_1d(input, "topk", dim)
    if not 0 <= k <= x._data.shape[d]:
        raise RuntimeError(f"selected index k out of range (topk: k={k} for a dimension of size "
                           f"{x._data.shape[d]} in an input of shape {list(input._data.shape)})")
    order = np.take(_order(x._data, d, largest), np.arange(k), axis=d)
    return restore(_pick(Topk, x, order, d, True, return_types.topk))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element along ``dim`` (k counts from 1) and its index (among equal values, the
    one a stable sort puts k-th; torch's choice among ties can differ)."""
    x, d, restore = _as_1d(input, "kthvalue", dim)
    if not 1 <= k <= x._data.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} (k={k}, size "
                           f"{x._data.shape[d]})")
    order = np.take(_order(x._data, d, False), [k - 1], axis=d)
    return restore(_pick(Kthvalue, x, order, d, keepdim, return_types.kthvalue))


def _median_dim(input: Tensor, dim: int, keepdim: bool, nan: bool):
    op = "nanmedian" if nan else "median"
    x, d, restore = _as_1d(input, op, dim)
    a = x._data
    if a.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    order = _order(a, d, False)  # NaN last
    if a.dtype.kind == "f":
        nans = np.isnan(a)
        count = a.shape[d] - nans.sum(axis=d, keepdims=True)
        if nan:  # the lower median of the numbers; an all-NaN slice gives NaN at index 0
            pos = np.maximum(count - 1, 0) // 2
            chosen = np.take_along_axis(order, pos, axis=d)
            chosen = np.where(count == 0, 0, chosen)
        else:  # a NaN anywhere makes the median NaN, at the first NaN
            chosen = np.take(order, [(a.shape[d] - 1) // 2], axis=d)
            chosen = np.where(count < a.shape[d], np.argmax(nans, axis=d, keepdims=True), chosen)
    else:
        chosen = np.take(order, [(a.shape[d] - 1) // 2], axis=d)
    result = return_types.nanmedian if nan else return_types.median
    return restore(_pick(NanmedianDim if nan else MedianDim, x, chosen, d, keepdim, result))


def median(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """The lower median of all elements, or with ``dim`` (values, indices) along it; NaN propagates.

    Where the median value occurs several times, the index is its first occurrence in sorted (stable) order;
    torch documents its choice among equal values as unspecified, and it can differ."""
    if dim is None:
        return apply(MedianAll, input, nan=False)
    return _median_dim(input, dim, keepdim, nan=False)


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """``median`` that ignores NaN values (NaN only where a slice has nothing else)."""
    if dim is None:
        return apply(_NANMEDIAN_ALL, input, nan=True)
    return _median_dim(input, dim, keepdim, nan=True)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest one among equally frequent) and its last index."""
    x, d, restore = _as_1d(input, "mode", dim)
    a = np.moveaxis(x._data, d, -1)
    n = a.shape[-1]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    order = np.argsort(a, axis=-1, kind="stable")
    s = np.take_along_axis(a, order, axis=-1)
    pos = np.broadcast_to(np.arange(n), s.shape)
    starts = np.concatenate([np.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], axis=-1)
    run_start = np.maximum.accumulate(np.where(starts, pos, 0), axis=-1)
    ends = np.concatenate([s[..., 1:] != s[..., :-1], np.ones(s.shape[:-1] + (1,), bool)], axis=-1)
    counts = np.where(ends, pos - run_start + 1, 0)  # a run's length, at its last element
    best = np.argmax(counts, axis=-1)[..., None]  # the first longest run: the smallest value
    chosen = np.moveaxis(np.take_along_axis(order, best, axis=-1), -1, d)  # stable: the run's last index
    return restore(_pick(Mode, x, chosen, d, keepdim, return_types.mode))


# -- unique ------------------------------------------------------------------------------------------------
class NotDifferentiable(Node):
    """Results that torch records without a derivative: backward through them raises, naming the op."""

    formulas = ("not differentiable: backward raises NotImplementedError, as torch's",)

    def forward(ctx, x, results=(), op_called=""):
        ctx.op_called = op_called
        return results[0] if len(results) == 1 else results

    def backward(ctx, *grads):
        raise NotImplementedError(f"the derivative for '{ctx.op_called}' is not implemented.")


def not_differentiable(input: Tensor, results: tuple, op: str, node_name: str = "NotImplemented") -> tuple:
    """``results`` (arrays) as tensors; recorded, when ``input`` requires grad, by a node whose backward raises."""
    cls = NotDifferentiable.named(node_name, num_outputs=len(results))
    out = apply(cls, input, results=results, op_called=op)
    return out if isinstance(out, tuple) else (out,)


def _unique_result(input: Tensor, values, inverse, counts, return_inverse, return_counts, dim):
    values, inverse, counts = not_differentiable(
        input, (values, inverse.astype(np.int64), counts.astype(np.int64)),
        "_unique2" if dim is None else "unique_dim", "Unique2Backward0" if dim is None else "UniqueDimBackward0")
    out = (values,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return out[0] if len(out) == 1 else out


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
           dim: int | None = None):
    """The distinct elements (or slices along ``dim``), sorted; optionally where each input went and how often.

    As torch on the CPU, the result is sorted also with ``sorted=False``; NaN values are all kept."""
    a = input._data
    if dim is None:
        values, inverse, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        return _unique_result(input, values, inverse.reshape(a.shape), counts, return_inverse, return_counts, None)
    d = _check_dim(dim, a.ndim, "unique")
    values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d, equal_nan=False)
    return _unique_result(input, values, inverse.reshape(-1), counts, return_inverse, return_counts, d)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """Collapse each run of equal consecutive elements (or slices along ``dim``) to one."""
    a = input._data
    if dim is None:
        flat, d = a.reshape(-1), 0
    else:
        d = _check_dim(dim, a.ndim, "unique_consecutive")
        flat = a
    n = flat.shape[d]
    if n == 0:
        change = np.zeros(0, bool)
    else:
        moved = np.moveaxis(flat, d, 0).reshape(n, -1)
        change = np.concatenate([[True], (moved[1:] != moved[:-1]).any(axis=1)])
    starts = np.flatnonzero(change)
    values = np.take(flat, starts, axis=d)
    inverse = np.cumsum(change) - 1
    counts = np.diff(np.append(starts, n))
    if dim is None:
        inverse = inverse.reshape(a.shape)
    out = not_differentiable(input, (values, inverse.astype(np.int64), counts.astype(np.int64)),
                             "unique_consecutive", "UniqueConsecutiveBackward0")
    out = (out[0],) + ((out[1],) if return_inverse else ()) + ((out[2],) if return_counts else ())
    return out[0] if len(out) == 1 else out


# -- searching in sorted sequences ---------------------------------------------------------------------------
def _side(right: bool, side: str | None) -> str:
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    if right and side == "left":
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                           "while right was True")
    return side


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """For each value of ``input``, the index at which it would be inserted to keep the innermost dim of
    ``sorted_sequence`` sorted (``side='right'``/``right=True``: after equal elements)."""
    require_tensor(sorted_sequence, "searchsorted")
    how = _side(right, side)
    seq = sorted_sequence._data
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    if sorter is not None:
        order = sorter._data if isinstance(sorter, Tensor) else np.asarray(sorter)
        if order.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {list(seq.shape)}and got sorter tensor {list(order.shape)}")
        seq = np.take_along_axis(seq, order.astype(np.int64), axis=-1)
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           "boundaries tensor [] and input value tensor " + str(list(values.shape)))
    if seq.ndim > 1 and (values.ndim != seq.ndim or values.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    dt = np.result_type(seq, values)
    seq, values = seq.astype(dt, copy=False), values.astype(dt, copy=False)
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, side=how)
    else:
        rows_s, rows_v = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(rows_s, rows_v)]).reshape(values.shape)
    return Tensor._wrap(np.asarray(out, np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value: ``i`` with boundaries[i-1] < x <= boundaries[i] (``right=True``: [i-1] <= x < [i])."""
    require_tensor(boundaries, "bucketize")
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _attach() -> None:
    for name in ("sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "unique",
                 "unique_consecutive"):
        setattr(Tensor, name, globals()[name])


_attach()
