"""From words to uniform floats: how torch makes ``rand`` and ``uniform_(from, to)``.

torch (``uniform_real`` in ``aten/src/ATen/core/TransformationHelper.h``) keeps the LOW bits of its draws:

- float32: one 32-bit word per element; its low 24 bits k give ``x = k * 2**-24``, exact in float32;
- float64: one ``random64()`` (two words) per element; its low 53 bits give ``x = k * 2**-53``;
- float16: one word, its low 11 bits, with float32 arithmetic.

then ``x * (to - from) + from`` in the element type, with ``from``/``to`` rounded to that type first and the
multiply-add fused into one rounding (fma.py). ``rand()`` is the special case from=0, to=1, which is x.
"""

from __future__ import annotations

import numpy as np

from .fma import fma32, fma64
from .generator import Generator

_MASK24 = np.uint64((1 << 24) - 1)
_MASK53 = np.uint64((1 << 53) - 1)


def unit_float32(words: np.ndarray) -> np.ndarray:
    """x = (low 24 bits) / 2**24 for each 32-bit word: float32 in [0, 1)."""
    k = words.astype(np.uint32)
    k &= np.uint32(0xFFFFFF)
    x = k.view(np.int32).astype(np.float32)
    x *= np.float32(2.0 ** -24)
    return x


def unit_float64(values64: np.ndarray) -> np.ndarray:
    """x = (low 53 bits) / 2**53 for each 64-bit value: float64 in [0, 1)."""
    k = values64 & _MASK53
    x = k.view(np.int64).astype(np.float64)
    x *= 2.0 ** -53
    return x


def unit(gen: Generator, n: int, dtype) -> np.ndarray:
    """n uniforms in [0, 1) of ``dtype`` (float16/32/64), drawing as torch does for that dtype."""
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        return unit_float64(gen.random64(n))
    if dtype == np.float32:
        return unit_float32(gen.random(n))
    if dtype == np.float16:
        k = (gen.random(n) & np.uint64(0x7FF)).astype(np.int32)
        return np.multiply(k, np.float32(2.0 ** -11), dtype=np.float32)
    raise TypeError(f"uniform: expected a floating point dtype, got {dtype}")


def scale(x: np.ndarray, low: float, high: float, dtype) -> np.ndarray:
    """``x * (to - from) + from`` as torch's kernel computes it for ``dtype`` (fused, rounded once)."""
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        lo, hi = np.float64(low), np.float64(high)
        width = hi - lo
        if lo == 0:
            return x * width  # the fused add of 0 changes nothing
        if width == 1:
            return x + lo
        return fma64(x, width, lo)
    if dtype == np.float16:
        lo, hi = np.float16(low), np.float16(high)
        width = np.float16(hi - lo)  # Half arithmetic rounds to Half
        return fma32(x, np.float32(width), np.float32(lo)).astype(np.float16)
    lo, hi = np.float32(low), np.float32(high)
    width = hi - lo  # float32 subtraction, as in the kernel
    if lo == 0:
        return x * width
    if width == 1:
        return x + lo
    return fma32(x, width, lo)


def uniform(gen: Generator, n: int, low: float, high: float, dtype) -> np.ndarray:
    """n samples of U[low, high) of ``dtype``, in the order torch draws them."""
    x = unit(gen, n, dtype)
    if low == 0 and high == 1:
        return x.astype(dtype, copy=False)
    return scale(x, low, high, dtype)
