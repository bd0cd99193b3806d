"""Shape operations: reshape/view, transpose/permute, squeeze/unsqueeze, expand/repeat, flip, cat/stack,
split/chunk/narrow. Their backward moves the gradient back into the input's layout.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim


def _infer_shape(shape: tuple, numel: int, op: str, in_shape: tuple) -> tuple:
    """Resolve one -1 in ``shape``; a clear error when the element counts differ."""
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred (got shape {list(shape)})")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                               f"({op} of a tensor with shape {list(in_shape)})")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                           f"({op} of a tensor with shape {list(in_shape)})")
    return shape


class Reshape(Node):
    """The same elements in another shape. torch names the node after the function that made it (view,
    unsqueeze, squeeze, or reshape's own choice, see ``reshape``): the variants below, one derivative."""

    formulas = ("dL/dx = dL/dout reshaped to x's shape",)
    is_view = True
    backward_on_arrays = True
    torch_name = "ViewBackward0"

    def forward(ctx, x, shape=()):
        ctx.shape = x.shape
        return x.reshape(shape)

    def backward(ctx, g):
        return g.reshape(ctx.shape)


_RESHAPE_ALIAS = Reshape.named("ReshapeAliasBackward0")  # reshape of a non-contiguous tensor that needs no copy
_UNSAFE_VIEW = Reshape.named("UnsafeViewBackward0", is_view=False)  # reshape of the contiguous copy of one that does
_UNSQUEEZE = Reshape.named("UnsqueezeBackward0")
_SQUEEZE = {"all": Reshape.named("SqueezeBackward0"), "dim": Reshape.named("SqueezeBackward1"),
            "dims": Reshape.named("SqueezeBackward2")}
_ALIAS = Reshape.named("AliasBackward0")  # x[...]: the same tensor, as a new view
_SQUEEZE_ROW = Reshape.named("SqueezeBackward4")  # the row dim that matmul of a vector added, removed in place


class Permute(Node):
    """The dims in another order (torch: PermuteBackward0, TransposeBackward0 for transpose/mT, TBackward0
    for t(): one derivative)."""

    formulas = ("dL/dx = dL/dout with the dims permuted back",)
    is_view = True

    def forward(ctx, x, dims=()):
        ctx.dims = dims
        return x.transpose(dims)  # the method: np.transpose is a Python wrapper around it

    def backward(ctx, g):
        return g.permute(*np.argsort(ctx.dims).tolist())


_TRANSPOSE, _T = Permute.named("TransposeBackward0"), Permute.named("TBackward0")


class Expand(Node):
    formulas = ("dL/dx = dL/dout summed over the expanded dims",)
    is_view = True

    def forward(ctx, x, shape=()):
        ctx.shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(ctx, g):
        from .reduce import sum_to

        return sum_to(g, ctx.shape)


class Repeat(Node):
    formulas = ("dL/dx = dL/dout summed over the repeated copies",)

    def forward(ctx, x, reps=()):
        ctx.shape, ctx.reps = x.shape, reps
        return np.tile(x, reps)

    def backward(ctx, g):
        lead = len(ctx.reps) - len(ctx.shape)
        shape = (1,) * lead + tuple(ctx.shape)
        split = []
        for r, s in zip(ctx.reps, shape):
            split += [r, s]
        axes = tuple(range(0, 2 * len(shape), 2))
        return g.reshape(split).sum(axes).reshape(ctx.shape)


class Flip(Node):
    formulas = ("dL/dx = dL/dout flipped back",)

    def forward(ctx, x, dims=()):
        ctx.dims = dims
        return np.flip(x, dims).copy()

    def backward(ctx, g):
        return g.flip(ctx.dims)


class Cat(Node):
    formulas = ("dL/dx_k = the slice of dL/dout where x_k was placed",)

    def forward(ctx, *xs, dim=0):
        ctx.dim, ctx.sizes = dim, [x.shape[dim] for x in xs]
        return np.concatenate(xs, axis=dim)

    def backward(ctx, g):
        out, start = [], 0
        for need, size in zip(ctx.needs_input_grad, ctx.sizes):
            out.append(g.narrow(ctx.dim, start, size) if need else None)
            start += size
        return tuple(out)


class Stack(Node):
    formulas = ("dL/dx_k = dL/dout[k] along the new dim",)

    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    def backward(ctx, g):
        return tuple(g.select(ctx.dim, k) if need else None for k, need in enumerate(ctx.needs_input_grad))


# -- public functions --------------------------------------------------------------------------------------
def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (one dim may be -1): a view where the memory allows one, else a copy.

    As torch records it: a view of a contiguous tensor (ViewBackward0), a view of a non-contiguous one
    (ReshapeAliasBackward0), or a contiguous copy reshaped (CloneBackward0, then UnsafeViewBackward0).
    """
    shape = _infer_shape(_flat(shape), input._data.size, "reshape", input._data.shape)
    a = input._data
    if a.flags.c_contiguous:
        return apply(Reshape, input, shape=shape)
    try:
        np.reshape(a, shape, copy=False)
    except ValueError:  # the elements' order in memory does not allow a view
        from .._memory_format import contiguous_format
        from .convert import clone

        return apply(_UNSAFE_VIEW, clone(input, memory_format=contiguous_format), shape=shape)
    return apply(_RESHAPE_ALIAS, input, shape=shape)


def _flat(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


def view(input: Tensor, *shape) -> Tensor:
    """Like reshape, but an error where the data would have to be copied (as torch)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer)):
        from .convert import _cast

        return _cast(input, shape[0])  # view(dtype): same bits as another dtype is not supported
    new = _infer_shape(_flat(shape), input._data.size, "view", input._data.shape)
    try:
        np.reshape(input._data, new, copy=False)
    except ValueError:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (at least one dimension spans "
            f"across two contiguous subspaces) for shape {list(input._data.shape)} -> {list(new)}. "
            "Use .reshape(...) instead.") from None
    return apply(Reshape, input, shape=new)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims ``start_dim`` to ``end_dim`` merged into one (the tensor itself when that changes nothing, as torch)."""
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = _check_dim(start_dim, nd, "flatten"), _check_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input._data.shape
    return reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    d = _check_dim(dim, input._data.ndim, "unflatten")
    shape = input._data.shape
    inner = _infer_shape(tuple(sizes), shape[d], "unflatten", shape)
    return reshape(input, shape[:d] + inner + shape[d + 1:])


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Size-1 dims removed (all of them, or those among ``dim``); a new view even when none is removed."""
    shape = input._data.shape
    if dim is None:
        new, kind = tuple(s for s in shape if s != 1), "all"
    else:
        kind = "dim" if isinstance(dim, (int, np.integer)) else "dims"
        dims = (dim,) if kind == "dim" else tuple(dim)
        ds = {_check_dim(d, input._data.ndim, "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in ds and s == 1))
    return apply(_SQUEEZE[kind], input, shape=new)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    d = _check_dim(dim, input._data.ndim + 1, "unsqueeze")
    shape = input._data.shape
    return apply(_UNSQUEEZE, input, shape=shape[:d] + (1,) + shape[d:])


def alias(input: Tensor) -> Tensor:
    """The same tensor as a new view of it (``x[...]``)."""
    return apply(_ALIAS, input, shape=input._data.shape)


def permute(input: Tensor, *dims) -> Tensor:
    dims = _flat(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to "
                           f"len(dims) = {len(dims)}")
    dims = tuple(_check_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got {list(dims)})")
    return apply(Permute, input, dims=dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    nd = input._data.ndim
    a, b = _check_dim(dim0, max(nd, 1), "transpose"), _check_dim(dim1, max(nd, 1), "transpose")
    dims = list(range(nd))
    if nd:
        dims[a], dims[b] = dims[b], dims[a]
    return apply(_TRANSPOSE, input, dims=tuple(dims))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return apply(_T, input, dims=(1, 0) if nd == 2 else tuple(range(nd)))


def movedim(input: Tensor, source, destination) -> Tensor:
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [_check_dim(s, nd, "movedim") for s in src]
    dst = [_check_dim(d, nd, "movedim") for d in dst]
    perm = [None] * nd
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    perm = [p if p is not None else next(rest) for p in perm]
    return permute(input, perm)


def expand(input: Tensor, *sizes) -> Tensor:
    """Broadcast size-1 dims to a larger size without copying (-1 keeps a dim)."""
    sizes = _flat(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    new = []
    for i, s in enumerate(sizes):
        old = shape[i - lead] if i >= lead else None
        if s == -1:
            if old is None:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            s = old
        if old is not None and old != 1 and old != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({old}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(shape)}")
        new.append(int(s))
    return apply(Expand, input, shape=tuple(new))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, size) -> Tensor:
    return expand(input, tuple(size))


def broadcast_tensors(*tensors):
    """Each tensor expanded to the common shape; one already of that shape is returned as it is (as torch)."""
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


def repeat(input: Tensor, *sizes) -> Tensor:
    reps = _flat(sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           f"tensor (repeat dims {list(reps)}, tensor shape {list(input._data.shape)})")
    return apply(Repeat, input, reps=tuple(int(r) for r in reps))


def tile(input: Tensor, *sizes, dims=None) -> Tensor:
    """Repeat ``input`` ``dims`` times along each dim (a tuple, or the counts as separate arguments as torch
    accepts them); fewer counts than dims repeat the trailing ones."""
    dims = tuple(_flat(sizes) if dims is None else ((dims,) if isinstance(dims, int) else dims))
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


def flip(input: Tensor, *dims) -> Tensor:
    dims = _flat(dims)
    return apply(Flip, input, dims=tuple(_check_dim(d, input._data.ndim, "flip") for d in dims))


def _check_same(tensors, op: str):
    from ._dispatch import as_operand

    tensors = [as_operand(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{op}(): expected a non-empty list of Tensors")
    from .._dtype import result_type

    rt = result_type(*tensors)
    return [t if t.dtype is rt else t.to(rt) for t in tensors]


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other dims must match."""
    tensors = _check_same(tensors, "cat")
    # torch skips legacy empty 1-D tensors
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or tensors[:1]
    ref = tensors[0]._data
    d = _check_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        s = t._data.shape
        if len(s) != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {len(s)} "
                               f"(cat: tensor 0 has shape {list(ref.shape)}, tensor {i} has shape {list(s)})")
        for k in range(ref.ndim):
            if k != d and s[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[k]} but got size {s[k]} for tensor number {i} in the list "
                                   f"(shapes {list(ref.shape)} and {list(s)}).")
    return apply(Cat, *tensors, dim=d)


concat = concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = _check_same(tensors, "stack")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 and "
                               f"{list(t._data.shape)} at entry {i}")
    d = _check_dim(dim, len(ref) + 1, "stack")
    return apply(Stack, *tensors, dim=d)


def hstack(tensors) -> Tensor:
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([t.unsqueeze(0) if t.ndim == 1 else t for t in tensors], 0)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    d = _check_dim(dim, input._data.ndim, "narrow")
    size = input._data.shape[d]
    if start < 0:
        start += size
    if not 0 <= start <= size or start + length > size or length < 0:
        raise IndexError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}).")
    from .index import SLICE

    return apply(SLICE, input, index=(slice(None),) * d + (slice(start, start + length),), basic=True)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    d = _check_dim(dim, input._data.ndim, "select")
    size = input._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {d}")
    from .index import SELECT

    return apply(SELECT, input, index=(slice(None),) * d + (int(index),), basic=True)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes: the outputs
    of one node (as torch: SplitBackward0, or SplitWithSizesBackward0 for a list of sizes)."""
    from .nn_ops import split_outputs

    d = _check_dim(dim, tensor._data.ndim, "split")
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sizes = [min(step, size - s) for s in range(0, size, step)] if size else [0]
        return split_outputs(tensor, sizes, d)
    sizes = [int(s) for s in split_size_or_sections]
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size "
                           f"at dimension {d}), but got split_sizes={sizes}")
    return split_outputs(tensor, sizes, d, with_sizes=True)


def chunk(input: Tensor, chunks: int, dim: int = 0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = input._data.shape[_check_dim(dim, input._data.ndim, "chunk")]
    return split(input, max(1, math.ceil(size / chunks)), dim)


def tensor_split(input: Tensor, sections: int, dim: int = 0):
    """``sections`` pieces as equal as they can be (the first ones one longer): slices, as torch."""
    d = _check_dim(dim, input._data.ndim, "tensor_split")
    base, extra = divmod(input._data.shape[d], sections)
    out, start = [], 0
    for i in range(sections):
        length = base + (1 if i < extra else 0)
        out.append(narrow(input, d, start, length))
        start += length
    return tuple(out)


def unbind(input: Tensor, dim: int = 0):
    """The slices along ``dim``, as the outputs of one node (torch's UnbindBackward0)."""
    from .nn_ops import split_outputs

    return split_outputs(input, (), _check_dim(dim, input._data.ndim, "unbind"), squeeze=True)


moveaxis = movedim


def ravel(input: Tensor) -> Tensor:
    """All elements in one dimension, in row-major order: a view of a contiguous tensor, else of a copy."""
    return view(input.contiguous(), (-1,))


def fliplr(input: Tensor) -> Tensor:
    """The columns (dim 1) in reverse order."""
    if input._data.ndim < 2:
        raise RuntimeError(f"Input must be >= 2-d. (fliplr of a {input._data.ndim}-D tensor)")
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    """The rows (dim 0) in reverse order."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d. (flipud of a 0-D tensor)")
    return flip(input, 0)


def _attach() -> None:
    T = Tensor
    for name in ("moveaxis", "ravel", "fliplr", "flipud"):
        setattr(T, name, globals()[name])
    for name in ("reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
                 "swapaxes", "swapdims", "t", "movedim", "expand", "expand_as", "broadcast_to", "repeat", "tile",
                 "flip", "narrow", "select", "split", "chunk", "tensor_split", "unbind"):
        setattr(T, name, globals()[name])
    T.view_as = lambda self, other: view(self, other._data.shape)
    T.reshape_as = lambda self, other: reshape(self, other._data.shape)
    # x.T reverses all dims: always a valid permutation, so permute()'s checks are skipped (and the reversed
    # dims of the common ranks are made once)
    reversed_dims = [tuple(range(n - 1, -1, -1)) for n in range(8)]
    T.T = property(lambda self: apply(Permute, self, dims=reversed_dims[self._data.ndim] if self._data.ndim < 8
                                      else tuple(range(self._data.ndim - 1, -1, -1))))
    T.mT = property(_matrix_transpose)
    T.H = property(lambda self: transpose(self, 0, 1) if self._data.ndim == 2 else self.T)
    T.mH = T.mT


def _matrix_transpose(self: Tensor) -> Tensor:
    if self._data.ndim < 2:
        if self._data.ndim == 0:
            return self  # (torch: deprecated on 0-d tensors, the identity)
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self._data.ndim}-D "
                           "tensor.")
    return transpose(self, -2, -1)


_attach()
