"""Fused multiply-add, emulated: ``a * b + c`` with a single rounding, as torch's compiled kernels compute it.

torch builds its CPU kernels for AVX2 with FMA instructions, and GCC contracts a product whose only use is
an addition into one ``fma`` (``x * (to - from) + from`` in ``uniform_``, ``value * std + mean`` in
``normal_``). A separate multiply and add round twice, and differ from torch in the last bit of about half
the elements; NumPy has no fma, so it is rebuilt here from exact pieces.

- float32: the product of two float32 numbers fits exactly in a float64, so ``a*b + c`` in float64 has one
  rounding, and rounding that to float32 gives the fused result, except when the float64 sum lands exactly
  on a midpoint between two float32 numbers (rounding twice, "double rounding"). Those rare elements are
  recomputed exactly.
- float64: Dekker's exact product and Knuth's exact sum give ``a*b + c = s + t + e`` with no error; the
  sum of the three rounds once in all but vanishingly rare near-midpoint cases, which are detected and
  recomputed exactly.

The exact recomputation uses Python fractions: slow, but it runs on a handful of elements in millions.
"""

from __future__ import annotations

import numpy as np

_SHIFT = np.uint64(64 - 29)  # a float64 has 29 bits below a float32's last bit ...
_INT64_MIN = np.iinfo(np.int64).min  # ... equal to 1 << 28 at a float32 midpoint
_F32_TINY = 2.0 ** -126  # below this float32 numbers are subnormal and the bit test does not apply


def _round_to_f32(x) -> np.float32:
    """The float32 nearest to an exact rational (a ``fractions.Fraction``; ties to even)."""
    from fractions import Fraction

    f = np.float32(float(x))
    best = f
    for g in (np.nextafter(f, np.float32(-np.inf)), np.nextafter(f, np.float32(np.inf))):
        d, db = abs(Fraction(float(g)) - x), abs(Fraction(float(best)) - x)
        if d < db or (d == db and int(g.view(np.uint32)) % 2 == 0):
            best = g
    return best


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth: s + err == a + b exactly, s the rounded sum."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fix_fma32_midpoints(s: np.ndarray, a, b, c, scratch: np.ndarray | None = None) -> None:
    """Make ``s = a*b + c`` (float32 values, computed in float64, where a*b is exact) round to float32 as one
    fused rounding would.

    The sum can only be wrong where it was rounded on its way to float64 *and* landed exactly on a float32
    midpoint; those elements are nudged one float64 step towards the exact value. (For results in the
    float32 subnormal range, below 2**-126, the bit test does not apply: ``fma32`` checks those.)
    """
    # the low 29 bits, shifted to the top: a midpoint (bit 28 set, the rest clear) becomes exactly 2**63,
    # the most negative int64, so one min() finds whether there is any (the common answer is no)
    low = np.left_shift(s.view(np.uint64), _SHIFT, out=scratch)
    if low.view(np.int64).min() != _INT64_MIN:
        return
    i = np.nonzero(low.view(np.int64) == _INT64_MIN)
    p = np.broadcast_to(a, s.shape)[i] * np.broadcast_to(b, s.shape)[i]  # exact
    si, err = _two_sum(p, np.broadcast_to(c, s.shape)[i])
    s[i] = np.where(err == 0, si, np.nextafter(si, np.where(err > 0, np.inf, -np.inf)))


def fma32(a, b, c) -> np.ndarray:
    """float32 ``a * b + c`` rounded once (arrays or scalars, broadcast)."""
    a, b, c = (np.asarray(v, np.float32) for v in (a, b, c))
    s = np.multiply(a, b, dtype=np.float64)  # exact
    s += c
    fix_fma32_midpoints(s, a.astype(np.float64), b.astype(np.float64), c.astype(np.float64))
    out = s.astype(np.float32)
    tiny = (np.abs(s) < _F32_TINY) & (s != 0)
    if tiny.any():
        from fractions import Fraction

        ab, bb, cb = np.broadcast_arrays(a, b, c)
        for i in zip(*np.nonzero(tiny)):
            out[i] = _round_to_f32(Fraction(float(ab[i])) * Fraction(float(bb[i])) + Fraction(float(cb[i])))
    return out


def _split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split: x = hi + lo with 26-bit halves, so their products are exact."""
    t = x * 134217729.0  # 2**27 + 1
    hi = t - (t - x)
    return hi, x - hi


def fma64(a, b, c) -> np.ndarray:
    """float64 ``a * b + c`` rounded once (arrays or scalars, broadcast)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, c)))
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # a*b == p + e exactly
    s, t = _two_sum(p, c)  # p + c == s + t exactly
    u, w = _two_sum(t, e)  # t + e == u + w exactly
    r, q = _two_sum(s, u)  # r = round(s + u), s + u == r + q
    # r is right unless s + u sits within |w| of a midpoint between r and a neighbour
    half = np.spacing(np.abs(r)) * 0.5
    suspect = (w != 0) & ((np.abs(np.abs(q) - half) <= np.abs(w)) | (np.abs(np.abs(q) - half * 0.5) <= np.abs(w)))
    suspect |= ~np.isfinite(r)
    if suspect.any():
        from fractions import Fraction

        r = r.copy()
        for i in zip(*np.nonzero(suspect)):
            if not all(np.isfinite(v[i]) for v in (a, b, c)):
                r[i] = a[i] * b[i] + c[i]
                continue
            r[i] = float(Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i])))
    return r
