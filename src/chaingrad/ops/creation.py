"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``) and by shape (``zeros`` ...)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._device import check_device, check_pin_memory
from .._dtype import dtype as DType
from .._dtype import from_numpy_dtype, get_default_dtype, int64, scalar_dtype, to_dtype
from .._layout import check_layout
from .._memory_format import check_memory_format, contiguous_format, empty_in_format, preserve_format
from ..tensor import Size, Tensor, _check_can_require_grad


def _plain(data):
    """Nested lists/tuples with tensors replaced by their arrays, so NumPy can read them."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_plain(x) for x in data]
    return data


def to_array(data: Any, dtype=None, copy: bool = True) -> np.ndarray:
    """An array for ``data`` with torch's dtype inference (Python floats -> default float dtype)."""
    target = None if dtype is None else to_dtype(dtype).np
    if isinstance(data, Tensor):
        a = data._data
        return a.astype(target if target is not None else a.dtype, copy=copy)
    if isinstance(data, (np.ndarray, np.generic)):
        a = np.asarray(data)
        from_numpy_dtype(a.dtype)  # raises for unsupported dtypes
        return np.array(a, dtype=target) if copy else np.asarray(a, dtype=target)
    if isinstance(data, (bool, int, float)):
        from ._dispatch import scalar_array

        return scalar_array(data, target if target is not None else scalar_dtype(data).np)
    try:
        a = np.array(_plain(data))
    except ValueError as e:
        raise ValueError(f"tensor: could not build a tensor from the data: {e} (nested lists must have equal "
                         "lengths)") from None
    if a.dtype.kind == "O" or a.dtype.kind in "US":
        raise TypeError(f"tensor: can't convert {type(data).__name__} of {a.dtype} values; give numbers, "
                        "nested lists of numbers, or arrays")
    if target is not None:
        return a.astype(target, copy=False)
    if a.dtype.kind == "f":
        return a.astype(get_default_dtype().np, copy=False)
    if a.dtype.kind in "iu":
        return a.astype(np.int64, copy=False)
    return a


def tensor(data: Any, *, dtype: DType | None = None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays or tensors)."""
    _on_cpu(device, pin_memory, "tensor")
    return _new(to_array(data, dtype), requires_grad)


def as_tensor(data: Any, dtype: DType | None = None, device=None) -> Tensor:
    """Like ``tensor``, but shares memory with a NumPy array or tensor when no conversion is needed."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is to_dtype(dtype) else data.to(dtype)
    return Tensor._wrap(to_array(data, dtype, copy=False))


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (its dtype is kept)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray)


def parse_size(size: tuple, op: str = "size", keyword=None) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(chaingrad.Size([2, 3]))`` and ``f(size=(2, 3))``."""
    if keyword is not None:
        if size:
            raise TypeError(f"{op}() got the size both as positional arguments {list(size)} and as size={keyword}")
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if type(s) is not int or s < 0:
            return _checked_size(size, op)
    return tuple(size)  # plain non-negative ints (nearly every call): as they are


def _checked_size(size, op: str) -> tuple[int, ...]:
    """parse_size's elements one by one: 0-d tensors and NumPy integers read as ints; torch's errors."""
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, but found element of type "
                            f"{type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"{op}(): Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _on_cpu(device, pin_memory: bool, op: str, layout=None) -> None:
    """``device=`` must be the CPU (or None), ``pin_memory`` False, as torch without an accelerator, and
    ``layout`` strided (or None)."""
    if layout is not None:
        check_layout(layout, op)
    if device is not None:
        check_device(device, op)
    if pin_memory:
        check_pin_memory(pin_memory, op)


def _new(array: np.ndarray, requires_grad: bool) -> Tensor:
    """A new tensor around ``array`` (checked that it can require grad, if asked to)."""
    if requires_grad:
        _check_can_require_grad(array.dtype)
    return Tensor._wrap(array, bool(requires_grad))


def _float_or(dtype) -> np.dtype:
    return (get_default_dtype() if dtype is None else to_dtype(dtype)).np


def zeros(*sizes, size=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          pin_memory: bool = False) -> Tensor:
    _on_cpu(device, pin_memory, "zeros", layout)
    return _new(np.zeros(parse_size(sizes, "zeros", size), _float_or(dtype)), requires_grad)


def ones(*sizes, size=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    _on_cpu(device, pin_memory, "ones", layout)
    return _new(np.ones(parse_size(sizes, "ones", size), _float_or(dtype)), requires_grad)


def empty(*sizes, size=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          pin_memory: bool = False, memory_format=None) -> Tensor:
    _on_cpu(device, pin_memory, "empty", layout)
    shape, d = parse_size(sizes, "empty", size), _float_or(dtype)
    if memory_format is None or memory_format is contiguous_format:
        return _new(np.empty(shape, d), requires_grad)
    if check_memory_format(memory_format, "empty") is preserve_format:
        raise RuntimeError("empty(): unsupported memory format Preserve (a new tensor has no layout to preserve; "
                           "give chaingrad.contiguous_format or channels_last)")
    like = np.broadcast_to(np.empty((), np.bool_), shape)  # (only its shape is read)
    return _new(empty_in_format(like, d, memory_format, "empty"), requires_grad)


def full(size, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    _on_cpu(device, pin_memory, "full", layout)
    d = scalar_dtype(fill_value).np if dtype is None else to_dtype(dtype).np
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _new(np.full(parse_size((size,), "full"), fill_value, d), requires_grad)


def _like(input: Tensor, dtype, memory_format, op: str, fill=None) -> np.ndarray:
    """A new array of input's shape (in ``dtype``, else input's), laid out as ``memory_format`` says (by default
    in the order of input's strides, as torch), holding ``fill`` (None: uninitialized)."""
    a = input._data
    d = a.dtype if dtype is None else to_dtype(dtype).np
    fmt = check_memory_format(memory_format, op)
    if fill is not None and (fmt is contiguous_format or (fmt is preserve_format and a.flags.c_contiguous)):
        return np.full(a.shape, fill, d) if fill != 0 else np.zeros(a.shape, d)  # (zeros: calloc's free pages)
    out = empty_in_format(a, d, fmt, op)
    if fill is not None:
        out[...] = fill
    return out


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               pin_memory: bool = False, memory_format=None) -> Tensor:
    _on_cpu(device, pin_memory, "zeros_like", layout)
    return _new(_like(input, dtype, memory_format, "zeros_like", 0), requires_grad)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              pin_memory: bool = False, memory_format=None) -> Tensor:
    _on_cpu(device, pin_memory, "ones_like", layout)
    return _new(_like(input, dtype, memory_format, "ones_like", 1), requires_grad)


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               pin_memory: bool = False, memory_format=None) -> Tensor:
    _on_cpu(device, pin_memory, "empty_like", layout)
    return _new(_like(input, dtype, memory_format, "empty_like"), requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              pin_memory: bool = False, memory_format=None) -> Tensor:
    _on_cpu(device, pin_memory, "full_like", layout)
    return _new(_like(input, dtype, memory_format, "full_like", fill_value), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, layout=None, device=None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """``arange(5)`` -> int64 [0..4]; any float argument gives the default float dtype."""
    _on_cpu(device, pin_memory, "arange", layout)
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = values
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in values)
        d = get_default_dtype().np if is_float else int64.np
    else:
        d = to_dtype(dtype).np
    n = math.ceil((end - start) / step)
    return _new((start + np.arange(n, dtype=np.float64) * step).astype(d) if d.kind == "f"
                else np.arange(start, end, step, dtype=d), requires_grad)


def linspace(start, end, steps: int, *, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    _on_cpu(device, pin_memory, "linspace", layout)
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    return _new(_linspace_values(start, end, steps, _float_or(dtype)), requires_grad)


def _linspace_values(start, end, steps: int, d: np.dtype) -> np.ndarray:
    """torch's linspace kernel: step = (end - start) / (steps - 1) in the dtype, then start + step * i for the
    first half and end - step * (steps - 1 - i) for the rest, each a fused multiply-add (one rounding), which
    float32 gets exactly from a float64 product and float64 (nearly always) from a long double one."""
    if d not in (np.float32, np.float64) or steps < 2:
        return np.linspace(float(start), float(end), steps).astype(d)
    s, e = d.type(start), d.type(end)
    step = (e - s) / d.type(steps - 1)
    wide = np.float64 if d == np.float32 else np.longdouble
    i = np.arange(steps)
    half = steps // 2
    out = np.empty(steps, wide)
    out[:half] = wide(s) + wide(step) * i[:half]
    out[half:] = wide(e) - wide(step) * (steps - 1 - i[half:])
    return out.astype(d)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    _on_cpu(device, pin_memory, "logspace", layout)
    return _new((base ** np.linspace(float(start), float(end), steps)).astype(_float_or(dtype)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, layout=None, device=None,
        requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    _on_cpu(device, pin_memory, "eye", layout)
    return _new(np.eye(n, n if m is None else m, dtype=_float_or(dtype)), requires_grad)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    _on_cpu(device, pin_memory, "scalar_tensor", layout)
    return _new(np.array(s, dtype=_float_or(dtype)), requires_grad)


def _attach() -> None:
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad,
                      pin_memory=pin_memory)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad,
                     pin_memory=pin_memory, layout=layout)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad,
                    pin_memory=pin_memory, layout=layout)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad,
                    pin_memory=pin_memory, layout=layout)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad,
                     pin_memory=pin_memory, layout=layout)

    Tensor.new_tensor = new_tensor
    Tensor.new_zeros = new_zeros
    Tensor.new_ones = new_ones
    Tensor.new_full = new_full
    Tensor.new_empty = new_empty


_attach()
_ = (Size, from_numpy_dtype)

