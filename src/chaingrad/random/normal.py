"""Normal samples the way torch's ``normal_`` makes them: two Box-Muller algorithms, chosen by size.

(a) Blocks of 16 (``normal_fill`` in ``aten/src/ATen/native/cpu/DistributionTemplates.h``): a contiguous
tensor of 16 or more elements is first filled with uniforms. Each block of 16 then becomes 16 normals:
with u = data[j] and v = data[j + 8] (j < 8), radius = sqrt(-2 log(1 - u)), angle = 2 pi v, and
data[j] = radius cos(angle), data[j + 8] = radius sin(angle), each times std plus mean (fused).
If the size is not a multiple of 16, 16 fresh uniforms overwrite the last 16 slots and are transformed
again. float32 uses the float32 polynomials of torch's AVX2 kernel (avx2_math.py); float64 uses the
C library's log, cos and sin; float16 computes in float32, block by block, and rounds at the end.

(b) One at a time (``normal_distribution<double>``): fewer than 16 elements, or a non-contiguous tensor.
Each sample is a double: if the generator holds a cached sample, use it; otherwise draw the angle's
uniform u1, then the radius' u2 (53-bit doubles), return radius * cos(2 pi u1) with
radius = sqrt(-2 log1p(-u2)), and cache radius * sin(2 pi u1) for the next sample, in this call or a
later one. Path (a) neither reads nor writes that cache.

float64 note: NumPy's vectorized ``log`` and ``log1p`` differ from the C library's in the last bit on a
small fraction of inputs (~0.35% and ~7%), so a float64 sample of path (a), or of path (b) on 16 or more
elements, can differ from torch's by one unit in the last place. Path (b) on fewer than 16 elements uses
Python's ``math`` module (the C library) and is exact; float32 results are exact on every path.
"""

from __future__ import annotations

import math

import numpy as np

from . import avx2_math
from .fma import fma32, fma64
from .generator import Generator
from .uniform import from_double, unit, unit_float32, unit_float64

TWO_PI = 2.0 * math.pi
BLOCK = 16


def _affine64(v: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``v * std + mean`` in double, fused as torch's compiled kernel does."""
    if mean == 0:
        return v * std
    if std == 1:
        return v + mean
    return fma64(v, std, mean)


def _blocks64(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``normal_fill_16`` in double with the C library's cos and sin (NumPy's log: see the module note)."""
    radius = np.sqrt(-2.0 * np.log(1.0 - u[:, :8]))
    angle = TWO_PI * u[:, 8:]
    out = np.empty_like(u)
    out[:, :8] = _affine64(radius * np.cos(angle), mean, std)
    out[:, 8:] = _affine64(radius * np.sin(angle), mean, std)
    return out


def _blocks(u: np.ndarray, mean: float, std: float, out: np.ndarray) -> None:
    if u.dtype == np.float64:
        out[...] = _blocks64(u, mean, std)
    elif u.shape[0] <= avx2_math.FEW_BLOCKS:  # the same float32 steps in Python floats: cheaper for one block
        out[...] = avx2_math.box_muller_few(u, mean, std)
    elif out.dtype == np.float32:
        avx2_math.box_muller(u, mean, std, out)
    else:  # float16 computes in float32 and rounds once at the end
        out[...] = avx2_math.box_muller(u, mean, std, np.empty_like(u))


# -- repeated small calls: blocks computed ahead --------------------------------------------------------
# One block through the float32 kernel costs ~35 us however it is done (a hundred NumPy calls on 8 lanes, or
# the same steps on Python floats), while 512 blocks in one vectorized pass cost ~0.25 us each. So when a
# program keeps asking for a few float32 blocks in a row (``randn(16)`` in a loop), the generator's next
# words are read ahead and the blocks they will make are computed in one pass; later calls take theirs from
# there while the stream is where those words begin. The numbers are the same (tests/test_random_kernels.py
# runs both ways against torch); any other draw in between just takes its words from the ones read ahead.
FEW = 8  # calls of up to this many blocks use the blocks computed ahead
MOST_AHEAD = 512  # blocks computed in one pass at most (~110 us, 48 KB)
STREAK = 2  # blocks taken in a row before reading ahead; a pass then computes twice as many as taken so far


class _Ahead:
    """The generator's record of block calls: standard-normal float32 blocks (before ``* std + mean``) for
    the words from stream position ``start`` on, and the streak of block calls that ended at ``end``."""

    def __init__(self, start: int, blocks: np.ndarray, end: int, streak: int) -> None:
        self.start, self.blocks, self.end, self.streak = start, blocks, end, streak


_NONE = np.empty((0, BLOCK), np.float32)


def _blocks_ahead(gen: Generator, count: int) -> np.ndarray | None:
    """``count`` blocks computed ahead, or None: then the caller computes them now and calls ``_taken``."""
    record, at = gen._ahead_values, gen._position
    streak = 0
    if type(record) is _Ahead:
        i, off = divmod(at - record.start, BLOCK)
        if not off and 0 <= i and i + count <= len(record.blocks):
            gen.skip(count * BLOCK)
            record.end, record.streak = gen._position, record.streak + count
            gen._ahead_values = record  # (taking the last words ahead let the generator drop it)
            return record.blocks[i:i + count]
        if record.end == at:
            streak = record.streak
    if streak < STREAK:
        return None
    total = min(MOST_AHEAD, max(count, 2 * streak))
    words = gen.draw_ahead(total * BLOCK)
    blocks = avx2_math.box_muller(unit_float32(words).reshape(total, BLOCK), 0.0, 1.0,
                                  np.empty((total, BLOCK), np.float32))
    gen.skip(count * BLOCK)
    gen._ahead_values = _Ahead(at, blocks, gen._position, streak + count)
    return blocks[:count]


def _taken(gen: Generator, count: int, at: int) -> None:
    """Record a block call computed on the spot, from stream position ``at``."""
    record = gen._ahead_values
    streak = record.streak if type(record) is _Ahead and record.end == at else 0
    gen._ahead_values = _Ahead(at, _NONE, gen._position, streak + count)


def normal_blocks(gen: Generator, n: int, mean: float, std: float, dtype) -> np.ndarray:
    """Path (a): n >= 16 normals for a contiguous tensor."""
    dtype = np.dtype(dtype)
    if n % BLOCK == 0 and n <= FEW * BLOCK and dtype != np.float64:
        at = gen._position
        ready = _blocks_ahead(gen, n // BLOCK)
        if ready is not None:
            values = ready.reshape(n)
            if not (mean == 0 and std == 1):
                return fma32(values, std, mean).astype(dtype, copy=False)
            return values.astype(dtype)  # (a copy: the blocks stay the generator's)
        out = _normal_blocks(gen, n, mean, std, dtype)
        _taken(gen, n // BLOCK, at)
        return out
    return _normal_blocks(gen, n, mean, std, dtype)


def _normal_blocks(gen: Generator, n: int, mean: float, std: float, dtype) -> np.ndarray:
    full = n // BLOCK * BLOCK
    # float32/float64 fill the whole tensor with uniforms first; float16 draws only whole blocks (its
    # kernel works in a 16-element float32 buffer), so the leftover slots take no draws
    data = unit(gen, full if dtype == np.float16 else n, dtype)
    out = np.empty(n, dtype)
    _blocks(data[:full].reshape(-1, BLOCK), mean, std, out[:full].reshape(-1, BLOCK))
    if n % BLOCK:
        fresh = unit(gen, BLOCK, dtype).reshape(1, BLOCK)
        _blocks(fresh, mean, std, out[n - BLOCK:].reshape(1, BLOCK))
    return out


def _pairs_math(words: list[int], two_pi: float = TWO_PI, sqrt=math.sqrt, log1p=math.log1p, cos=math.cos,
                sin=math.sin) -> list[float]:
    """Box-Muller with the C library (Python's math: exact) on 4 words per pair: interleaved cos, sin.
    (The functions are default arguments: local names, the cheapest lookups in this loop.)"""
    out: list[float] = []
    it = iter(words)
    for high1, low1, high2, low2 in zip(it, it, it, it):
        # the angle's uniform u1 is drawn first, then the radius' u2; each is 53 bits of two words / 2**53
        r = sqrt(-2.0 * log1p(-((((high2 & 0x1FFFFF) << 32) | low2) * 2.0 ** -53)))
        t = two_pi * ((((high1 & 0x1FFFFF) << 32) | low1) * 2.0 ** -53)
        out += (r * cos(t), r * sin(t))
    return out


def _pairs_numpy(words: np.ndarray) -> np.ndarray:
    """The same with NumPy (see the module note on float64)."""
    u = unit_float64((words[0::2] << np.uint64(32)) | words[1::2])
    u1, u2 = u[0::2], u[1::2]
    r = np.sqrt(-2.0 * np.log1p(-u2))
    t = TWO_PI * u1
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1).reshape(-1)


def normal_scalar(gen: Generator, n: int, mean: float, std: float, dtype) -> np.ndarray:
    """Path (b): n normals one at a time, with the generator's cached sample carried in and out."""
    samples: list[float] = []
    if n:
        gen.note_draw()  # (the cached sample is a draw too)
    if n and gen._normal_cache is not None:
        samples.append(gen._normal_cache)
        gen._normal_cache = None
    pairs = (n - len(samples) + 1) // 2
    if pairs:
        words = gen.random(4 * pairs)
        values = _pairs_math(words.tolist()) if n < BLOCK else _pairs_numpy(words).tolist()
        if (n - len(samples)) % 2:
            gen._normal_cache = values.pop()
        samples += values
    if mean == 0 and std == 1 and dtype != np.float16:
        return np.array(samples, dtype)
    return from_double(_affine64(np.array(samples, np.float64), mean, std), dtype)


def normal(gen: Generator, n: int, mean: float, std: float, dtype, contiguous: bool = True) -> np.ndarray:
    """n samples of N(mean, std**2) in the order torch writes them (memory order for a non-contiguous one)."""
    if n >= BLOCK and contiguous:
        return normal_blocks(gen, n, mean, std, dtype)
    return normal_scalar(gen, n, mean, std, dtype)
