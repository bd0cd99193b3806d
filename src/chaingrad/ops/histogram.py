"""Counting ops: histc, histogram and bincount (no gradients: counts are piecewise constant)."""

from __future__ import annotations

import math

import numpy as np

from .. import return_types
from ..tensor import Tensor
from ._checks import require_float, require_tensor, scalar_type
from .sorting import not_differentiable


def _edges(lo, hi, bins: int, dtype) -> np.ndarray:
    """``bins + 1`` evenly spaced edges from lo to hi in ``dtype``, computed as torch's linspace does
    (the first half counted up from lo, the second half down from hi)."""
    lo, hi = np.asarray(lo, dtype), np.asarray(hi, dtype)
    steps = bins + 1
    step = (hi - lo) / np.asarray(steps - 1, dtype)
    i = np.arange(steps)
    half = steps // 2
    up = lo + step * i[:half].astype(dtype)
    down = hi - step * (steps - 1 - i[half:]).astype(dtype)
    return np.concatenate([up, down]).astype(dtype)


def _float_input(input: Tensor, op: str, kernel: str) -> np.ndarray:
    require_tensor(input, op)
    require_float(input, op, kernel, "counts floating point values")
    return input._data


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Counts of the elements in ``bins`` equal-width bins over [min, max] (the data's range when min == max);
    elements outside the range are not counted."""
    a = _float_input(input, "histc", "histogram_cpu")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    dt = a.dtype.type
    flat = a.reshape(-1)
    flat = flat[(flat >= dt(lo)) & (flat <= dt(hi))]
    # torch's linear interpolation: (x - lo) * bins / (hi - lo), in the input's dtype; x == hi goes in the last bin
    pos = ((flat - dt(lo)) * dt(bins) / (dt(hi) - dt(lo))).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    return Tensor._wrap(np.bincount(pos, minlength=bins).astype(a.dtype))


def histogram(input: Tensor, bins=100, *, range=None, weight: Tensor | None = None,  # noqa: A002
              density: bool = False):
    """(hist, bin_edges): counts (or summed ``weight``) of the elements in each bin. ``bins`` is a count of
    equal-width bins over ``range`` (the data's min and max by default) or a 1-D tensor of increasing edges."""
    a = _float_input(input, "histogram", "histogramdd")
    if isinstance(bins, Tensor):
        edges = bins._data.astype(a.dtype)
        if edges.ndim != 1:
            raise RuntimeError(f"torch.histogram(): bins tensor should have one dimension, but got {edges.ndim}")
    else:
        bins = int(bins)
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif a.size:
            lo, hi = float(a.min()), float(a.max())
        else:
            lo = hi = 0.0
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for "
                               "dimension 0")
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{lo:g}, {hi:g}] is not finite")
        if lo == hi:  # an empty range widens to one unit, as NumPy does
            lo, hi = lo - 0.5, hi + 0.5
        edges = _edges(lo, hi, bins, a.dtype)
    nb = max(edges.size - 1, 0)
    flat = a.reshape(-1)
    w = None if weight is None else weight._data.astype(a.dtype).reshape(-1)
    if nb:
        inside = (flat >= edges[0]) & (flat <= edges[-1])
        pos = np.minimum(np.searchsorted(edges, flat[inside], side="right") - 1, nb - 1)
        hist = np.bincount(pos, weights=None if w is None else w[inside], minlength=nb).astype(a.dtype)
    else:
        hist = np.zeros(0, a.dtype)
    if density:
        widths = np.diff(edges)
        total = hist.sum(dtype=a.dtype)
        hist = (hist / (total * widths)).astype(a.dtype)
    hist, edges = not_differentiable(input, (hist, edges), "histogram")
    return return_types.histogram(hist, edges)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each non-negative integer 0, 1, ... occurs in the 1-D ``input`` (or the sum of its ``weights``)."""
    a = require_tensor(input, "bincount")._data
    if a.dtype.kind not in "iub":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{scalar_type(input)}' (bincount counts "
                                  "integers: call .long() on the input)")
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return Tensor._wrap(np.bincount(a, minlength=minlength).astype(np.int64))
    if weights._data.shape != a.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    w = weights._data
    out_dtype = w.dtype if w.dtype.kind == "f" else np.float64  # float weights keep their dtype, others -> double
    counts = np.bincount(a, weights=w.astype(np.float64), minlength=minlength).astype(out_dtype)
    (out,) = not_differentiable(weights, (counts,), "bincount")
    return out


def _attach() -> None:
    Tensor.histc = histc
    Tensor.histogram = histogram
    Tensor.bincount = bincount


_attach()
