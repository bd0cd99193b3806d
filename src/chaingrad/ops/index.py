"""Indexing: ``x[...]`` (slices, ints, None, ..., integer and boolean tensors), ``gather``,
``index_select``, ``masked_fill``; the gradient of a read is a scatter-add back into the input's shape,
so repeated indices accumulate.
"""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import state
from ..autograd.node import Node, _refresh_view, apply
from ..tensor import Tensor, _check_dim
from ._checks import scalar_type
from ._dispatch import as_operand, promote


def _index_part(i):
    if isinstance(i, Tensor):
        a = i._data
        if a.dtype.kind == "f":
            raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors (got {i.dtype})")
        return a
    if isinstance(i, range):
        return np.arange(i.start, i.stop, i.step, dtype=np.int64)
    if isinstance(i, list):
        parts = [_index_part(x) for x in i]
        return np.array(parts)
    return i


def to_index(key):
    """A NumPy index for ``key``; returns (index, is_basic). Basic indexing gives views."""
    parts = key if isinstance(key, tuple) else (key,)
    parts = tuple(_index_part(p) for p in parts)
    basic = all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts)
    if not isinstance(key, tuple) and not (isinstance(key, list) and basic):
        return parts[0], basic
    return parts, basic


class Index(Node):
    formulas = ("dL/dx = dL/dout scattered (added) back to the indexed positions, 0 elsewhere",)
    is_view = True  # basic indexing shares memory; advanced indexing returns a copy (see index())

    def forward(ctx, x, index=None, basic=True):
        ctx.shape, ctx.index, ctx.basic = x.shape, index, basic
        out = x[index]
        if basic and type(out) is not np.ndarray:  # one element: a 0-d view (as torch), not a NumPy scalar copy
            out = x[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
        return out

    def backward(ctx, g):
        return apply(IndexAdd, g, index=ctx.index, basic=ctx.basic, shape=ctx.shape)


class AdvancedIndex(Index):
    is_view = False


class IndexAdd(Node):
    """zeros(shape) with ``g`` added at ``index``: the backward of indexing (and its own derivative)."""

    input_names = ("g",)
    formulas = ("dL/dg = dL/dout[index]",)

    def forward(ctx, g, index=None, basic=True, shape=()):
        ctx.index, ctx.basic = index, basic
        out = np.zeros(shape, dtype=g.dtype)
        if basic:
            out[index] = g
        else:
            np.add.at(out, index, g)
        return out

    def backward(ctx, gg):
        return apply(Index if ctx.basic else AdvancedIndex, gg, index=ctx.index, basic=ctx.basic)


class IndexAddAlong(Node):
    """``x.index_add(dim, index, source, alpha=)``: x with ``alpha * source[i]`` added at ``index[i]`` along
    ``dim`` (repeated indices accumulate)."""

    input_names = ("x", "source")
    formulas = ("dL/dx = dL/dout", "dL/dsource = alpha * dL/dout[index] along dim")
    torch_name = "IndexAddBackward0"

    def forward(ctx, x, source, where=(), alpha=1):
        ctx.where, ctx.alpha = where, alpha
        out = x.copy()
        np.add.at(out, where, source * alpha if alpha != 1 else source)
        return out

    def backward(ctx, g):
        gs = None
        if ctx.needs_input_grad[1]:
            gs = apply(AdvancedIndex, g, index=ctx.where, basic=False)
            if ctx.alpha != 1:
                gs = gs * ctx.alpha
        return g, gs


class IndexPut(Node):
    """``x[index] = v`` as a value: x with ``v`` written at ``index`` (used by ``__setitem__``)."""

    input_names = ("x", "v")
    formulas = ("dL/dx = dL/dout with 0 at the overwritten positions", "dL/dv = dL/dout[index]")

    def forward(ctx, x, v, index=None, basic=True, accumulate=False):
        ctx.index, ctx.basic, ctx.accumulate = index, basic, accumulate
        out = x.copy()
        if accumulate:  # index_put(accumulate=True): repeated positions add up
            np.add.at(out, index, v)
        else:
            out[index] = v
        return out

    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0] and ctx.accumulate:
            gx = g
        elif ctx.needs_input_grad[0]:
            keep = np.ones(g._data.shape, dtype=g._data.dtype)
            keep[ctx.index] = 0
            gx = g * Tensor._wrap(keep)
        if ctx.needs_input_grad[1]:
            gv = apply(Index if ctx.basic else AdvancedIndex, g, index=ctx.index, basic=ctx.basic)
        return gx, gv


# torch's names for the steps of basic indexing (one derivative: Index's)
SELECT, SLICE, ALIAS = Index.named("SelectBackward0"), Index.named("SliceBackward0"), Index.named("AliasBackward0")
_INDEX = AdvancedIndex.named("IndexBackward0")
_INDEX_SELECT, _GATHER = AdvancedIndex.named("IndexSelectBackward0"), AdvancedIndex.named("GatherBackward0")


def _is_int(p) -> bool:
    return isinstance(p, (int, np.integer)) and not isinstance(p, (bool, np.bool_)) or (
        isinstance(p, np.ndarray) and p.ndim == 0 and p.dtype.kind in "iu")


def index(x: Tensor, key) -> Tensor:
    """``x[key]`` recorded as torch records it: one step per part of the key, left to right (an int is a
    select, a slice a slice, None an unsqueeze; full slices among several parts are no step), then one
    advanced index with all the tensors and lists; a key of no steps (``x[...]``) is an alias."""
    try:
        out, rest, stepped = _basic_steps(x, key, writing=False)
        if rest is not None:
            return apply(_INDEX, out, index=rest, basic=False)
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {list(x._data.shape)})") from None
    return out if stepped else apply(ALIAS, x, index=(Ellipsis,), basic=True)


def _basic_steps(x: Tensor, key, writing: bool):
    """The views of ``key``'s ints, slices and Nones, taken one by one (see ``index``); returns (the last view,
    the advanced index left for it or None, whether any step was taken). ``writing``: a full slice is never
    a step (torch's setitem writes through x itself then)."""
    parts = tuple(_index_part(p) for p in (key if isinstance(key, tuple) else (key,)))  # a list: one index
    if x._data.ndim == 0 and any(isinstance(p, np.ndarray) and not _is_int(p) for p in parts):
        raise IndexError("too many indices for tensor of dimension 0")
    used = sum(1 if _is_int(p) or isinstance(p, slice) else p.ndim if isinstance(p, np.ndarray) and p.dtype == bool
               else 1 for p in parts if p is not None and p is not Ellipsis)
    if used > x._data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x._data.ndim} (indexing a tensor of shape "
                         f"{list(x._data.shape)})")
    out, dim, rest, stepped = x, 0, [], False
    for p in parts:
        if p is Ellipsis:
            skip = x._data.ndim - used
            rest += [slice(None)] * skip
            dim += skip
            used = x._data.ndim  # a second ... is NumPy's error
        elif p is None:
            from .shape import unsqueeze

            out, stepped = unsqueeze(out, dim), True
            rest.append(slice(None))
            dim += 1
        elif _is_int(p):
            out, stepped = apply(SELECT, out, index=(slice(None),) * dim + (int(p),), basic=True), True
        elif isinstance(p, slice):
            full = p.indices(out._data.shape[dim]) == (0, out._data.shape[dim], 1)
            if not full or (len(parts) == 1 and not writing):
                out, stepped = apply(SLICE, out, index=(slice(None),) * dim + (p,), basic=True), True
            rest.append(slice(None))
            dim += 1
        else:  # a tensor or list: part of the advanced index, after the basic steps
            rest.append(p)
            dim += p.ndim if p.dtype == bool else 1
    if any(isinstance(p, np.ndarray) for p in rest):
        while rest and isinstance(rest[-1], slice):
            rest.pop()
        return out, rest[0] if len(rest) == 1 else tuple(rest), stepped
    return out, None, stepped


def setitem(x: Tensor, key, value) -> None:
    """``x[key] = value`` in place, as torch does it: the view of the key's ints, slices and Nones (x itself
    if there are none) is written, so x's node becomes a CopySlices (see ops/inplace.py); with tensors or
    lists in the key, an index_put on that view. A value is broadcast to the region as ``copy_to`` says."""
    from .inplace import inplace

    v = value if isinstance(value, Tensor) else as_operand(value, x)
    idx, basic = to_index(key)
    if not basic:  # a 0-d integer tensor in the key is an int to torch (x[:, t] = v copies, casting v)
        basic = all(not isinstance(p, np.ndarray) or (p.ndim == 0 and p.dtype.kind in "iu")
                    for p in (idx if isinstance(idx, tuple) else (idx,)))
    if not basic and isinstance(value, Tensor) and v._data.dtype != x._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{scalar_type(x._data.dtype)} for the destination and {scalar_type(v._data.dtype)} for "
                           "the source. (x[indices] = value: convert the value with .to(x.dtype))")
    if not (state.enabled and (x.requires_grad or v.requires_grad)) and _unrecorded_write(x, idx, v):
        return
    try:
        target, rest, _ = _basic_steps(x, key, writing=True)
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {list(x._data.shape)})") from None
    if rest is None:
        copy_to(target, v)
    else:
        if v._data.dtype != x._data.dtype:
            v = v.to(x.dtype)
        inplace(target, lambda old: apply(IndexPut, old, v, index=rest, basic=False), "setitem", (v,))
    if target is not x and x._base is not None and x._view[1] != x._version[0]:
        _refresh_view(x)  # x is a view itself: its node now reads the rebased base


def _unrecorded_write(x: Tensor, idx, v: Tensor) -> bool:
    """``x[key] = v`` written straight into x's array when nothing is recorded. Returns False, having written
    nothing, where NumPy refuses (shapes, bounds, a read-only array): the general path then raises torch's error.

    Speed: filling a tensor in a loop under no_grad (``X[i] = ...``, ``N[a, b] += 1``) would otherwise pay for
    the views and the node-less copy of the general path, some 20 times the write itself (a 64-wide row). Tested
    against the general path in tests/test_fast_paths.py."""
    try:
        x._data[idx] = v._data  # (NumPy checks the shapes and bounds before it writes anything)
    except (ValueError, IndexError, TypeError):
        return False
    x._version[0] += 1
    return True


def copy_to(dst: Tensor, src: Tensor) -> None:
    """Write ``src`` into ``dst`` (the region ``x[key]`` of a setitem), as torch: a copy when the shapes are
    equal, a fill from a 0-dim tensor, else src without its leading size-1 dims, expanded to dst's shape."""
    from .inplace import _FILL_TENSOR, COPY, inplace
    from .shape import expand

    op = COPY
    if src._data.ndim == 0 and dst._data.ndim:
        op = _FILL_TENSOR
    elif src._data.shape != dst._data.shape:
        shape = src._data.shape
        while shape and shape[0] == 1:
            shape = shape[1:]
        src = src.view(shape)
        if shape != dst._data.shape:
            try:
                if np.broadcast_shapes(shape, dst._data.shape) != dst._data.shape:
                    raise ValueError
            except ValueError:
                raise RuntimeError(f"shape mismatch: value tensor of shape {list(src._data.shape)} cannot be "
                                   f"broadcast to indexing result of shape {list(dst._data.shape)}") from None
            src = expand(src, dst._data.shape)
    inplace(dst, lambda old: apply(op, old, src), "setitem", (src,))


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    d = _check_dim(dim, input._data.ndim, "index_select")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return apply(_INDEX_SELECT, input, index=(slice(None),) * d + (idx.reshape(-1),), basic=False)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source`` added along ``dim`` at the positions ``index`` names (``out[index[i]] +=
    alpha * source[i]`` for dim 0; repeated indices accumulate)."""
    nd = input._data.ndim
    d = _check_dim(dim, max(nd, 1), "index_add_")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{scalar_type(idx.dtype)}")
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{scalar_type(idx.dtype)} and size: {list(idx.shape)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_add_(): self ({scalar_type(input)}) and source "
                           f"({scalar_type(source)}) must have the same scalar type")
    shape, sshape = input._data.shape, source._data.shape
    if len(sshape) != nd or any(a != b for k, (a, b) in enumerate(zip(shape, sshape)) if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(shape)} source.shape = {list(sshape)}")
    idx = idx.reshape(-1)
    if nd and idx.size != sshape[d]:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({sshape[d]}), for dim: {d}")
    size = shape[d] if nd else 1
    bad = idx[(idx < 0) | (idx >= size)]
    if bad.size:
        raise RuntimeError(f"index {int(bad[0])} is out of bounds for dimension {d} with size {size}")
    where = (slice(None),) * d + (idx,) if nd else (Ellipsis,)
    return apply(IndexAddAlong, input, source, where=where, alpha=alpha)


def index_add_(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    from .inplace import inplace

    return inplace(input, lambda old: index_add(old, dim, index, source, alpha=alpha), "index_add_", (source,))


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j] = input[i][index[i][j]] along ``dim`` (shapes as torch.gather)."""
    if sparse_grad:
        raise NotImplementedError("gather(sparse_grad=True): chaingrad has no sparse gradients; leave sparse_grad "
                                  "False (the dense gradient holds the same values)")
    d = _check_dim(dim, input._data.ndim, "gather")
    idx = index._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): Expected dtype int64 for index, got {index.dtype}")
    if idx.ndim != input._data.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor "
                           f"(gather: input {list(input._data.shape)}, index {list(idx.shape)})")
    grids = list(np.ix_(*[np.arange(s) for s in idx.shape]))
    grids[d] = idx
    return apply(_GATHER, input, index=tuple(grids), basic=False)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` after broadcasting input and indices against each other in every dim but ``dim`` (as torch:
    both are expanded, so the graph is GatherBackward0(ExpandBackward0(input))); without ``dim``, of the
    flattened input."""
    if indices._data.dtype.kind not in "iu":
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {indices.dtype}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = _check_dim(dim, input._data.ndim, "take_along_dim")
    if input._data.ndim != indices._data.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input._data.ndim} dimensions for input, and {indices._data.ndim} dimensions "
                           "for indices")
    xs, js = list(input._data.shape), list(indices._data.shape)
    xs[d], js[d] = js[d], xs[d]
    try:
        index_shape = np.broadcast_shapes(tuple(xs), indices._data.shape)
        input_shape = np.broadcast_shapes(tuple(js), input._data.shape)
    except ValueError:
        raise RuntimeError(f"take_along_dim(): the shapes of input {list(input._data.shape)} and indices "
                           f"{list(indices._data.shape)} do not broadcast in the dims other than {d}") from None
    return gather(input.expand(input_shape), d, indices.expand(index_shape))


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    from .elementwise import where

    if mask._data.dtype.kind != "b":
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    v = value if isinstance(value, Tensor) else Tensor._wrap(np.array(value, dtype=input._data.dtype))
    a, v = promote(input, v)
    v = v.to(input.dtype)
    if v.requires_grad:  # a value that learns (torch: MaskedFillBackward1, with an edge for it)
        return where(mask, v, input)
    from .arithmetic import MASKED_FILL

    try:
        return apply(MASKED_FILL, mask, v, input)
    except ValueError:
        return where(mask, v, input)  # where's error for shapes that do not broadcast


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    return index(input.expand(shape), mask.expand(shape))


def nonzero(input: Tensor, *, as_tuple: bool = False):
    idx = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in idx)
    return Tensor._wrap(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((1, 0), np.int64))


class ScatterAdd(Node):
    """``x.scatter_add(dim, index, src)``: x with ``src[i, j]`` added at ``x[index[i, j], j]`` (for dim 0;
    repeated indices accumulate)."""

    input_names = ("x", "src")
    formulas = ("dL/dx = dL/dout", "dL/dsrc = dL/dout gathered at index along dim")

    def forward(ctx, x, src, where=()):
        ctx.where = where
        out = x.copy()
        np.add.at(out, where, src)
        return out

    def backward(ctx, g):
        return g, (apply(AdvancedIndex, g, index=ctx.where, basic=False) if ctx.needs_input_grad[1] else None)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """input with src added at ``index`` along ``dim`` (repeated indices accumulate)."""
    d = _check_dim(dim, input._data.ndim, "scatter_add")
    grids = list(np.ix_(*[np.arange(s) for s in index._data.shape]))
    grids[d] = index._data
    if src._data.shape != index._data.shape:  # only the leading index.shape block of src is added
        src = src[tuple(slice(0, s) for s in index._data.shape)]
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype (scatter_add of "
                           f"{input.dtype.name} and {src.dtype.name}: convert src with .to(input.dtype))")
    return apply(ScatterAdd, input, src, where=tuple(grids))


def _attach() -> None:
    T = Tensor
    T.__getitem__ = index
    T.__setitem__ = setitem
    T.index_select = index_select
    T.index_add, T.index_add_ = index_add, index_add_
    T.gather = gather
    T.take_along_dim = take_along_dim
    T.masked_fill = masked_fill
    T.masked_select = masked_select
    T.nonzero = nonzero
    T.scatter_add = scatter_add


_attach()
