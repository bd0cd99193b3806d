"""More ways to make a tensor: ``asarray`` (sharing memory with what it is given when it can), ``frombuffer``
(a tensor over a Python buffer's bytes), ``empty_strided`` and the deprecated ``range`` (its end included)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ..tensor import Tensor
from ._checks import scalar_type
from .creation import _float_or, _new, _on_cpu, parse_size, to_array

_warned_not_writable = [False]


def asarray(obj: Any, *, dtype=None, device=None, copy: bool | None = None,
            requires_grad: bool | None = None) -> Tensor:
    """``obj`` as a tensor. A tensor or NumPy array of the asked dtype is shared, not copied (unless
    ``copy=True``); ``copy=False`` raises where a copy is needed. For a tensor, ``requires_grad`` unspecified keeps
    the tensor's (torch 2.13's default, with its warning)."""
    _on_cpu(device, False, "asarray")
    target = None if dtype is None else to_dtype(dtype)
    if isinstance(obj, Tensor):
        if requires_grad is None and obj.requires_grad:
            warnings.warn("torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of "
                          "False. Pass requires_grad=False explicitly to get the old behavior and silence this "
                          "warning.", UserWarning, stacklevel=2)
        out = obj
        if target is not None and target is not obj.dtype:
            if copy is False:
                raise ValueError(f"can't alias tensor with dtype '{scalar_type(obj)}' into dtype "
                                 f"'{scalar_type(Tensor._wrap(np.empty(0, target.np)))}'.")
            out = obj.to(target)
        elif copy:
            out = obj.clone()
        if requires_grad is not None and requires_grad != out.requires_grad:
            out = out.detach().requires_grad_(requires_grad)
        return out
    if isinstance(obj, (np.ndarray, np.generic)) and copy is False:
        a = np.asarray(obj)
        if target is not None and a.dtype != target.np:
            from_numpy_dtype(a.dtype)
            raise ValueError(f"can't alias tensor with dtype '{scalar_type(Tensor._wrap(a[:0]))}' into dtype "
                             f"'{scalar_type(Tensor._wrap(np.empty(0, target.np)))}'.")
    elif copy is False and not isinstance(obj, np.ndarray):
        raise ValueError("can't alias arbitrary sequence into a tensor.")
    array = to_array(obj, target, copy=bool(copy))
    return _new(array, bool(requires_grad))


def frombuffer(buffer: Any, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-d tensor over ``buffer``'s bytes from ``offset`` (``count`` elements; -1: to the end), sharing them: a
    write through the tensor changes the buffer. A read-only buffer (``bytes``) is copied first, with torch's
    warning that its tensor would not protect it."""
    d = to_dtype(dtype).np
    view = memoryview(buffer)
    length = view.nbytes
    if length == 0 and count != 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({length} bytes) minus 1")
    if count < 0:
        if (length - offset) % d.itemsize:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                             f"multiple of element size ({d.itemsize})")
        count = (length - offset) // d.itemsize
    elif offset + count * d.itemsize > length:
        raise ValueError(f"requested buffer length ({count} * {d.itemsize} bytes) after offset ({offset} bytes) "
                         f"must not be greater than actual buffer length ({length} bytes)")
    array = np.frombuffer(buffer, dtype=d, count=count, offset=offset)
    if not array.flags.writeable:
        if not _warned_not_writable[0]:
            _warned_not_writable[0] = True
            warnings.warn("The given buffer is not writable: chaingrad copies it (a tensor over it could not be "
                          "written to). Make the buffer writable (a bytearray) to share its memory.", UserWarning,
                          stacklevel=2)
        array = array.copy()
    return _new(array, requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialized tensor of ``size`` whose elements lie ``stride`` elements apart in its memory, as
    ``stride()`` reports."""
    _on_cpu(device, pin_memory, "empty_strided", layout)
    shape, steps = parse_size((size,), "empty_strided"), tuple(int(s) for s in stride)
    if len(shape) != len(steps):
        raise RuntimeError(f"dimensionality of sizes ({len(shape)}) must match dimensionality of strides "
                           f"({len(steps)})")
    if any(s < 0 for s in steps):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)} and "
                           f"strides={list(steps)}")
    d = _float_or(dtype)
    n = 0 if 0 in shape else 1 + sum((length - 1) * s for length, s in zip(shape, steps))
    storage = np.empty(max(n, 1), d)
    array = np.lib.stride_tricks.as_strided(storage, shape, tuple(s * d.itemsize for s in steps), writeable=True)
    return _new(array, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, layout=None, device=None,  # noqa: A001 - torch's name
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Deprecated in torch: the values from ``start`` to ``end`` *inclusive*, ``step`` apart, in the default float
    dtype; use ``arange`` (end excluded)."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    _on_cpu(device, pin_memory, "range", layout)
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(f"upper bound and lower bound inconsistent with step sign (range({start}, {end}, {step}))")
    d = (get_default_dtype() if dtype is None else to_dtype(dtype)).np
    n = int(math.floor((end - start) / step)) + 1
    return _new((start + np.arange(n, dtype=np.float64) * step).astype(d), requires_grad)
