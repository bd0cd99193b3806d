"""Bernoulli, exponential and multinomial draws as torch's CPU kernels make them.

- ``bernoulli_(p)`` with a number p: one double uniform (``random64()``) per element, 1 where u < p.
  ``bernoulli(p_tensor)``: a float32 uniform (one word) per element for float32 p, a double for float64 p.
- ``exponential_(lambd)``: one double uniform per element, ``(-1 / lambd) * log1p(-u)``, then cast.
- ``geometric_``, ``cauchy_`` and ``log_normal_`` transform one double uniform (or one scalar-path normal)
  per element with the C library's log, tan or exp.
- ``multinomial``: without replacement, or for a single sample, torch draws ``q ~ Exponential(1)`` for every
  category (two words each) and takes the largest ``p / q`` (argmax, or the top k): an exponential race,
  equivalent to sampling by the probabilities. With replacement and more than one sample it builds the
  normalized cumulative sum of each row (sequentially, in p's dtype) and looks up one double uniform per
  sample with a binary search.

float64 exponentials of 16 or more elements use NumPy's ``log1p``, which differs from the C library's in
the last bit on about 7% of inputs (fewer than 16 use Python's math module, which is the C library); the
same goes for the float64 ``log_normal_`` (NumPy's ``exp``), ``geometric_`` (``log``) and ``cauchy_``
(``tan``, 0.5% of inputs).
"""

from __future__ import annotations

import math

import numpy as np

from . import layout as memory_layout
from .generator import Generator
from .normal import BLOCK
from .uniform import from_double, unit_float32, unit_float32_small, unit_float64


def bernoulli_scalar(gen: Generator, n: int, p: float) -> np.ndarray:
    """``bernoulli_(p)``: n booleans, each u < p for a double uniform u."""
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    if n <= BLOCK:  # a few elements: Python ints and floats beat NumPy's per-call cost
        w = gen.random(2 * n).tolist()
        return np.array([(((w[i] & 0x1FFFFF) << 32) | w[i + 1]) * 2.0 ** -53 < p for i in range(0, 2 * n, 2)],
                        bool)
    return unit_float64(gen.random64(n)) < p


def bernoulli_tensor(gen: Generator, p: np.ndarray) -> np.ndarray:
    """``bernoulli(p)`` for probabilities p (flat, in draw order): booleans."""
    if p.dtype.kind != "f":
        raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for \'{p.dtype}\' (give float '
                                  "probabilities)")
    if p.size <= BLOCK:  # a few elements: Python floats beat NumPy's per-call cost
        probs = p.tolist()
        total = sum(probs)  # NaN if any is (min and max can step over a NaN)
        if not (0 <= min(probs) and max(probs) <= 1 and total == total):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (bernoulli: every "
                               "probability must lie in [0, 1])")
        if p.dtype == np.float64:
            w = gen.random(2 * p.size).tolist()
            return np.array([(((w[2 * i] & 0x1FFFFF) << 32) | w[2 * i + 1]) * 2.0 ** -53 < q
                             for i, q in enumerate(probs)], bool)
        return unit_float32_small(gen.random(p.size)) < p
    if not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (bernoulli: every "
                           "probability must lie in [0, 1])")
    if p.dtype == np.float64:
        return unit_float64(gen.random64(p.size)) < p
    return unit_float32(gen.random(p.size)) < p.astype(np.float32)


def exponential(gen: Generator, n: int, lambd: float, dtype) -> np.ndarray:
    """``exponential_(lambd)``: n samples of Exp(lambd) as ``dtype``, in draw order."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = unit_float64(gen.random64(n))
    scale = -1.0 / lambd
    if n < BLOCK:
        values = np.array([scale * math.log1p(-x) for x in u.tolist()], np.float64)
    else:
        values = scale * np.log1p(-u)
    return from_double(values, dtype)


def geometric(gen: Generator, n: int, p: float, dtype) -> np.ndarray:
    """``geometric_(p)``: the number of trials to the first success, ``ceil(log(u) / log1p(-p))``."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    u = unit_float64(gen.random64(n))
    denominator = math.log1p(-p)
    if n < BLOCK:
        values = np.array([math.ceil(math.log(x) / denominator) if x > 0 else math.inf for x in u.tolist()])
    else:
        with np.errstate(divide="ignore"):
            values = np.ceil(np.log(u) / denominator)
    return from_double(values, dtype)


def cauchy(gen: Generator, n: int, median: float, sigma: float, dtype) -> np.ndarray:
    """``cauchy_(median, sigma)``: ``median + sigma * tan(pi * (u - 0.5))`` (u kept off 0 and 1), fused."""
    from .fma import fma64

    eps = float(np.finfo(np.float64).eps)
    u = np.clip(unit_float64(gen.random64(n)), eps, 1 - eps)
    angle = math.pi * (u - 0.5)
    t = np.array([math.tan(a) for a in angle.tolist()]) if n < BLOCK else np.tan(angle)
    return from_double(fma64(np.float64(sigma), t, np.float64(median)), dtype)


def log_normal(gen: Generator, n: int, mean: float, std: float, dtype) -> np.ndarray:
    """``log_normal_(mean, std)``: exp of torch's one-at-a-time normal samples (cache included)."""
    from .normal import normal_scalar

    z = normal_scalar(gen, n, mean, std, np.float64)
    values = np.array([math.exp(v) for v in z.tolist()]) if n < BLOCK else np.exp(z)
    return from_double(values, dtype)


def _check_probabilities(p: np.ndarray) -> None:
    if not (np.isfinite(p).all() and (p >= 0).all()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (p.sum(-1) == 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def multinomial(gen: Generator, p: np.ndarray, num_samples: int, replacement: bool,
                layout: np.ndarray | None = None) -> np.ndarray:
    """Indices (rows, num_samples) drawn from the rows of p (2-D, C order), as torch draws them. The race's
    exponentials fill a tensor laid out like the input (``layout``, if given) in its memory order."""
    rows, categories = p.shape
    if not replacement or num_samples == 1:
        _check_probabilities(p)
        q = exponential(gen, p.size, 1.0, p.dtype)
        q = q.reshape(p.shape) if layout is None else memory_layout.place(q, layout)
        with np.errstate(divide="ignore", invalid="ignore"):
            race = p / q
        if num_samples == 1:
            return np.argmax(race, axis=-1, keepdims=True)
        # the k largest, largest first (torch's topk; among equal values, here in index order)
        return np.argsort(-race, axis=-1, kind="stable")[:, :num_samples]
    out = np.empty((rows, num_samples), np.int64)
    for r in range(rows):
        row = p[r]
        if (row < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if not np.isfinite(row).all():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        cum = np.cumsum(row)  # sequential, in p's dtype, like the kernel's running sum
        total = cum[-1]
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum /= total
        cum[-1] = 1
        u = unit_float64(gen.random64(num_samples))
        out[r] = np.searchsorted(cum.astype(np.float64), u, side="left")  # the first slot with cum >= u
    return out
