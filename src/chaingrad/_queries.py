"""Settings and questions about tensors in torch's top-level namespace: matmul precision, inter-op threads,
warn-always, and ``is_nonzero``, ``is_same_size``, ``is_signed``, ``typename``, ``broadcast_shapes``, ``can_cast``
... (the Tensor methods of the same names are attached here too)."""

from __future__ import annotations

import os
import warnings
from typing import Any

from ._dtype import dtype as _dtype
from .tensor import Size, Tensor

_PRECISIONS = ("highest", "high", "medium")
_settings: dict[str, Any] = {"matmul_precision": "highest", "interop_threads": None, "warn_always": False}


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted and recorded as in torch. It changes no result: on a CPU torch too it only matters to GPU tensor
    cores (TF32, bfloat16 passes); chaingrad's float32 matrix products are always full float32."""
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "set_float32_matmul_precision call has no effect.", UserWarning, stacklevel=2)
        return
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _settings["matmul_precision"]


def set_num_interop_threads(n: int) -> None:
    """Recorded for ``get_num_interop_threads``: chaingrad runs one op after another (no inter-op thread pool), so
    the number changes nothing; ``set_num_threads`` sets the threads inside an op (NumPy's BLAS)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise RuntimeError(f"set_num_interop_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    _settings["interop_threads"] = n


def get_num_interop_threads() -> int:
    """torch's default: one per CPU core (until ``set_num_interop_threads``)."""
    return _settings["interop_threads"] or os.cpu_count() or 1


def set_warn_always(b: bool) -> None:
    """Recorded as torch does. torch's flag repeats its C++ warn-once warnings; chaingrad's warnings are all Python
    warnings, shown as the ``warnings`` module's filters say (``warnings.simplefilter("always")`` repeats them)."""
    _settings["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    return _settings["warn_always"]


def _need_tensor(x: Any, op: str, name: str, position: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not {type(x).__name__}")


def is_nonzero(input: Tensor) -> bool:
    """Whether a one-element tensor is not zero (``bool(input)``); an error for other sizes."""
    _need_tensor(input, "is_nonzero", "input", 1)
    n = input._data.size
    if n != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no values' if n == 0 else 'more than one value'} "
                           f"is ambiguous (is_nonzero of a tensor of shape {list(input.shape)}: take .any(), "
                           ".all() or one element)")
    return bool(input._data.reshape(()) != 0)


def is_same_size(input: Tensor, other: Tensor) -> bool:
    _need_tensor(input, "is_same_size", "input", 1)
    _need_tensor(other, "is_same_size", "other", 2)
    return input.shape == other.shape


def is_complex(input: Tensor) -> bool:
    """Always False: chaingrad has no complex dtypes."""
    _need_tensor(input, "is_complex", "input", 1)
    return False


def is_signed(input: Tensor) -> bool:
    """Whether the dtype holds negative numbers (False for bool and uint8)."""
    _need_tensor(input, "is_signed", "input", 1)
    return input.dtype.is_signed


def is_conj(input: Tensor) -> bool:
    """Always False: chaingrad has no complex tensors, so no lazily conjugated ones."""
    _need_tensor(input, "is_conj", "input", 1)
    return False


def is_neg(input: Tensor) -> bool:
    """Always False: torch sets it only on lazily negated conjugate views of complex tensors."""
    _need_tensor(input, "is_neg", "input", 1)
    return False


def is_inference(input: Tensor) -> bool:
    """False: chaingrad has no inference tensors (``inference_mode`` records nothing, as ``no_grad``, and the
    tensors made inside it are ordinary ones)."""
    _need_tensor(input, "is_inference", "input", 1)
    return False


def typename(obj: Any) -> str:
    """A tensor's type string (``chaingrad.FloatTensor``), else the object's module and qualified name."""
    if isinstance(obj, Tensor):
        return obj.type()
    if hasattr(obj, "__qualname__"):
        module, name = getattr(obj, "__module__", "") or "", obj.__qualname__
    elif hasattr(obj, "__name__"):
        module, name = getattr(obj, "__module__", "") or "", obj.__name__
    else:
        module, name = type(obj).__module__ or "", type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape tensors of these shapes broadcast to (NumPy's rule), without making any tensor."""
    dims_of = [[shape] if isinstance(shape, int) else list(shape) for shape in shapes]
    result = [1] * max((len(dims) for dims in dims_of), default=0)
    for index, (shape, dims) in enumerate(zip(shapes, dims_of)):
        if any(isinstance(d, int) and d < 0 for d in dims):
            raise ValueError("Attempting to broadcast a dimension with negative length!")
        for j in range(-1, -len(dims) - 1, -1):  # from the last dimension, as torch reports the first misfit
            d = dims[j]
            if not isinstance(d, int) or (d != result[j] and d != 1 and result[j] != 1):
                shown = tuple(dims) if not isinstance(shape, (int, str)) else shape
                raise RuntimeError(f"Attempting to broadcast a dimension of length {d} at {j}! "
                                   f"Mismatching argument at index {index} had {shown}; but expected shape should "
                                   f"be broadcastable to {result}")
            if result[j] == 1:
                result[j] = d
    return Size(result)


def can_cast(from_: _dtype, to: _dtype) -> bool:
    """Whether torch's type promotion may cast ``from_`` to ``to``: never to a lower kind (float to integer,
    a number to bool)."""
    for name, d, position in (("from_", from_, 1), ("to", to, 2)):
        if not isinstance(d, _dtype):
            raise TypeError(f"can_cast(): argument '{name}' (position {position}) must be torch.dtype, "
                            f"not {type(d).__name__}")
    return from_._category <= to._category


def _attach() -> None:
    for name in ("is_nonzero", "is_same_size", "is_complex", "is_signed", "is_conj", "is_neg", "is_inference"):
        setattr(Tensor, name, globals()[name])


_attach()
