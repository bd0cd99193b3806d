"""dtype conversion (``to``, ``float()``, ``long()`` ...) and copies; the gradient is cast back."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._device import check_device, device
from .._dtype import bool_, float16, float32, float64, int8, int16, int32, int64, to_dtype, uint8
from .._dtype import dtype as DType
from .._memory_format import (
    channels_last,
    channels_last_3d,
    check_memory_format,
    contiguous_format,
    copy_in_format,
    is_in_format,
    preserve_format,
)
from ..autograd.node import Node, apply
from ..tensor import Tensor


class Cast(Node):
    formulas = ("dL/dx = dL/dout (converted back to x's dtype)",)
    torch_name = "ToCopyBackward0"

    def forward(ctx, x, dtype=None):
        return x.astype(dtype)

    def backward(ctx, g):
        return g  # the engine converts it to the input's dtype


class Clone(Node):
    formulas = ("dL/dx = dL/dout",)

    def forward(ctx, x, memory_format=preserve_format, called: str = "clone"):
        return copy_in_format(x, memory_format, called)

    def backward(ctx, g):
        return g


def _cast(t: Tensor, dtype, copy: bool = False) -> Tensor:
    d = to_dtype(dtype)
    if t._data.dtype == d.np:
        return clone(t) if copy else t
    if t.requires_grad and not d.is_floating_point:
        return Tensor._wrap(t._data.astype(d.np))
    return apply(Cast, t, dtype=d.np)


_TO_FORMS = ("(chaingrad.device device = None, chaingrad.dtype dtype = None, bool non_blocking = False, "
             "bool copy = False, *, memory_format = None)",
             "(chaingrad.dtype dtype, bool non_blocking = False, bool copy = False, *, memory_format = None)",
             "(Tensor tensor, bool non_blocking = False, bool copy = False, *, memory_format = None)")
_TO_KEYWORDS = {"device", "dtype", "non_blocking", "copy", "memory_format", "tensor"}


class ToArgs(NamedTuple):
    """What ``x.to(...)`` asked for."""

    device: Any
    dtype: DType | None
    non_blocking: bool
    copy: bool


def _is_device_like(a) -> bool:
    return a is None or isinstance(a, (str, device, int)) and not isinstance(a, bool)


def parse_to_args(args: tuple, kwargs: dict, what: str) -> ToArgs:
    """Read torch's three forms of ``.to()``: ``to(device=None, dtype=None, non_blocking=False, copy=False)``,
    ``to(dtype, non_blocking=False, copy=False)`` and ``to(tensor, non_blocking=False, copy=False)``.
    Devices other than the CPU are refused (``check_device``). Shared by ``Tensor.to`` and ``Module.to``."""
    def invalid():
        got = ", ".join([_name(a) for a in args] + [f"{k}={_name(v)}" for k, v in kwargs.items()])
        return TypeError(f"to() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                         + "\n".join(f" * {form}" for form in _TO_FORMS))

    unknown = set(kwargs) - _TO_KEYWORDS
    if unknown:
        raise TypeError(f"to() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    kw = dict(kwargs)
    if "tensor" in kw:
        if args:
            raise invalid()
        args = (kw.pop("tensor"),)
        if not isinstance(args[0], Tensor):
            raise invalid()
    dev, dtype = kw.pop("device", None), kw.pop("dtype", None)
    flags = list(args[1:])
    if args and isinstance(args[0], Tensor):  # to(other): its dtype (and device, the CPU)
        if "device" in kwargs or "dtype" in kwargs:
            raise invalid()
        dtype, dev = args[0].dtype, None
    elif args and not _is_device_like(args[0]):  # to(dtype, ...)
        if "device" in kwargs or "dtype" in kwargs:
            raise invalid()
        dtype = args[0]
    elif args:  # to(device, dtype=None, ...)
        if "device" in kwargs:
            raise invalid()
        dev = args[0]
        if flags:
            if "dtype" in kwargs or isinstance(flags[0], bool):
                raise invalid()
            dtype = flags.pop(0)
    if len(flags) > 2 or any(not isinstance(f, bool) for f in flags):
        raise invalid()
    non_blocking = flags[0] if flags else kw.pop("non_blocking", False)
    copy = flags[1] if len(flags) > 1 else kw.pop("copy", False)
    if dtype is not None:
        if isinstance(dtype, (str, device)) or _is_device_like(dtype):
            raise invalid()
        try:
            dtype = to_dtype(dtype)
        except TypeError:
            raise invalid() from None
    if dev is not None and not (isinstance(dev, (str, device, int)) and not isinstance(dev, bool)):
        raise invalid()
    check_device(dev, f"{what}.to()", use="move")
    return ToArgs(dev, dtype, bool(non_blocking), bool(copy))


def _name(a) -> str:
    if isinstance(a, Tensor):
        return "Tensor"
    if isinstance(a, DType):
        return "chaingrad.dtype"
    if isinstance(a, device):
        return "chaingrad.device"
    return type(a).__name__


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """``t.to(chaingrad.float64)``, ``t.to("cpu")``, ``t.to(device, dtype)``, ``t.to(other)``: a tensor of that
    dtype (``self`` when nothing changes, unless ``copy=True``); devices other than the CPU are refused."""
    _, dtype, _, copy = parse_to_args(args, kwargs, "Tensor")
    out = (clone(self) if copy else self) if dtype is None else _cast(self, dtype, copy)
    return _in_format(out, kwargs.get("memory_format"), "to", self)


def _in_format(t: Tensor, memory_format, op: str, source: Tensor | None = None) -> Tensor:
    """``t`` (``source`` converted, or ``source`` itself) laid out as ``memory_format`` asks (``to``, ``float``
    ... and ``cpu`` take one). As torch: preserve_format keeps the layout; ``source`` itself comes back where the
    format asked for is the one its strides suggest (channels_last for a channels-last 4-D tensor, else
    contiguous_format), else a copy; a converted copy is laid out in the format itself."""
    fmt = check_memory_format(memory_format, op)
    if fmt is preserve_format:
        return t
    if t is not source:  # (a new array no one else holds: laid out again in place of the converted one)
        t._data = copy_in_format(t._data, fmt, op)
        return t
    if fmt is _suggested_format(t._data):
        return t
    return apply(Clone.named("ToCopyBackward0"), t, memory_format=fmt, called=op)  # (torch's node for to()'s copy)


def _suggested_format(a: np.ndarray):
    """torch's ``suggest_memory_format``: the channels-last format a tensor's strides follow, else contiguous."""
    for fmt, rank in ((channels_last, 4), (channels_last_3d, 5)):
        if a.ndim == rank and not a.flags.c_contiguous and is_in_format(a, fmt):
            return fmt
    return contiguous_format


def type_(self: Tensor, dtype=None, non_blocking: bool = False):
    """``t.type()`` names the type (``'chaingrad.FloatTensor'``); ``t.type(dtype)`` converts."""
    if dtype is None:
        names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
        return f"chaingrad.{names[self.dtype.name]}Tensor"
    from .legacy import legacy_dtype

    return _cast(self, legacy_dtype(dtype) or dtype)


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy with its own memory; gradients flow back to the original. Its strides keep the order of the
    input's (``preserve_format``, the default) or follow ``memory_format``."""
    return apply(Clone, input, memory_format=check_memory_format(memory_format, "clone"))


def contiguous(self: Tensor, memory_format=contiguous_format) -> Tensor:
    """The tensor itself when its strides are already those of ``memory_format`` (row-major by default), else a
    copy laid out so."""
    fmt = check_memory_format(memory_format, "contiguous")
    if is_in_format(self._data, fmt):
        return self
    if fmt is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return clone(self, memory_format=fmt)


def cpu(self: Tensor, memory_format=None) -> Tensor:
    """The tensor itself (it is on the CPU already), or its copy in ``memory_format``."""
    return _in_format(self, memory_format, "cpu", self)


def cuda(self: Tensor, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    """Refused with what to do instead: chaingrad computes on the CPU."""
    check_device("cuda", "Tensor.cuda()", use="move")  # always raises: there is no CUDA device
    return self


def pin_memory(self: Tensor, device=None) -> Tensor:
    raise RuntimeError("Tensor.pin_memory(): pinned memory needs an accelerator and chaingrad computes on the CPU; "
                       "leave pin_memory() out (the tensor is already in ordinary CPU memory)")


def _attach() -> None:
    T = Tensor
    T.to = to
    T.type = type_
    T.clone = clone
    T.contiguous = contiguous
    T.cpu = cpu
    T.cuda = cuda
    T.pin_memory = pin_memory
    T.is_pinned = lambda self, device=None: False
    T.get_device = lambda self: -1  # torch's answer for a CPU tensor
    T.is_cpu = property(lambda self: True)
    T.is_mps = property(lambda self: False)
    T.is_meta = property(lambda self: False)
    T.float = lambda self, memory_format=None: _in_format(_cast(self, float32), memory_format, "float", self)
    T.double = lambda self, memory_format=None: _in_format(_cast(self, float64), memory_format, "double", self)
    T.half = lambda self, memory_format=None: _in_format(_cast(self, float16), memory_format, "half", self)
    T.long = lambda self, memory_format=None: _in_format(_cast(self, int64), memory_format, "long", self)
    T.int = lambda self, memory_format=None: _in_format(_cast(self, int32), memory_format, "int", self)
    T.short = lambda self, memory_format=None: _in_format(_cast(self, int16), memory_format, "short", self)
    T.char = lambda self, memory_format=None: _in_format(_cast(self, int8), memory_format, "char", self)
    T.byte = lambda self, memory_format=None: _in_format(_cast(self, uint8), memory_format, "byte", self)
    T.bool = lambda self, memory_format=None: _in_format(_cast(self, bool_), memory_format, "bool", self)
    T.type_as = lambda self, other: _cast(self, other.dtype)


_attach()
_ = np
