"""Resampling as one matrix per axis. Every resize torch offers (nearest, bilinear, bicubic, with or
without antialiasing) is separable and linear: output = W_rows @ image @ W_cols.T, where row i of W holds
the weights output pixel i gives the input pixels. Building W is the whole algorithm:

- nearest: one 1 per row, at floor(i * in/out) ("nearest-exact": floor((i + 0.5) * in/out));
- bilinear / bicubic (``align_corners=False``): output pixel i samples the input at
  x = (i + 0.5) * in/out - 0.5, mixing its 2 (4) neighbours by the triangle (Keys cubic, a = -0.75)
  kernel; bilinear clamps x at 0, and taps past the border repeat the edge pixel;
- antialiased (torch's ``antialias=True``, PIL's resampling): when shrinking, the kernel is stretched by
  the scale so each output pixel averages all the input pixels it covers (cubic with a = -0.5), and each
  row's weights are normalised to sum to 1.
The weights match torch.nn.functional.interpolate's; they are computed in float64.
"""

from __future__ import annotations

import numpy as np


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, 1.0 - np.abs(x))


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((x - 5) * x + 8) * x * a - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def weights(n_in: int, n_out: int, mode: str, antialias: bool, dtype=np.float64) -> np.ndarray:
    """The (n_out, n_in) matrix that resamples one axis. Source positions are computed in ``dtype`` (float32
    for float32 images, as torch computes them, so that the same pixels are picked at the same weights)."""
    out = np.arange(n_out)
    w = np.zeros((n_out, n_in))
    if mode in ("nearest", "nearest-exact"):
        scale32 = np.float32(n_in) / np.float32(n_out)  # torch's nearest always works in float32
        offset = np.float32(0.5) if mode == "nearest-exact" else np.float32(0.0)
        src = np.minimum(np.floor((out.astype(np.float32) + offset) * scale32).astype(np.int64), n_in - 1)
        w[out, src] = 1.0
        return w
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"resize: interpolation {mode!r} is not supported for tensors (nearest, nearest-exact, "
                         "bilinear, bicubic)")
    f = np.dtype(dtype).type if np.dtype(dtype) == np.float64 else np.float32
    scale = f(n_in) / f(n_out)
    if antialias:
        taps = f(1.0) if mode == "bilinear" else f(2.0)
        support = taps * scale if scale >= 1.0 else taps
        invscale = f(1.0) / scale if scale >= 1.0 else f(1.0)
        for i in range(n_out):
            center = scale * (f(i) + f(0.5))
            lo = max(int(center - support + f(0.5)), 0)
            hi = min(int(center + support + f(0.5)), n_in)
            x = ((np.arange(lo, hi).astype(f) - center + f(0.5)) * invscale).astype(np.float64)
            k = _triangle(x) if mode == "bilinear" else _cubic(x, -0.5)
            total = k.sum()
            w[i, lo:hi] = k / total if total != 0 else k
        return w
    src = (out.astype(f) + f(0.5)) * scale - f(0.5)
    if mode == "bilinear":
        src = np.maximum(src, f(0.0))
        left = np.floor(src).astype(np.int64)
        frac = (src - left.astype(f)).astype(np.float64)
        right = np.minimum(left + 1, n_in - 1)
        np.add.at(w, (out, left), 1.0 - frac)
        np.add.at(w, (out, right), frac)
        return w
    left = np.floor(src).astype(np.int64)
    t = (src - left.astype(f)).astype(np.float64)
    for tap, k in ((-1, _cubic(t + 1, -0.75)), (0, _cubic(t, -0.75)), (1, _cubic(1 - t, -0.75)),
                   (2, _cubic(2 - t, -0.75))):
        np.add.at(w, (out, np.clip(left + tap, 0, n_in - 1)), k)
    return w
