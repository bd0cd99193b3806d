"""Ops that move elements around: roll, rot90, repeat_interleave and meshgrid."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim
from ._checks import require_tensor


class Roll(Node):
    formulas = ("dL/dx = dL/dout rolled back by -shifts",)

    def forward(ctx, x, shifts=(), dims=None):
        ctx.shifts, ctx.dims = shifts, dims
        if dims is None:
            return np.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
        return np.roll(x, shifts, axis=dims)

    def backward(ctx, g):
        return apply(Roll, g, shifts=tuple(-s for s in ctx.shifts), dims=ctx.dims)


def _ints(v) -> tuple[int, ...]:
    return (int(v),) if isinstance(v, (numbers.Integral, np.integer)) else tuple(int(s) for s in v)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements by ``shifts`` along ``dims`` (wrapping around); without dims, over the flattened tensor."""
    s = _ints(shifts)
    if dims is None:
        if len(s) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(s)}, dims:0 (roll)")
        return apply(Roll, input, shifts=s, dims=None)
    d = _ints(dims)
    if len(s) != len(d):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(s)}, dims:{len(d)} (roll)")
    nd = input._data.ndim
    return apply(Roll, input, shifts=s, dims=tuple(_check_dim(x, max(nd, 1), "roll") for x in d) if nd else None)


class Rot90(Node):
    formulas = ("dL/dx = dL/dout rotated back (k -> -k)",)

    def forward(ctx, x, k=1, dims=(0, 1)):
        ctx.k, ctx.dims = k, dims
        return np.ascontiguousarray(np.rot90(x, k, axes=dims))

    def backward(ctx, g):
        return apply(Rot90, g, k=-ctx.k, dims=ctx.dims)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane of ``dims``, from the first dim towards the second."""
    dims = _ints(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = (_check_dim(d, nd, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    return apply(Rot90, input, k=int(k) % 4, dims=(d0, d1))


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *, output_size: int | None = None
                      ) -> Tensor:
    """Repeat each element (each slice along ``dim``) ``repeats`` times in place: [a, b] -> [a, a, b, b].

    ``repeats`` is an int or a tensor of one count per element; without ``dim`` the input is flattened first.
    ``repeat_interleave(counts)`` alone gives [0] * counts[0] + [1] * counts[1] + ...."""
    if repeats is None:
        counts = input._data
        if counts.ndim > 1 or counts.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        return Tensor._wrap(np.repeat(np.arange(counts.size), counts.reshape(-1)).astype(np.int64))
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else _check_dim(dim, x._data.ndim, "repeat_interleave")
    if x._data.ndim == 0:
        x = x.reshape(1)
    n = x._data.shape[d]
    if isinstance(repeats, Tensor) and repeats._data.size == 1 and repeats._data.ndim <= 1:
        repeats = int(repeats._data.reshape(()))
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if r.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{r.size} and input.size({d}) = {n}")
        if (r < 0).any():
            raise RuntimeError("repeats can not be negative")
        total = int(r.sum())
    else:
        if repeats < 0:
            raise RuntimeError("repeats can not be negative")
        r, total = int(repeats), int(repeats) * n
    if output_size is not None and output_size != total:
        raise RuntimeError(f"allocated size does not match required size (repeat_interleave: output_size="
                           f"{output_size}, the repeats give {total})")
    if not isinstance(r, int):
        return x.index_select(d, Tensor._wrap(np.repeat(np.arange(n), r).astype(np.int64)))
    shape = x._data.shape
    expanded = x.unsqueeze(d + 1).expand(*shape[:d + 1], r, *shape[d + 1:])
    return expanded.reshape(*shape[:d], n * r, *shape[d + 1:])


def meshgrid(*tensors, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: with indexing='ij' the i-th grid varies along dim i; 'xy' swaps the
    first two dims (as NumPy's default). Without ``indexing``, 'ij' with torch's warning."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        require_tensor(t, "meshgrid", f"tensors[{i}]", i + 1)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if len({t._data.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype (got "
                           f"{', '.join(str(t.dtype) for t in tensors)})")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of "
                               f"shape {list(t._data.shape)}")
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = [t._data.size for t in ts]
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = -1
        grids.append(t.reshape(view).expand(*shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def _attach() -> None:
    for name in ("roll", "rot90", "repeat_interleave"):
        setattr(Tensor, name, globals()[name])


_attach()
