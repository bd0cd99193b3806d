"""Tensor methods torch has only as methods: ``unfold`` (sliding windows, a view), ``fill_diagonal_``,
``sum_to_size``, ``new``, ``index_put``/``index_put_``, ``masked_scatter``/``masked_scatter_``,
``register_post_accumulate_grad_hook``, and the storage queries (``data_ptr``, ``storage_offset``, ``nbytes``,
``itemsize``, ``is_sparse`` ...) that tutorials print to show when two tensors share memory.
"""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim


class Unfold(Node):
    """Windows of ``size`` elements every ``step`` along ``dim``, as a new last dim (a view: torch's
    ``Tensor.unfold``)."""

    formulas = ("dL/dx = dL/dout's windows added back where each was taken (overlapping windows add)",)
    is_view = True
    backward_on_arrays = True

    def forward(ctx, x, dim=0, size=1, step=1):
        ctx.shape, ctx.dim, ctx.size, ctx.step = x.shape, dim, size, step
        count = (x.shape[dim] - size) // step + 1 if x.ndim else 1
        if x.ndim == 0:
            return x.reshape(1)  # (a 0-d tensor: one window of its one element)
        shape = x.shape[:dim] + (count,) + x.shape[dim + 1:] + (size,)
        strides = x.strides[:dim] + (x.strides[dim] * step,) + x.strides[dim + 1:] + (x.strides[dim],)
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=x.flags.writeable)

    def backward(ctx, g):
        out = np.zeros(ctx.shape, g.dtype)
        if not ctx.shape:
            return out + g.sum()
        count = g.shape[ctx.dim]
        for k in range(ctx.size):  # window element k of every window sits at k, k + step, k + 2 step, ...
            where = [slice(None)] * len(ctx.shape)
            where[ctx.dim] = slice(k, k + ctx.step * (count - 1) + 1, ctx.step)
            out[tuple(where)] += g[..., k]
        return out


def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``self.unfold(dim, size, step)``: every window of ``size`` elements, ``step`` apart, along ``dim``."""
    a = self._data
    d = _check_dim(dimension, max(a.ndim, 1), "unfold")
    length = a.shape[d] if a.ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    return apply(Unfold, self, dim=d, size=size, step=step)


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Write ``fill_value`` on the main diagonal (of a 2-D tensor, or a cube's); ``wrap`` starts again below a
    tall matrix's square part after one blank row, as torch (and NumPy)."""
    from .inplace import inplace

    a = self._data
    if a.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")

    def fill(old: Tensor) -> Tensor:
        positions = np.zeros(a.shape, bool)
        np.fill_diagonal(positions, True, wrap=wrap)
        where = tuple(Tensor._wrap(i) for i in np.nonzero(positions))
        value = Tensor._wrap(np.asarray(fill_value, a.dtype))
        return index_put(old, where, value)

    return inplace(self, fill, "fill_diagonal_")


def sum_to_size(self: Tensor, *size) -> Tensor:
    """The sum over the dims that ``size`` has as 1 (or lacks at the front): the opposite of ``expand``."""
    from .reduce import sum_to

    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    try:
        ok = np.broadcast_shapes(shape, self._data.shape) == self._data.shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"size {{{', '.join(map(str, shape))}}} is not expandable to size "
                           f"{{{', '.join(map(str, self._data.shape))}}}.")
    return sum_to(self, shape)


def new(self: Tensor, *args) -> Tensor:
    """The legacy constructor in self's dtype: ``t.new([1, 2])`` copies the data, ``t.new(2, 3)`` (or a Size) is
    uninitialized of that shape (``Size([])``: a 0-dim one), ``t.new(other)`` is ``other`` itself, ``t.new()`` is
    empty."""
    from ..tensor import Size
    from .creation import tensor

    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0]
    if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)) and not isinstance(args[0], Size):
        return tensor(args[0], dtype=self.dtype)
    given_size = len(args) == 1 and isinstance(args[0], Size)  # (a Size, even Size([]), is a shape)
    shape = tuple(args[0]) if given_size else args
    if not all(isinstance(s, (int, np.integer)) for s in shape):
        raise TypeError(f"new(): expected data (a list) or sizes (ints), got {[type(s).__name__ for s in shape]}")
    return Tensor._wrap(np.empty(tuple(int(s) for s in shape) if shape or given_size else (0,), self._data.dtype))


def index_put(self: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """``self`` with ``values`` written at ``self[indices]`` (a tuple of index tensors, one per leading dim);
    with ``accumulate`` they are added, repeated positions adding up."""
    from .index import IndexPut

    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    key = tuple(i._data if isinstance(i, Tensor) else np.asarray(i) for i in indices)
    for k in key:
        if k.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if not isinstance(values, Tensor):
        values = Tensor._wrap(np.asarray(values, self._data.dtype))
    if values._data.dtype != self._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {self.dtype} for the "
                           f"destination and {values.dtype} for the source.")
    return apply(IndexPut, self, values, index=key, basic=False, accumulate=bool(accumulate))


def index_put_(self: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    from .inplace import inplace

    return inplace(self, lambda old: index_put(old, indices, values, accumulate), "index_put_",
                   (values,) if isinstance(values, Tensor) else ())


def masked_scatter(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``self`` with the places where ``mask`` is True filled, in order, from the first elements of ``source``."""
    from .shape import broadcast_tensors

    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    target, m = broadcast_tensors(self, mask)
    count = int(m._data.sum())
    if count > source._data.size:
        raise RuntimeError(f"masked_scatter: expected source to have at least {count} elements (the True places of "
                           f"the mask), but it has {source._data.size}")
    return index_put(target, tuple(Tensor._wrap(i) for i in np.nonzero(m._data)), source.reshape(-1)[:count])


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    from .inplace import inplace

    return inplace(self, lambda old: masked_scatter(old, mask, source), "masked_scatter_", (source,))


def register_post_accumulate_grad_hook(self: Tensor, hook):
    """``hook(tensor)`` runs after this leaf's ``.grad`` has been accumulated in a backward pass."""
    from ..autograd.engine import PostAccumulateHook
    from ..tensor import _HookHandle

    if self._grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self._hooks is None:
        self._hooks = []
    entry = PostAccumulateHook(hook)
    self._hooks.append(entry)
    return _HookHandle(self._hooks, entry)


def _attach() -> None:
    Tensor.unfold = unfold
    Tensor.fill_diagonal_ = fill_diagonal_
    Tensor.sum_to_size = sum_to_size
    Tensor.new = new
    Tensor.masked_scatter = masked_scatter
    Tensor.index_put = index_put
    Tensor.index_put_ = index_put_
    Tensor.masked_scatter_ = masked_scatter_
    Tensor.register_post_accumulate_grad_hook = register_post_accumulate_grad_hook
    Tensor.data_ptr = lambda self: int(self._data.__array_interface__["data"][0])
    Tensor.storage_offset = _storage_offset
    Tensor.nbytes = property(lambda self: int(self._data.nbytes))
    Tensor.itemsize = property(lambda self: int(self._data.itemsize))
    for name in ("is_sparse", "is_sparse_csr", "is_quantized", "is_nested", "is_mkldnn", "is_xpu", "is_mps",
                 "is_ipu", "is_xla", "is_vulkan", "is_mtia", "is_maia"):
        if not hasattr(Tensor, name):
            setattr(Tensor, name, property(lambda self: False))


def _storage_offset(self: Tensor) -> int:
    """Elements from the start of the memory this tensor shares with its base (0 for one that owns its data)."""
    base = self._data
    while isinstance(base.base, np.ndarray):
        base = base.base
    start = base.__array_interface__["data"][0]
    return (self._data.__array_interface__["data"][0] - start) // max(self._data.itemsize, 1)


_attach()
