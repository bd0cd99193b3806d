"""dtype conversion (``to``, ``float()``, ``long()`` ...) and copies; the gradient is cast back."""

from __future__ import annotations

import numpy as np

from .._dtype import bool_, float16, float32, float64, int8, int16, int32, int64, to_dtype, uint8
from ..autograd.node import Node, apply
from ..tensor import Tensor


class Cast(Node):
    formulas = ("dL/dx = dL/dout (converted back to x's dtype)",)

    def forward(ctx, x, dtype=None):
        return x.astype(dtype)

    def backward(ctx, g):
        return g  # the engine converts it to the input's dtype


class Clone(Node):
    formulas = ("dL/dx = dL/dout",)

    def forward(ctx, x):
        return x.copy()

    def backward(ctx, g):
        return g


def _cast(t: Tensor, dtype, copy: bool = False) -> Tensor:
    d = to_dtype(dtype)
    if t._data.dtype == d.np:
        return clone(t) if copy else t
    if t.requires_grad and not d.is_floating_point:
        return Tensor._wrap(t._data.astype(d.np))
    return apply(Cast, t, dtype=d.np)


def parse_to_args(args, dtype, device, what: str):
    """The dtype asked for by ``x.to(...)`` (a dtype, a tensor to match, or None); devices other than the
    CPU are refused. Shared by ``Tensor.to`` and ``Module.to``."""
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str) or a is None:
            device = a
        else:
            dtype = a
    if device is not None and not str(device).startswith("cpu"):
        raise RuntimeError(f"chaingrad runs on the CPU only; can't move a {what} to device {device!r}")
    return dtype


def to(self: Tensor, *args, dtype=None, copy: bool = False, non_blocking: bool = False, device=None, **kw) -> Tensor:
    """Convert to a dtype (``t.to(chaingrad.float64)``); devices other than "cpu" are refused."""
    dtype = parse_to_args(args, dtype, device, "tensor")
    if dtype is None:
        return clone(self) if copy else self
    return _cast(self, dtype, copy)


def type_(self: Tensor, dtype=None, non_blocking: bool = False):
    """``t.type()`` names the type (``'chaingrad.FloatTensor'``); ``t.type(dtype)`` converts."""
    if dtype is None:
        names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
        return f"chaingrad.{names[self.dtype.name]}Tensor"
    return _cast(self, dtype)


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy with its own memory; gradients flow back to the original."""
    return apply(Clone, input)


def contiguous(self: Tensor, memory_format=None) -> Tensor:
    if self._data.flags.c_contiguous:
        return self
    return clone(self)


def cpu(self: Tensor) -> Tensor:
    return self


def _attach() -> None:
    T = Tensor
    T.to = to
    T.type = type_
    T.clone = clone
    T.contiguous = contiguous
    T.cpu = cpu
    T.float = lambda self, memory_format=None: _cast(self, float32)
    T.double = lambda self, memory_format=None: _cast(self, float64)
    T.half = lambda self, memory_format=None: _cast(self, float16)
    T.long = lambda self, memory_format=None: _cast(self, int64)
    T.int = lambda self, memory_format=None: _cast(self, int32)
    T.short = lambda self, memory_format=None: _cast(self, int16)
    T.char = lambda self, memory_format=None: _cast(self, int8)
    T.byte = lambda self, memory_format=None: _cast(self, uint8)
    T.bool = lambda self, memory_format=None: _cast(self, bool_)
    T.type_as = lambda self, other: _cast(self, other.dtype)


_attach()
_ = np
