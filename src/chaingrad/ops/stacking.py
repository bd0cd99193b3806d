"""Shape helpers from NumPy's vocabulary, built from chaingrad's view, cat and split ops (as torch builds them,
with the same nodes): ``atleast_1d/2d/3d``, ``column_stack``, ``row_stack``, ``dstack``, ``hsplit``, ``vsplit``,
``dsplit``, ``split_with_sizes``, ``unsafe_split``/``unsafe_chunk``, ``cartesian_prod`` and ``combinations``."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..autograd.node import apply
from ..tensor import Tensor, _check_dim
from ._checks import require_tensor
from .rearrange import meshgrid
from .shape import cat, narrow, split, stack


def _atleast(tensors: tuple, ndim: int, name: str):
    """torch's convention: one tensor gives a tensor, several (or one list of them) a tuple."""
    one = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    seq = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = []
    for i, t in enumerate(seq):
        require_tensor(t, name, "tensors", i + 1)
        if t.ndim == 0:
            t = t.reshape((1,) * ndim)
        elif t.ndim == 1 and ndim >= 2:
            t = t.unsqueeze(0)
            if ndim == 3:
                t = t.unsqueeze(-1)
        elif t.ndim == 2 and ndim == 3:
            t = t.unsqueeze(-1)
        out.append(t)
    return out[0] if one else tuple(out)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a 0-d one becomes shape (1,)); the others unchanged, the same objects."""
    return _atleast(tensors, 1, "atleast_1d")


def atleast_2d(*tensors):
    """At least 2 dims: () -> (1, 1), (n,) -> (1, n)."""
    return _atleast(tensors, 2, "atleast_2d")


def atleast_3d(*tensors):
    """At least 3 dims: () -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _atleast(tensors, 3, "atleast_3d")


def column_stack(tensors) -> Tensor:
    """Side by side as columns: 0-d and 1-d tensors become (n, 1) columns, then ``hstack``."""
    cols = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)


def row_stack(tensors) -> Tensor:
    """``vstack``: one on top of the other, 0-d and 1-d tensors as rows."""
    return cat(list(atleast_2d(*tensors)) if len(tensors) != 1 else [atleast_2d(tensors[0])], 0)


def dstack(tensors) -> Tensor:
    """Stacked depth-wise (along dim 2), each made at least 3-d first."""
    return cat([atleast_3d(t) for t in tensors], 2)


def _split_at(input: Tensor, indices_or_sections, dim: int, name: str, min_dims: int) -> tuple:
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                           f"with {input.ndim} dimensions!")
    size = input.shape[dim]
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        if n <= 0 or size % n:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {n}!")
        bounds = [size * i // n for i in range(n + 1)]
    else:
        bounds = [0] + [min(max(int(i) + (size if i < 0 else 0), 0), size) for i in indices_or_sections] + [size]
    pieces, start = [], 0
    for end in bounds[1:]:
        end = max(end, start)
        pieces.append(narrow(input, dim, start, end - start))
        start = end
    return tuple(pieces)


def hsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 1 (dim 0 for a 1-d tensor) into equal sections or at the given indices: views."""
    return _split_at(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit", 1)


def vsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 0 (of a tensor of at least 2 dims) into equal sections or at the given indices."""
    return _split_at(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 2 (of a tensor of at least 3 dims) into equal sections or at the given indices."""
    return _split_at(input, indices_or_sections, 2, "dsplit", 3)


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    """The pieces of the given sizes along ``dim`` (``split`` with a list)."""
    return split(input, list(split_sizes), dim)


def unsafe_split(input: Tensor, split_size: int, dim: int = 0) -> tuple:
    """``split`` as torch's unsafe variant records it: one node, UnsafeSplitBackward0 (torch skips its view
    bookkeeping; the values and gradients are split's)."""
    from .nn_ops import Split

    require_tensor(input, "unsafe_split")
    d = _check_dim(dim, input.ndim, "unsafe_split")
    size = input.shape[d]
    if split_size <= 0 and size:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
    sizes = tuple(min(split_size, size - s) for s in range(0, size, split_size)) if size else (0,)
    out = apply(Split.named("UnsafeSplitBackward0", num_outputs=len(sizes)), input, dim=d, sizes=sizes)
    return out if isinstance(out, tuple) else (out,)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``chunk`` through ``unsafe_split``."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = input.shape[_check_dim(dim, input.ndim, "unsafe_chunk")]
    return unsafe_split(input, max(1, math.ceil(size / chunks)), dim)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-d tensor, one per row (``itertools.product``)."""
    for i, t in enumerate(tensors):
        require_tensor(t, "cartesian_prod", "tensors", i + 1)
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)} (cartesian_prod of tensor {i})")
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.flatten() for g in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of a 1-d tensor's elements, one per row (``itertools.combinations``, or
    ``combinations_with_replacement``)."""
    require_tensor(input, "combinations")
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return stack([input[Tensor._wrap(rows[:, j].copy())] for j in range(r)], 1)


def _attach() -> None:
    for name in ("hsplit", "vsplit", "dsplit", "split_with_sizes", "unsafe_split", "unsafe_chunk"):
        setattr(Tensor, name, globals()[name])


_attach()
