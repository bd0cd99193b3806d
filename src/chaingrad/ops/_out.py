"""``out=``: the functions of the ``torch`` namespace that torch documents with an ``out`` argument write their
result into a given tensor and return it (``torch.matmul(a, b, out=y)``). One rule for all of them:

- the result is computed as without ``out``, then copied into ``out`` (cast to its dtype, which must be able to
  hold the result's kind: a float result does not go into an integer tensor);
- ``out`` of another shape is resized to the result's (with torch's warning, unless it had no elements);
- no gradient flows through ``out=``: with grad mode on, an input or ``out`` that requires grad is an error.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from ..autograd.grad_mode import state
from ..tensor import Tensor
from ._checks import scalar_type


def write_out(result: np.ndarray, out, op: str) -> Tensor:
    """``out`` holding ``result`` (an array): resized where its shape differs, its version bumped."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    target = out._data
    if result.dtype != target.dtype and not (np.can_cast(result.dtype, target.dtype, casting="same_kind")
                                             or result.dtype.kind in "biu" and target.dtype.kind in "fc"):
        raise RuntimeError(f"result type {scalar_type(result.dtype)} can't be cast to the desired output type "
                           f"{scalar_type(target.dtype)}")
    if target.shape == result.shape and target.flags.writeable:
        np.copyto(target, result, casting="unsafe")
    else:
        if target.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(target.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch release "
                          "outputs will not be resized unless they have zero elements. You can explicitly reuse "
                          "an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
                          UserWarning, stacklevel=3)
        out._data = result.astype(target.dtype, copy=True)
    out._version[0] += 1
    return out


def with_out(fn, makes_new: bool = False):
    """``fn`` that also takes ``out=``, by the rule above. ``makes_new`` for the creation functions
    (``zeros``, ``arange``): without ``dtype=`` they make ``out``'s dtype, as torch."""
    op = fn.__name__

    @functools.wraps(fn)
    def fn_with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
        if makes_new and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        result = fn(*args, **kwargs)
        if not isinstance(result, Tensor):
            raise NotImplementedError(f"{op}(): out= is supported for ops with one result tensor; assign the "
                                      "results instead")
        if state.enabled and (result.requires_grad or out.requires_grad):
            raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        return write_out(result._data, out, op)

    return fn_with_out
