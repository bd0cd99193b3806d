"""The arithmetic under the random functions: the emulated fused multiply-adds are exact roundings, the fast
AVX2 normal kernel equals a plain operation-by-operation version, no input of that kernel needs the fma
midpoint repair (checked for every one of the 2**24 inputs), and the small-tensor paths give the same
numbers as the vectorized ones."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

import chaingrad as cg
from chaingrad.random import avx2_math as A
from chaingrad.random import discrete, fma, normal, uniform
from chaingrad.random.generator import Generator

f32 = np.float32


def exact_f32(a, b, c) -> np.float32:
    """The float32 nearest to a*b + c (ties to even), from exact rationals."""
    x = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    best = None
    f = np.float32(float(x))
    for g in (np.nextafter(f, f32(-np.inf)), f, np.nextafter(f, f32(np.inf))):
        d = abs(Fraction(float(g)) - x)
        if best is None or d < best[0] or (d == best[0] and int(g.view(np.uint32)) % 2 == 0):
            best = (d, g)
    return best[1]


def test_fma32_is_one_rounding_including_double_rounding_traps():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(3000).astype(f32)
    b = rng.standard_normal(3000).astype(f32)
    c = (rng.standard_normal(3000) * 10.0 ** rng.integers(-8, 3, 3000)).astype(f32)
    # a trap: a*b + c is a hair (2**-70) below the midpoint between c (odd) and its even neighbour; the
    # float64 sum rounds onto the midpoint, and rounding that to float32 would go up, to the even neighbour
    trap_a, trap_b, trap_c = f32(2.0**-24 * (1 + 2.0**-23)), f32(1 - 2.0**-23), f32(1 + 2.0**-23)
    a = np.concatenate([a, f32([trap_a, -trap_a, 3.0, 1e-30, 1e-20])])
    b = np.concatenate([b, f32([trap_b, trap_b, 2**-126, 1e-10, 1e-20])])
    c = np.concatenate([c, f32([trap_c, -trap_c, 2**-149, 1e-38, -1e-40])])
    got = fma.fma32(a, b, c)
    want = np.array([exact_f32(x, y, z) for x, y, z in zip(a, b, c)], f32)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    plain = (a.astype(np.float64) * b + c).astype(f32)  # rounding the float64 sum: twice
    assert (plain[3000:3002] != want[3000:3002]).all()


def test_fma64_is_one_rounding():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(3000), rng.standard_normal(3000)
    c = rng.standard_normal(3000) * 10.0 ** rng.integers(-20, 3, 3000)
    got = fma.fma64(a, b, c)
    want = np.array([float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c)])
    np.testing.assert_array_equal(got, want)
    assert (got != a * b + c).any()  # the fused and the unfused results do differ on such inputs


# -- the AVX2 kernel against a plain version --------------------------------------------------------------
def plain_log(x):
    bits = x.view(np.int32)
    e = ((bits >> 23) - 127).astype(f32) + f32(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(f32)
    small = m < A.SQRTHF
    e = e - small.astype(f32)
    m = (m - f32(1)) + np.where(small, m, f32(0))
    z = m * m
    y = np.full_like(m, f32(A.LOG_P[0]))
    for p in A.LOG_P[1:]:
        y = fma.fma32(y, m, f32(p))
    y = y * m
    y = fma.fma32(y, z, e * A.LOG_Q1)
    y = y - z * f32(0.5)
    return fma.fma32(e, A.LOG_Q2, m + y)


def plain_sincos(x):
    j = (x * A.FOPI).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(f32)
    sin_negative, cos_negative, swap = (j & 4) != 0, (~(j - 2) & 4) != 0, (j & 2) != 0
    for dp in (A.MINUS_DP1, A.MINUS_DP2, f32(A.MINUS_DP3)):
        x = fma.fma32(y, dp, x)
    z = x * x
    c = fma.fma32(f32(A.COS_P[0]), z, f32(A.COS_P[1]))
    c = fma.fma32(c, z, f32(A.COS_P[2]))
    c = fma.fma32(c * z, z, -(z * f32(0.5))) + f32(1)
    s = fma.fma32(f32(A.SIN_P[0]), z, f32(A.SIN_P[1]))
    s = fma.fma32(s, z, f32(A.SIN_P[2]))
    s = fma.fma32(s * z, x, x)
    sin, cos = np.where(swap, c, s), np.where(swap, s, c)
    return np.where(sin_negative, -sin, sin), np.where(cos_negative, -cos, cos)


def test_the_chunked_kernel_equals_the_plain_operation_by_operation_version():
    u = (np.random.default_rng(2).integers(0, 2**24, 40000) * 2.0**-24).astype(f32)
    u[:4] = [0.0, 2.0**-24, 0.5, 1 - 2.0**-24]
    k = A.Lanes(u.size)
    np.testing.assert_array_equal(A.log(f32(1) - u, k).view(np.uint32), plain_log(f32(1) - u).view(np.uint32))
    theta = u * A.TWO_PI
    sin, cos = A.sincos(theta, k)
    ps, pc = plain_sincos(theta)
    np.testing.assert_array_equal(sin.view(np.uint32), ps.view(np.uint32))
    np.testing.assert_array_equal(cos.view(np.uint32), pc.view(np.uint32))


class _Counting(A.Lanes):
    """Lanes that count float64 sums which were rounded onto a float32 midpoint (the repair's cases)."""

    found = 0

    def fma(self, a, b, c, out32, keep64=True, repair=False):
        a64, b64, c64 = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, c)))
        p = a64 * b64
        s = p + c64
        bb = s - p
        inexact = ((p - (s - bb)) + (c64 - bb)) != 0
        midpoint = ((s.view(np.uint64) << np.uint64(35)).view(np.int64)) == np.iinfo(np.int64).min
        _Counting.found += int((inexact & midpoint).sum())
        return super().fma(a, b, c, out32, keep64, repair)


def test_no_input_of_the_kernel_needs_the_midpoint_repair():
    """Each half of a block sees a 24-bit uniform: all 2**24 of them, through the log and sincos."""
    chunk = 1 << 21
    for start in range(0, 1 << 24, chunk):
        u = (np.arange(start, start + chunk, dtype=np.int64) * 2.0**-24).astype(f32)
        k = _Counting(chunk)
        A.log(f32(1) - u, k)
        A.sincos(u * A.TWO_PI, k)
    assert _Counting.found == 0


# -- small-tensor paths against the vectorized ones ---------------------------------------------------------
def test_the_python_float_kernel_equals_the_numpy_one():
    """box_muller_few (one block: randn(16)) repeats the NumPy kernel's float32 steps in Python floats."""
    u = (np.random.default_rng(5).integers(0, 2**24, (3000, 16)) * 2.0**-24).astype(f32)
    u[0], u[1] = 0.0, 1 - 2.0**-24
    u[2, :] = [2.0**-24, 0.5, 0.25, 0.125, 1e-3, 0.999, 0.75, 0.875] * 2
    for mean, std in [(0.0, 1.0), (0.5, 0.01), (-3.0, 2.5)]:
        np.testing.assert_array_equal(A.box_muller_few(u, mean, std).view(np.uint32),
                                      A.box_muller(u, mean, std, np.empty_like(u)).view(np.uint32))
    for n in (16, 17, 31):  # one block, and one block plus the recomputed tail: the Python path
        for dtype in (np.float32, np.float16):
            a = normal.normal_blocks(Generator().manual_seed(n), n, 0.0, 1.0, dtype)
            x = uniform.unit(Generator().manual_seed(n), n + (16 if n % 16 else 0), dtype)
            b = np.empty(n, dtype)
            if dtype == np.float16:  # whole blocks only
                x = np.concatenate([x[:16], x[n - n % 16:][:16]]) if n % 16 else x
                b[:16] = A.box_muller(x[:16].reshape(1, 16), 0.0, 1.0, np.empty((1, 16), f32))[0]
                if n % 16:
                    b[n - 16:] = A.box_muller(x[16:32].reshape(1, 16), 0.0, 1.0, np.empty((1, 16), f32))[0]
            else:
                b[:16] = A.box_muller(x[:16].reshape(1, 16), 0.0, 1.0, np.empty((1, 16), f32))[0]
                if n % 16:
                    b[n - 16:] = A.box_muller(x[n:].reshape(1, 16), 0.0, 1.0, np.empty((1, 16), f32))[0]
            np.testing.assert_array_equal(a, b)


def test_small_uniform_path_equals_the_vectorized_one():
    one_up = float(np.nextafter(f32(1), f32(2)))  # a width of one float32 step: many sums round up to `to`
    for low, high in [(0, 1), (-0.1, 0.1), (2.5, 7.25), (100.0, 101.0), (0, 3e-5), (1.0, one_up), (-one_up, -1.0)]:
        for dtype in (np.float32, np.float64):
            for seed in range(3):
                a = uniform.uniform(Generator().manual_seed(seed), 16, low, high, dtype)
                x = uniform.unit(Generator().manual_seed(seed), 16, dtype)
                b = x if (low, high) == (0, 1) else uniform._keep_below_to(uniform.scale(x, low, high, dtype),
                                                                           low, high)
                np.testing.assert_array_equal(a, b)
                assert (a >= dtype(low)).all() and (a < dtype(high)).all()


def test_few_words_make_the_same_float32_uniforms():
    words = np.random.default_rng(0).integers(0, 2**32, 1000, dtype=np.uint64)
    words[:4] = [0, 2**32 - 1, 2**24 - 1, 2**24]
    np.testing.assert_array_equal(uniform.unit_float32_small(words), uniform.unit_float32(words))


def test_small_normal_path_equals_the_vectorized_scalar_path():
    for seed in range(5):
        a = normal.normal_scalar(Generator().manual_seed(seed), 15, 0.0, 1.0, np.float32)
        g = Generator().manual_seed(seed)
        words = g.random(4 * 8)
        b = normal._pairs_numpy(words)[:15].astype(np.float32)
        np.testing.assert_array_equal(a, b)


def test_small_bernoulli_paths_equal_the_vectorized_ones():
    p32 = np.linspace(0, 1, 16, dtype=f32)
    np.testing.assert_array_equal(discrete.bernoulli_tensor(Generator().manual_seed(3), p32),
                                  uniform.unit_float32(Generator().manual_seed(3).random(16)) < p32)
    np.testing.assert_array_equal(discrete.bernoulli_scalar(Generator().manual_seed(3), 16, 0.4),
                                  uniform.unit_float64(Generator().manual_seed(3).random64(16)) < 0.4)


def test_words_are_torchs_after_any_number_of_twists():
    g = cg.Generator().manual_seed(2147483647)
    import torch

    tg = torch.Generator().manual_seed(2147483647)
    for n in (1, 623, 624, 625, 5000):
        np.testing.assert_array_equal(cg.randint(0, 2**31, (n,), generator=g).numpy(),
                                      torch.randint(0, 2**31, (n,), generator=tg).numpy())
