"""Memory formats: how a copy lays out its elements (``chaingrad.preserve_format``, ``contiguous_format``,
``channels_last``, ``channels_last_3d``), for ``clone``, ``contiguous`` and ``is_contiguous``.

Values never depend on the format, only strides do: ``contiguous_format`` is row-major (C order),
``channels_last`` stores an (N, C, H, W) tensor as N, H, W, C (a rank-4 tensor only; ``channels_last_3d`` the
same for rank 5), and ``preserve_format`` keeps the order of the source's strides (a transposed matrix's copy
is transposed too), as torch does.
"""

from __future__ import annotations

import numpy as np


class memory_format:  # noqa: N801 - the name torch users know
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"chaingrad.{self.name}"

    def __reduce__(self):
        return self.name  # (the module-level constant: pickles and deep copies give the same object)


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

_RANK = {"channels_last": 4, "channels_last_3d": 5}


def check_memory_format(value, op: str) -> memory_format:
    """``value`` (None meaning preserve_format), or torch's TypeError naming the op."""
    if value is None:
        return preserve_format
    if not isinstance(value, memory_format):
        raise TypeError(f"{op}(): argument 'memory_format' must be chaingrad.memory_format, not "
                        f"{type(value).__name__}")
    return value


def _channels_last_order(fmt: memory_format, ndim: int, op: str) -> tuple[int, ...]:
    """The dims from outermost to innermost in memory for a channels-last format: N, spatial..., C."""
    rank = _RANK[fmt.name]
    if ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format ({op} of a {ndim}-D tensor)")
    return (0, *range(2, ndim), 1)


def copy_in_format(array: np.ndarray, fmt: memory_format, op: str) -> np.ndarray:
    """A copy of ``array`` laid out in ``fmt``."""
    if fmt is preserve_format:
        return array.copy(order="K")
    if fmt is contiguous_format:
        return array.copy(order="C")
    order = _channels_last_order(fmt, array.ndim, op)
    return np.ascontiguousarray(array.transpose(order)).transpose(np.argsort(order))


def is_in_format(array: np.ndarray, fmt: memory_format) -> bool:
    """Whether ``array``'s strides are those ``fmt`` gives (size-1 dims may have any stride, as in torch)."""
    if fmt is preserve_format or fmt is contiguous_format:
        return bool(array.flags.c_contiguous)
    rank = _RANK[fmt.name]
    if array.ndim != rank:
        return False
    order = (0, *range(2, rank), 1)
    return bool(array.transpose(order).flags.c_contiguous)
