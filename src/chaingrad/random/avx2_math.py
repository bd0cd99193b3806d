"""The float32 logarithm, sine and cosine of torch's AVX2 normal kernel, operation for operation.

For float32 tensors of 16 or more elements torch's ``normal_`` (``normal_fill_AVX2``) does not call the C
library: it evaluates Cephes-style polynomials in float32 (``aten/src/ATen/native/cpu/avx_mathfun.h``,
after Julien Pommier's sse_mathfun), eight lanes at a time. To get its numbers bit for bit this module
repeats every step in the same order with the same float32 constants, and fuses exactly the
multiply-adds that GCC fused when it compiled that file (it contracts a product whose only use is an
addition; where both addends are products, the one computed first):

- every Horner step ``y = y * x + p`` of the three polynomials is one fma;
- the logarithm's ``y * z + e * q1`` is ``fma(y, z, round(e * q1))``;
- the cosine's ``y * z - z * 0.5`` is ``fma(y, z, -z * 0.5)``; the sine's ``y * x + x`` is ``fma(y, x, x)``;
- the Cody-Waite reduction ``x + y * DP1 + y * DP2 + y * DP3`` is three fmas (the first two products
  are exact, so only the third one shows).

Any other choice changes between a few hundred and a few thousand of every million samples.

Plain float32 operations run on float32 arrays (NumPy rounds them as the CPU does). A fused
multiply-add runs in float64 (``Lanes.fma``), where the product of two float32 numbers is exact, and is
rounded once to float32. That single rounding is the fused one unless the float64 sum was itself rounded
onto a float32 midpoint; each half of the kernel has only 2**24 possible inputs (24-bit uniforms), and over
all of them no sum of these polynomials does that (tests/test_random_kernels.py checks every input), so
only the final ``* std + mean``, with the caller's numbers, goes through fma.py's midpoint repair.
The work goes through in chunks that stay in the CPU cache. A single block (``randn(16)``) goes through
the same steps with Python floats instead (``box_muller_few``): about a hundred NumPy calls on 8 lanes cost
more than the arithmetic itself.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from .fma import fix_fma32_midpoints, fma32

f32 = np.float32

# log256_ps
SQRTHF = f32(0.707106781186547524)
LOG_P = [float(f32(v)) for v in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
                                 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
                                 3.3333331174e-1)]
LOG_Q1 = f32(-2.12194440e-4)
LOG_Q2 = f32(0.693359375)

# sincos256_ps
FOPI = f32(1.27323954473516)  # 4 / pi
MINUS_DP1, MINUS_DP2 = f32(-0.78515625), f32(-2.4187564849853515625e-4)
MINUS_DP3 = float(f32(-3.77489497744594108e-8))
SIN_P = [float(f32(v)) for v in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
COS_P = [float(f32(v)) for v in (2.443315711809948e-005, -1.388731625493765e-003, 4.166664568298827e-002)]
TWO_PI = f32(2 * np.pi)

_SIGN = np.int32(-2**31)

CHUNK = 16384  # lanes per pass: the few dozen buffers of this length stay in a core's L2 cache


class Lanes:
    """The fused multiply-add on float64 arrays of one length that hold float32 values, and scratch."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._bits = np.empty(n, np.uint64)

    def f32(self) -> np.ndarray:
        return np.empty(self.n, np.float32)

    def fma(self, a, b, c, out32: np.ndarray, keep64: bool = True, repair: bool = False) -> np.ndarray | None:
        """round_to_float32(a * b + c): into ``out32``, and returned as a new float64 array if ``keep64``.

        a, b, c hold float32 values (float64 arrays or Python floats), so the product is exact in float64.
        ``repair``: check for float64 sums on a float32 midpoint (needed for arbitrary operands only).
        """
        s = np.multiply(a, b)
        s += c
        if repair:
            fix_fma32_midpoints(s, a, b, c, self._bits)
        np.copyto(out32, s, casting="same_kind")  # the one rounding
        if keep64:
            np.copyto(s, out32)
            return s
        return None


def log(x: np.ndarray, k: Lanes) -> np.ndarray:
    """``log256_ps`` of positive normal float32 numbers x (the kernel's inputs are 1 - u, u in [0, 1))."""
    frac, exp = np.frexp(x)  # x = frac * 2**exp, frac in [0.5, 1): the kernel's exponent/mantissa split
    small = (frac < SQRTHF).astype(f32)  # then it takes 2 frac - 1 and one less in the exponent
    e = exp.astype(f32)
    e -= small
    m = frac * small
    m += frac
    m -= f32(1)  # exact in both cases
    m64 = m.astype(np.float64)
    z = m * m
    y32 = k.f32()
    y = k.fma(m64, LOG_P[0], LOG_P[1], y32)
    for p in LOG_P[2:-1]:
        y = k.fma(y, m64, p, y32)
    k.fma(y, m64, LOG_P[-1], y32, keep64=False)
    t = y32 * m
    k.fma(t.astype(np.float64), z.astype(np.float64), (e * LOG_Q1).astype(np.float64), y32, keep64=False)
    y32 -= z * f32(0.5)
    y32 += m
    y32 += e * LOG_Q2  # (a fused add of an exact product)
    return y32


def sincos(theta: np.ndarray, k: Lanes) -> tuple[np.ndarray, np.ndarray]:
    """``sincos256_ps`` of float32 angles in [0, 2 pi): octant, Cody-Waite reduction, two polynomials."""
    j = (theta * FOPI).astype(np.int32)  # truncation, as cvttps
    j += 1
    j &= ~1
    y = j.astype(f32)
    # the octant's sign bits, and the lanes where sine and cosine swap polynomials (all ones where they do)
    sin_sign = (j << 29) & _SIGN  # bit 2 of j
    cos_sign = (~(j - 2) << 29) & _SIGN  # bit 2 of j - 2, inverted
    swap = -((j >> 1) & 1)  # bit 1 of j
    x = theta + y * MINUS_DP1  # exact products: the fused and the plain sums agree
    x += y * MINUS_DP2
    x64 = k.fma(y.astype(np.float64), MINUS_DP3, x.astype(np.float64), x)
    z = x * x
    z64 = z.astype(np.float64)
    c = k.f32()
    c64 = k.fma(z64, COS_P[0], COS_P[1], c)
    k.fma(c64, z64, COS_P[2], c, keep64=False)
    c *= z
    k.fma(c.astype(np.float64), z64, (z * f32(-0.5)).astype(np.float64), c, keep64=False)
    c += f32(1)
    s = k.f32()
    s64 = k.fma(z64, SIN_P[0], SIN_P[1], s)
    k.fma(s64, z64, SIN_P[2], s, keep64=False)
    s *= z
    k.fma(s.astype(np.float64), x64, x64, s, keep64=False)
    si, ci = s.view(np.int32), c.view(np.int32)
    swapped = (si ^ ci) & swap
    si ^= swapped
    ci ^= swapped
    si ^= sin_sign
    ci ^= cos_sign
    return s, c


def _halves(rows: np.ndarray) -> np.ndarray:
    """(blocks, 16) float32 as (blocks, 2) items of 8 floats, so a half is one 1-D strided copy away."""
    return rows.reshape(-1).view(np.dtype((np.void, 32))).reshape(-1, 2)


def box_muller(u: np.ndarray, mean: float, std: float, out: np.ndarray) -> np.ndarray:
    """``normal_fill_16_AVX2`` on blocks of 16 float32 uniforms, u and out of shape (blocks, 16).

    In each block the first 8 give the radii, sqrt(-2 log(1 - u)), the last 8 the angles, 2 pi u;
    the block becomes radius * cos(angle) then radius * sin(angle), each ``* std + mean`` fused.
    """
    blocks = u.shape[0]
    step = CHUNK // 8
    affine = not (mean == 0 and std == 1)
    halves_in, halves_out = _halves(u), _halves(out)
    for b0 in range(0, blocks, step):
        b1 = min(blocks, b0 + step)
        k = Lanes((b1 - b0) * 8)
        one_minus_u = halves_in[b0:b1, 0].copy().view(f32)
        np.subtract(f32(1), one_minus_u, out=one_minus_u)
        radius = log(one_minus_u, k)
        radius *= f32(-2)
        np.sqrt(radius, out=radius)
        theta = halves_in[b0:b1, 1].copy().view(f32)
        theta *= TWO_PI
        sin, cos = sincos(theta, k)
        for half, trig in ((0, cos), (1, sin)):
            trig *= radius
            if affine:
                k.fma(trig.astype(np.float64), float(f32(std)), float(f32(mean)), trig, keep64=False, repair=True)
            halves_out[b0:b1, half] = trig.view(halves_out.dtype)
    return out


# -- the same kernel on Python floats, for a block or two --------------------------------------------------
# A Python float holds every float32 exactly, the product of two float32 numbers too; a plain float32
# operation is the double result rounded to float32 (for + - * and sqrt double rounding cannot change it),
# and a fused one is the double sum of the exact product rounded to float32, as in Lanes.fma.
FEW_BLOCKS = 1  # up to here Python floats beat the NumPy passes (~35 against ~50 us a block)
_PACK8 = struct.Struct("8f")


def _f32(values) -> tuple[float, ...]:
    """8 doubles rounded to float32 (to nearest, ties to even: C's cast, through struct)."""
    return _PACK8.unpack(_PACK8.pack(*values))


def _log8(x: tuple[float, ...]) -> tuple[float, ...]:
    """``log`` above, step for step, on 8 floats."""
    frexp = [math.frexp(v) for v in x]
    e = [float(exp - (frac < SQRTHF)) for frac, exp in frexp]
    m = [(frac + frac if frac < SQRTHF else frac) - 1.0 for frac, _ in frexp]  # exact
    z = _f32([a * a for a in m])
    y = _f32([a * LOG_P[0] + LOG_P[1] for a in m])
    for p in LOG_P[2:]:
        y = _f32([b * a + p for a, b in zip(m, y)])
    t = _f32([a * b for a, b in zip(y, m)])
    e_q1 = _f32([a * float(LOG_Q1) for a in e])
    y = _f32([a * b + c for a, b, c in zip(t, z, e_q1)])
    y = _f32([a - b * 0.5 for a, b in zip(y, z)])
    y = _f32([a + b for a, b in zip(y, m)])
    return _f32([a + b * float(LOG_Q2) for a, b in zip(y, e)])


def _sincos8(theta: tuple[float, ...]) -> tuple[list[float], list[float]]:
    """``sincos`` above, step for step, on 8 floats: (sines, cosines)."""
    j = [(int(a) + 1) & ~1 for a in _f32([a * float(FOPI) for a in theta])]
    y = [float(a) for a in j]
    x = _f32([a + b * float(MINUS_DP1) for a, b in zip(theta, y)])
    x = _f32([a + b * float(MINUS_DP2) for a, b in zip(x, y)])
    x = _f32([b * MINUS_DP3 + a for a, b in zip(x, y)])
    z = _f32([a * a for a in x])
    c = _f32([a * COS_P[0] + COS_P[1] for a in z])
    c = _f32([a * b + COS_P[2] for a, b in zip(c, z)])
    c = _f32([a * b for a, b in zip(c, z)])
    c = _f32([a * b - b * 0.5 for a, b in zip(c, z)])
    c = _f32([a + 1.0 for a in c])
    s = _f32([a * SIN_P[0] + SIN_P[1] for a in z])
    s = _f32([a * b + SIN_P[2] for a, b in zip(s, z)])
    s = _f32([a * b for a, b in zip(s, z)])
    s = _f32([a * b + b for a, b in zip(s, x)])
    sines, cosines = [], []
    for octant, sv, cv in zip(j, s, c):
        if octant & 2:  # the octants where the polynomials swap
            sv, cv = cv, sv
        sines.append(-sv if octant & 4 else sv)  # the sign bits, as the kernel flips them
        cosines.append(cv if (octant - 2) & 4 else -cv)
    return sines, cosines


def box_muller_few(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``box_muller`` for a few blocks, with Python floats: the same float32 results, as a new array."""
    out: list[float] = []
    for block in u.tolist():
        radius = _f32([math.sqrt(-2.0 * v) for v in _log8(_f32([1.0 - v for v in block[:8]]))])
        sines, cosines = _sincos8(_f32([float(TWO_PI) * v for v in block[8:]]))
        out += _f32([a * b for a, b in zip(radius, cosines)])
        out += _f32([a * b for a, b in zip(radius, sines)])
    values = np.array(out, np.float32).reshape(u.shape)
    return values if mean == 0 and std == 1 else fma32(values, std, mean)
