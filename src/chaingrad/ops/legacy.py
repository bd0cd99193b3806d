"""torch's legacy constructors, still in older tutorials: ``Tensor(2, 3)`` (an uninitialized float tensor of
that shape), ``Tensor([1, 2])`` (float data), ``FloatTensor``, ``LongTensor``, ``DoubleTensor`` ... and
``isinstance(x, FloatTensor)`` (a float32 tensor). New code writes ``chaingrad.empty(2, 3)`` and
``chaingrad.tensor([1.0, 2.0])``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._device import check_device
from .._dtype import bool_, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32, int64, uint8
from ..tensor import Size, Tensor


def legacy_array(args: tuple, kwargs: dict, target: dtype | None, name: str) -> np.ndarray:
    """The array of ``name(*args)``: ints (or a Size) give an uninitialized shape, one sequence gives data.

    ``target`` None means the default float dtype, except that ``Tensor(t)`` keeps the dtype of ``t``.
    """
    unknown = set(kwargs) - {"device"}
    if unknown:
        raise TypeError(f"new() received an invalid combination of arguments - got an unexpected keyword "
                        f"'{sorted(unknown)[0]}': {name}(...) takes data or sizes and device= only (use "
                        f"chaingrad.tensor(data, dtype=..., requires_grad=...) for more)")
    check_device(kwargs.get("device"), name, use="legacy")  # torch: RuntimeError here
    d = (get_default_dtype() if target is None else target).np
    if not args:
        return np.empty((0,), d)
    if isinstance(args[0], Size) and len(args) == 1 or all(_is_int(a) for a in args):
        shape = tuple(int(a) for a in (args[0] if isinstance(args[0], Size) else args))
        for s in shape:
            if s < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
        return np.empty(shape, d)
    if len(args) > 1:
        bad = next(a for a in args if not _is_int(a))
        raise TypeError(f"new(): argument 'size' must be a tuple of ints, but found element of type "
                        f"{type(bad).__name__} in {name}{args}")
    data = args[0]
    if isinstance(data, Tensor):
        if target is not None and data._data.dtype != d:
            raise TypeError(f"{name}(tensor): expected a tensor of dtype {target}, got {data.dtype}; convert it "
                            f"with .to({target})")
        return data._data  # shares memory, as torch
    if isinstance(data, (bool, int, float, np.generic)) or not hasattr(data, "__len__"):
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__}); {name}(3) makes a tensor "
                        f"of shape [3], chaingrad.tensor({data!r}) a tensor holding the number")
    from .creation import to_array

    return to_array(data, target or get_default_dtype())


def _is_int(a: Any) -> bool:
    return isinstance(a, (int, np.integer)) and not isinstance(a, bool)


class _LegacyType(type):
    """The metaclass of ``FloatTensor`` & co: calling makes a Tensor, ``isinstance`` checks the dtype."""

    dtype: dtype

    def __call__(cls, *args, **kwargs) -> Tensor:
        return Tensor._wrap(legacy_array(args, kwargs, cls.dtype, cls.__name__))

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __repr__(cls) -> str:
        return f"<class 'chaingrad.{cls.__name__}'>"


def _legacy_type(name: str, d: dtype) -> type:
    return _LegacyType(name, (), {"dtype": d, "__doc__": f"``{name}(...)``: the legacy constructor of {d} tensors",
                                  "__module__": "chaingrad"})


FloatTensor = _legacy_type("FloatTensor", float32)
DoubleTensor = _legacy_type("DoubleTensor", float64)
HalfTensor = _legacy_type("HalfTensor", float16)
LongTensor = _legacy_type("LongTensor", int64)
IntTensor = _legacy_type("IntTensor", int32)
ShortTensor = _legacy_type("ShortTensor", int16)
CharTensor = _legacy_type("CharTensor", int8)
ByteTensor = _legacy_type("ByteTensor", uint8)
BoolTensor = _legacy_type("BoolTensor", bool_)

LEGACY_TYPES = (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor,
                BoolTensor)
BY_NAME = {cls.__name__: cls for cls in LEGACY_TYPES}
BY_DTYPE = {cls.dtype.name: cls for cls in LEGACY_TYPES}


def legacy_dtype(spec) -> dtype | None:
    """The dtype named by ``FloatTensor`` or ``"torch.FloatTensor"`` / ``"chaingrad.FloatTensor"`` (else None)."""
    if isinstance(spec, _LegacyType):
        return spec.dtype
    if isinstance(spec, str):
        prefix, _, name = spec.rpartition(".")
        if prefix in ("torch", "chaingrad") and name in BY_NAME:
            return BY_NAME[name].dtype
        raise ValueError(f"invalid type: '{spec}' (expected a name such as 'torch.FloatTensor')")
    return None


def set_default_tensor_type(t, /) -> None:
    """torch's deprecated form of ``set_default_dtype``: ``FloatTensor``/``DoubleTensor``/``HalfTensor`` or their
    names (``"torch.DoubleTensor"``) make float32/float64/float16 the default dtype."""
    import warnings

    from .._dtype import set_default_dtype

    warnings.warn("chaingrad.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "chaingrad.set_default_dtype() and chaingrad.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    if isinstance(t, str):
        prefix, _, name = t.rpartition(".")
        if prefix in ("torch.cuda", "chaingrad.cuda"):
            raise TypeError(f"type {t} not available. chaingrad computes on the CPU (use {prefix[:-5]}.{name})")
        if prefix not in ("torch", "chaingrad") or name not in BY_NAME:
            raise AttributeError(f"module '{prefix or t}' has no attribute '{name}'")
        t = BY_NAME[name]
    if not isinstance(t, _LegacyType):
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    set_default_dtype(t.dtype)
