"""Memory formats: how a copy lays out its elements (``chaingrad.preserve_format``, ``contiguous_format``,
``channels_last``, ``channels_last_3d``), for ``clone``, ``contiguous``, ``is_contiguous``, ``to`` and the
``*_like`` functions.

Values never depend on the format, only strides do: ``contiguous_format`` is row-major (C order),
``channels_last`` stores an (N, C, H, W) tensor as N, H, W, C (a rank-4 tensor only; ``channels_last_3d`` the
same for rank 5), and ``preserve_format`` keeps the order of the source's strides (a transposed matrix's copy
is transposed too), as torch does.
"""

from __future__ import annotations

import numpy as np


class NamedConstant:
    """A constant that prints as ``chaingrad.<name>`` and pickles as that module-level name (memory formats,
    layouts): pickles and deep copies give the same object."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"chaingrad.{self.name}"

    def __reduce__(self):
        return self.name


class memory_format(NamedConstant):  # noqa: N801 - the name torch users know
    __slots__ = ()


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
    out = empty_in_format(array, array.dtype, fmt, op)
    out[...] = array
    return out


def _dense_order(shape: tuple, strides: tuple) -> list[int]:
    """torch's ``infer_dense_strides``: the dims from outermost to innermost, by an insertion sort on the strides
    that treats a zero stride (an expanded dim) as a tie keeping the dims' order, and puts the larger of two
    dims with equal strides outside."""
    def should_swap(d0: int, d1: int) -> int:
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return 1 if s0 > s1 else -1  # (perm runs innermost first: a larger stride moves out)
        return 1 if shape[d0] > shape[d1] else 0

    perm = list(range(len(shape)))[::-1]  # innermost first
    for i in range(1, len(perm)):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm[::-1]


def _dense(a: np.ndarray) -> bool:
    """Whether a's elements fill its memory with no gaps and no overlaps (a permuted C-contiguous array)."""
    dims = sorted((abs(st), n) for st, n in zip(a.strides, a.shape) if n > 1)
    expected = a.itemsize
    for st, n in dims:
        if st != expected:
            return False
        expected *= n
    return True


def empty_in_format(like: np.ndarray, dtype, fmt: memory_format, op: str) -> np.ndarray:
    """An uninitialized array of ``like``'s shape in ``dtype``, laid out in ``fmt``. preserve_format, as torch's
    ``*_like`` functions: like's own stride order where like is dense, else the dense order torch infers."""
    if fmt is contiguous_format or (fmt is preserve_format and like.flags.c_contiguous):
        return np.empty(like.shape, dtype)
    if fmt is preserve_format:
        if _dense(like):
            return np.empty_like(like, dtype=dtype, order="K")
        order = _dense_order(like.shape, like.strides)
    else:
        order = list(_channels_last_order(fmt, like.ndim, op))
    return np.empty([like.shape[i] for i in order], dtype).transpose(np.argsort(order))


def is_in_format(array: np.ndarray, fmt: memory_format) -> bool:
    """Whether ``array``'s strides are those ``fmt`` gives (size-1 dims may have any stride, as in torch)."""
    if fmt is preserve_format or fmt is contiguous_format:
        return bool(array.flags.c_contiguous)
    rank = _RANK[fmt.name]
    if array.ndim != rank:
        return False
    order = (0, *range(2, rank), 1)
    return bool(array.transpose(order).flags.c_contiguous)
