"""Window functions for spectral analysis: ``hann_window``, ``hamming_window``, ``blackman_window``,
``bartlett_window``, ``kaiser_window``, computed with torch's formulas and step order in the result's dtype.

``periodic=True`` (the default) gives the first ``window_length`` values of a symmetric window one longer,
the form ``stft`` wants; ``periodic=False`` the symmetric window itself.
"""

from __future__ import annotations

import math

import numpy as np

from .._dtype import get_default_dtype, to_dtype
from ..tensor import Tensor
from .creation import _new, _on_cpu

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


class _Steps:
    """In-place steps as torch's kernels take them: each in the op's compute type (float32 for float16), the
    result rounded to the window's dtype, a Python number rounded to the window's dtype first (as torch's
    half-precision window kernels take it)."""

    def __init__(self, n: int, dtype) -> None:
        self.dtype = dtype
        self.math = np.dtype(np.float32 if dtype == np.float16 else dtype).type
        self.x = np.arange(n, dtype=dtype)

    def map(self, fn, x: np.ndarray | None = None) -> np.ndarray:
        return fn((self.x if x is None else x).astype(self.math)).astype(self.dtype)

    def c(self, value: float):
        return self.math(self.dtype.type(value))


def _start(op: str, window_length: int, dtype, layout, device, requires_grad: bool):
    """The window's NumPy dtype, or a finished tensor for lengths 0 and 1."""
    _on_cpu(device, False, op, layout)
    if not isinstance(window_length, int) or isinstance(window_length, bool):
        raise TypeError(f"{op}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    d = get_default_dtype() if dtype is None else to_dtype(dtype)
    if window_length < 0:
        raise RuntimeError(f"{op} requires non-negative window_length, got window_length={window_length}")
    if not d.is_floating_point:
        raise RuntimeError(f"{op} expects floating point dtypes, got: {d} (give dtype=chaingrad.float32 or float64)")
    if window_length <= 1:
        return None, _new(np.ones(window_length, d.np), requires_grad)
    return d.np, None


def _finish(values: np.ndarray, periodic: bool, requires_grad: bool) -> Tensor:
    return _new(np.ascontiguousarray(values[:-1] if periodic else values), requires_grad)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """alpha - beta * cos(2 pi n / (N - 1))."""
    return _hamming("hamming_window", window_length, periodic, alpha, beta, dtype, layout, device, requires_grad)


def _hamming(op, window_length, periodic, alpha, beta, dtype, layout, device, requires_grad) -> Tensor:
    d, done = _start(op, window_length, dtype, layout, device, requires_grad)
    if done is not None:
        return done
    n = window_length + 1 if periodic else window_length
    s = _Steps(n, d)
    w = s.map(lambda x: x * s.c(2.0 * math.pi / (n - 1)))
    w = s.map(np.cos, w)
    w = s.map(lambda x: x * s.c(-beta), w)
    w = s.map(lambda x: x + s.c(alpha), w)
    return _finish(w, periodic, requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                requires_grad: bool = False) -> Tensor:
    """0.5 - 0.5 cos(2 pi n / (N - 1)) (torch computes it as the hamming window with alpha = beta = 0.5)."""
    return _hamming("hann_window", window_length, periodic, 0.5, 0.5, dtype, layout, device, requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    d, done = _start("blackman_window", window_length, dtype, layout, device, requires_grad)
    if done is not None:
        return done
    n = window_length + 1 if periodic else window_length
    s = _Steps(n, d)
    w = s.map(lambda x: x * s.c(math.pi / (n - 1)))
    four = s.map(lambda x: x * s.c(0.08), s.map(np.cos, s.map(lambda x: x * s.c(4), w)))
    two = s.map(lambda x: x * s.c(0.5), s.map(np.cos, s.map(lambda x: x * s.c(2), w)))
    w = s.map(lambda x: x + s.c(0.42), s.map(lambda x: x - two.astype(s.math), four))
    return _finish(w, periodic, requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """The triangle 1 - |2n / (N - 1) - 1|."""
    d, done = _start("bartlett_window", window_length, dtype, layout, device, requires_grad)
    if done is not None:
        return done
    n = window_length + 1 if periodic else window_length
    s = _Steps(n, d)
    w = s.map(lambda x: x * s.c(2.0 / (n - 1)))
    half = ((n - 1) >> 1) + 1
    w[half:] = s.map(lambda x: x + s.c(2), s.map(lambda x: x * s.c(-1), w[half:]))
    return _finish(w, periodic, requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, requires_grad: bool = False) -> Tensor:
    """I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta), a = (N - 1) / 2, with I0 the modified Bessel function."""
    from scipy.special import i0

    d, done = _start("kaiser_window", window_length, dtype, layout, device, requires_grad)
    if done is not None:
        return done
    n = window_length + 1 if periodic else window_length
    a = (n - 1) / 2.0
    x = np.arange(n, dtype=np.float64)
    w = i0(beta * np.sqrt(np.abs(1 - ((x - a) / a) ** 2))) / i0(beta)  # (in float64, then rounded once)
    return _finish(w.astype(d), periodic, requires_grad)
