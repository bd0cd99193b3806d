"""From words to uniform floats: how torch makes ``rand`` and ``uniform_(from, to)``.

torch (``uniform_kernel`` in ``aten/src/ATen/native/cpu/DistributionTemplates.h``, ``uniform_real`` in
``aten/src/ATen/core/TransformationHelper.h``) keeps the LOW bits of its draws:

- float32 (and float16, which computes in float32): one 32-bit word per element; its low 24 bits k give
  ``x = k * 2**-24``, exact in float32;
- float64: one ``random64()`` (two words) per element; its low 53 bits give ``x = k * 2**-53``;

then ``x * (to - from) + from`` in that type, with ``from``/``to`` rounded to it first and the multiply-add
fused into one rounding (fma.py); then the cast to the element type, and a value that rounded up to ``to``
is replaced by ``from``, so that the result stays in [from, to). ``rand()`` is from=0, to=1: x itself.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .fma import fma32, fma64
from .generator import Generator

# (constants as 0-d arrays: NumPy combines them with tiny arrays faster than scalars, which the small
# tensors of layer initialization and sampling loops notice)
_MASK24 = np.array((1 << 24) - 1, np.uint32)
_MASK24_64 = np.array((1 << 24) - 1, np.uint64)
_MASK53 = np.array((1 << 53) - 1, np.uint64)
_ULP24 = np.array(2.0 ** -24, np.float32)
_ULP53 = np.array(2.0 ** -53, np.float64)


def unit_float32(words: np.ndarray) -> np.ndarray:
    """x = (low 24 bits) / 2**24 for each 32-bit word: float32 in [0, 1)."""
    k = words.astype(np.uint32)
    k &= _MASK24
    x = k.view(np.int32).astype(np.float32)
    x *= _ULP24
    return x


def unit_float32_small(words: np.ndarray) -> np.ndarray:
    """The same for a few words (uint64), in two calls instead of four (a few words: the calls are the cost)."""
    k = words & _MASK24_64
    return np.multiply(k, _ULP24, dtype=np.float32)  # k < 2**24 converts exactly


def unit_float64(values64: np.ndarray) -> np.ndarray:
    """x = (low 53 bits) / 2**53 for each 64-bit value: float64 in [0, 1)."""
    k = values64 & _MASK53
    x = k.view(np.int64).astype(np.float64)
    x *= _ULP53
    return x


def unit(gen: Generator, n: int, dtype) -> np.ndarray:
    """n uniforms in [0, 1) of ``dtype`` (float16/32/64), drawing as torch does for that dtype."""
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        return unit_float64(gen.random64(n))
    if dtype in (np.float32, np.float16):
        return unit_float32(gen.random(n))
    raise TypeError(f"uniform: expected a floating point dtype, got {dtype}")


def _sum_is_exact(width: np.float32, low: np.float32) -> bool:
    """Whether ``x * width + low`` fits in a float64 for every x = k / 2**24, so that rounding the float64 sum
    to float32 is the fused result with no midpoint repair: the product's last bit sits at or above
    2**(e_width - 47) and low's at 2**(e_low - 23), and the sum is below 2**(max + 1)."""
    if low == 0 or width == 0:
        return True
    e_w, e_lo = math.frexp(width)[1], math.frexp(low)[1]
    return e_lo <= e_w + 4 and e_w <= e_lo + 28


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
        return scale(x, low, high, np.float32).astype(np.float16)  # float32 arithmetic, then the cast
    lo, hi = np.float32(low), np.float32(high)
    width = hi - lo  # float32 subtraction, as in the kernel
    if lo == 0:
        return x * width
    if width == 1:
        return x + lo
    if _sum_is_exact(width, lo):
        s = x.astype(np.float64)
        s *= float(width)
        s += float(lo)
        return s.astype(np.float32)
    return fma32(x, width, lo)


_EPS64 = 2.0 ** -52  # a double's spacing just below x is at most |x| * eps
SMALL = 16  # up to this many elements the fixed cost of each NumPy call is what counts


@functools.lru_cache(maxsize=256)  # (programs call uniform_ with a few bounds, many times: layer by layer)
def _affine32(low: float, high: float) -> tuple[float, np.ndarray, bool, bool]:
    """For float32 U[low, high): from as the kernel rounds it, the step ``width * 2**-24`` (a 0-d double),
    whether ``k * step + from`` is exact in a double for every word, and whether any can round up to ``to``
    (rounding is monotonic: only if the largest sum does)."""
    lo, width = np.float32(low), np.float32(high) - np.float32(low)
    largest = ((1 << 24) - 1) * 2.0 ** -24 * float(width) + float(lo)
    return (float(lo), np.array(float(width) * 2.0 ** -24), _sum_is_exact(width, lo),
            bool(np.float32(largest) >= np.float32(high)))


def _uniform_small(gen: Generator, n: int, low: float, high: float, dtype: np.dtype) -> np.ndarray | None:
    """The same numbers for a few elements in fewer calls (None where the general path must do it).

    Each float32 element is ``x = (word & 0xFFFFFF) * 2**-24`` and then ``x * width + low``: the product
    ``k * (width * 2**-24)`` is exact in a double, so is the sum where ``_sum_is_exact``, and converting the
    double to float32 is the one fused rounding. A float64 element joins two words with Python ints.
    """
    if dtype == np.float32:
        if low == 0 and high == 1:
            return unit_float32_small(gen.random(n))
        lo, step, exact, could_reach_top = _affine32(low, high)
        if not exact:
            return None
        k = gen.random(n)
        k &= _MASK24_64
        sums = k * step
        sums += lo
        values = sums.astype(np.float32)
    elif dtype == np.float64:
        lo, width = float(low), float(high) - float(low)
        if not (lo == 0 or width == 1):
            return None
        w = gen.random(2 * n).tolist()
        sums = [(((w[i] & 0x1FFFFF) << 32) | w[i + 1]) * 2.0 ** -53 * width + lo for i in range(0, 2 * n, 2)]
        values = np.array(sums, dtype)  # (a product alone, or a sum alone: one rounding)
        top = float(high)
        could_reach_top = bool(sums) and max(sums) >= top - abs(top) * _EPS64
    else:
        return None
    if could_reach_top:
        _keep_below_to(values, low, high)
    return values


def _keep_below_to(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """torch's clamp after the cast: an element equal to ``to`` (rounded up) becomes ``from``."""
    top = values.dtype.type(high)
    if values.size and values.max() >= top:  # rare: values never exceed to
        values[values == top] = values.dtype.type(low)
    return values


def from_double(values: np.ndarray, dtype) -> np.ndarray:
    """Doubles cast to ``dtype`` as C++ casts them: to float16 through float32 (c10::Half is built from a
    float), so twice rounded, as torch rounds it."""
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return values.astype(np.float32).astype(np.float16)
    return values.astype(dtype, copy=False)


def uniform(gen: Generator, n: int, low: float, high: float, dtype) -> np.ndarray:
    """n samples of U[low, high) of ``dtype``, in the order torch draws them."""
    dtype = np.dtype(dtype)
    if n <= SMALL:
        values = _uniform_small(gen, n, low, high, dtype)
        if values is not None:
            return values
    x = unit(gen, n, dtype)
    if low == 0 and high == 1:
        return x if dtype != np.float16 else _keep_below_to(x.astype(dtype), low, high)  # x < 1 in float32/64
    return _keep_below_to(scale(x, low, high, dtype), low, high)
