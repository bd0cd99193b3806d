"""In-place shape changes: ``unsqueeze_``, ``squeeze_``, ``t_``, ``transpose_`` (and its aliases ``swapdims_``,
``swapaxes_``). Importing it also attaches the in-place twins of the ops of the later files (ops/inplace.py).

The tensor keeps its memory and takes the shape (and strides) the out-of-place op would give, as in torch.
When gradients are recorded the tensor's grad_fn becomes that op's node under torch's in-place name
(``x.unsqueeze_(0)`` gives UnsqueezeBackward1 where ``x.unsqueeze(0)`` gives UnsqueezeBackward0; one derivative,
the out-of-place op's), and the version counter moves on: a backward that saved the tensor can tell.
"""

from __future__ import annotations

from ..autograd.grad_mode import state
from ..autograd.node import apply
from ..tensor import Tensor
from .inplace import LEAF_MESSAGE, _attach_twins
from .shape import Permute, Reshape, _check_dim

_UNSQUEEZE_ = Reshape.named("UnsqueezeBackward1")
_SQUEEZE_ = {"all": Reshape.named("SqueezeBackward3"), "dim": Reshape.named("SqueezeBackward4"),
             "dims": Reshape.named("SqueezeBackward5")}
_TRANSPOSE_, _T_ = Permute.named("TransposeBackward1"), Permute.named("TBackward1")


def _take_shape(t: Tensor, node, op: str, **kwargs) -> Tensor:
    """``t`` becomes the view ``node`` makes of it, in place."""
    record = state.enabled and t.requires_grad
    if record and t._grad_fn is None:
        raise RuntimeError(LEAF_MESSAGE.format(op=op, shape=list(t._data.shape)))
    if t._base is not None and t._base.requires_grad and state.enabled:
        raise NotImplementedError(f"{op} on a view of a tensor that requires grad is not supported: use the "
                                  f"out-of-place {op[:-1]}() (a new view), or clone() the view first")
    out = apply(node, t, **kwargs)
    t._data = out._data
    if record:
        t._grad_fn, t._output_nr = out._grad_fn, out._output_nr
    t._version[0] += 1
    if t._base is not None:
        t._view[1] = t._version[0]
    return t


def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    d = _check_dim(dim, self._data.ndim + 1, "unsqueeze_")
    shape = self._data.shape
    return _take_shape(self, _UNSQUEEZE_, "unsqueeze_", shape=shape[:d] + (1,) + shape[d:])


def squeeze_(self: Tensor, dim=None) -> Tensor:
    shape = self._data.shape
    if dim is None:
        new, kind = tuple(s for s in shape if s != 1), "all"
    else:
        kind = "dim" if isinstance(dim, int) else "dims"
        ds = {_check_dim(d, self._data.ndim, "squeeze_") for d in ((dim,) if kind == "dim" else tuple(dim))}
        new = tuple(s for i, s in enumerate(shape) if not (i in ds and s == 1))
    return _take_shape(self, _SQUEEZE_[kind], "squeeze_", shape=new)


def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    nd = self._data.ndim
    a, b = _check_dim(dim0, max(nd, 1), "transpose_"), _check_dim(dim1, max(nd, 1), "transpose_")
    dims = list(range(nd))
    if nd:
        dims[a], dims[b] = dims[b], dims[a]
    return _take_shape(self, _TRANSPOSE_, "transpose_", dims=tuple(dims))


def t_(self: Tensor) -> Tensor:
    nd = self._data.ndim
    if nd > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return _take_shape(self, _T_, "t_", dims=(1, 0) if nd == 2 else tuple(range(nd)))


def _attach() -> None:
    Tensor.unsqueeze_ = unsqueeze_
    Tensor.squeeze_ = squeeze_
    Tensor.transpose_ = Tensor.swapdims_ = Tensor.swapaxes_ = transpose_
    Tensor.t_ = t_


_attach()
_attach_twins()
