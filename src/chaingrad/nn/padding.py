"""Padding layers: ConstantPad, ZeroPad, ReflectionPad, ReplicationPad and CircularPad in 1, 2 and 3 dims, each
F.pad with its mode. ``padding`` is an int (the same on every side) or a tuple (left, right[, top, bottom[,
front, back]]), last dimension first, as F.pad reads it."""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


def _sides(padding, dims: int) -> tuple[int, ...]:
    return (padding,) * (2 * dims) if isinstance(padding, int) else tuple(padding)


class _Pad(Module):
    _dims = 1
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _sides(padding, self._dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_Pad):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Pad the last dimension with ``value``."""


class ConstantPad2d(_ConstantPad):
    """Pad the last two dimensions with ``value``."""

    _dims = 2


class ConstantPad3d(_ConstantPad):
    """Pad the last three dimensions with ``value``."""

    _dims = 3


class _ZeroPad(_ConstantPad):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad):
    """Pad the last dimension with zeros."""


class ZeroPad2d(_ZeroPad):
    """Pad the last two dimensions with zeros."""

    _dims = 2


class ZeroPad3d(_ZeroPad):
    """Pad the last three dimensions with zeros."""

    _dims = 3


class ReflectionPad1d(_Pad):
    """Pad the last dimension with its mirror image (the edge not repeated)."""

    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    _dims = 2


class ReflectionPad3d(ReflectionPad1d):
    _dims = 3


class ReplicationPad1d(_Pad):
    """Pad the last dimension by repeating its edge values."""

    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    _dims = 2


class ReplicationPad3d(ReplicationPad1d):
    _dims = 3


class CircularPad1d(_Pad):
    """Pad the last dimension by wrapping around (the other end's values); the input must be batched or
    unbatched of this layer's dimensions, as torch checks."""

    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"expected {self._dims + 1}D or {self._dims + 2}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad2d(CircularPad1d):
    _dims = 2


class CircularPad3d(CircularPad1d):
    _dims = 3
