"""nansum and nanmean: the sum and the mean of the elements that are not NaN (a NaN counts as absent: its
gradient is 0). nanmean is nansum divided by the count of non-NaN elements, recorded as those two steps, as
torch records it."""

from __future__ import annotations

import numpy as np

from .._dtype import to_dtype
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._aliases import numpy_names
from ._checks import require_tensor
from .reduce import _spread, normalize_dims


class Nansum(Node):
    formulas = ("dL/dx = dL/dout copied to every summed element, 0 where x is NaN",)

    def forward(ctx, x, axes=None, keepdim=False):
        ctx.save_for_backward(x)
        ctx.axes = axes
        return np.nansum(x, axis=axes, keepdims=keepdim)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        keep = Tensor._wrap(~np.isnan(x._data))
        return _spread(g, tuple(x.shape), ctx.axes) * keep


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The sum over ``dim`` (all elements by default) with NaN read as 0; integers sum to int64, as ``sum``."""
    require_tensor(input, "nansum")
    if dtype is not None:
        input = input.to(to_dtype(dtype))
    if input._data.dtype.kind in "biu":  # (no NaN to skip: the plain sum, in int64 unless dtype= says)
        return input.sum(dtype=dtype) if dim is None else input.sum(dim, keepdim, dtype=dtype)
    return apply(Nansum, input, axes=normalize_dims(dim, input._data.ndim, "nansum"), keepdim=keepdim)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean over ``dim`` of the elements that are not NaN (NaN where all of them are)."""
    require_tensor(input, "nanmean")
    if dtype is not None:
        if not to_dtype(dtype).is_floating_point:
            raise RuntimeError(f"nanmean(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {_scalar_type(to_dtype(dtype).np)}")
        input = input.to(to_dtype(dtype))
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_scalar_type(input)} (convert with .float() first)")
    count = Tensor._wrap(~np.isnan(input._data)).sum() if dim is None else \
        Tensor._wrap(~np.isnan(input._data)).sum(dim, keepdim)
    return nansum(input, dim, keepdim) / count


def _scalar_type(t) -> str:
    from ._checks import scalar_type

    return scalar_type(t)


def _attach() -> None:
    g = globals()
    for name in ("nansum", "nanmean"):
        g[name] = numpy_names(g[name])
        setattr(Tensor, name, g[name])


_attach()
