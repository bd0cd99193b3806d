"""Argument checks shared by the op files: torch's TypeError for a non-tensor, torch's names of dtypes."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

_SCALAR_TYPE = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                "float16": "Half", "float32": "Float", "float64": "Double"}


def scalar_type(x) -> str:
    """torch's C++ name of a tensor's (or NumPy dtype's) element type, as its kernel errors print it: 'Long'."""
    name = x.dtype.name if isinstance(x, Tensor) else np.dtype(x).name
    return _SCALAR_TYPE.get(name, name)


def require_tensor(x, op: str, arg: str = "input", position: int = 1) -> Tensor:
    """``x`` if it is a Tensor, else torch's TypeError naming the op and the argument."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position {position}) must be Tensor, not {type(x).__name__}")
    return x


def require_float(x: Tensor, op: str, kernel: str, what: str) -> None:
    """torch's NotImplementedError for a kernel that has no integer (or bool) version."""
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_type(x)}' ({op} {what}: call .float() "
                                  "on the input first)")
