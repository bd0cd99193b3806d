"""Adaptive max pooling: the maximum over each of a fixed grid of windows, whatever the input size.

Output cell ``(i, j)`` of an ``(oh, ow)`` grid covers rows ``floor(i H / oh) .. ceil((i + 1) H / oh)`` and the
same for columns, so windows may differ in size and overlap. A maximum over a rectangle is a maximum over
its columns of the maxima over its rows: the forward reduces along W window by window, then along H, keeping
where each maximum was (the first one in row-major order, as torch's kernel picks).
"""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor


def _bounds(size: int, out: int) -> list[tuple[int, int]]:
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _adaptive_max(x: np.ndarray, oh: int, ow: int) -> tuple[np.ndarray, np.ndarray]:
    """The maxima (N, C, oh, ow) and their flat indices into each H*W plane."""
    n, c, h, w = x.shape
    rows_max = np.empty((n, c, h, ow), x.dtype)
    rows_arg = np.empty((n, c, h, ow), np.int64)
    for j, (lo, hi) in enumerate(_bounds(w, ow)):
        part = x[..., lo:hi]
        a = np.argmax(part, axis=-1)  # the first maximum of each row of the window (NaN counts as maximal)
        rows_arg[..., j] = a + lo
        rows_max[..., j] = np.take_along_axis(part, a[..., None], axis=-1)[..., 0]
    out = np.empty((n, c, oh, ow), x.dtype)
    idx = np.empty((n, c, oh, ow), np.int64)
    for i, (lo, hi) in enumerate(_bounds(h, oh)):
        part = rows_max[:, :, lo:hi]
        a = np.argmax(part, axis=2)  # the first row holding the maximum: row-major order
        out[:, :, i] = np.take_along_axis(part, a[:, :, None], axis=2)[:, :, 0]
        col = np.take_along_axis(rows_arg[:, :, lo:hi], a[:, :, None], axis=2)[:, :, 0]
        idx[:, :, i] = (a + lo) * w + col
    return out, idx


class AdaptiveMaxPool2d(Node):
    """Maximum over each adaptive window; the gradient goes to where each maximum was."""

    formulas = ("dL/dx = dL/dout routed to the argmax of each window (summed where windows overlap)",)
    num_outputs = 2
    torch_name = "AdaptiveMaxPool2DBackward0"

    def forward(ctx, x, output_size=(1, 1)):
        out, idx = _adaptive_max(x, *output_size)
        ctx.args = x.shape
        ctx.save_for_backward(idx)
        return out, idx

    def backward(ctx, g, g_idx=None):
        (idx,) = ctx.saved_tensors
        idx = idx if isinstance(idx, Tensor) else Tensor._wrap(idx)
        n, c, h, w = ctx.args
        zeros = Tensor._wrap(np.zeros((n, c, h * w), g._data.dtype))
        return zeros.scatter_add(2, idx.reshape(n, c, -1), g.reshape(n, c, -1)).reshape(n, c, h, w)


def _output_size(output_size, h: int, w: int) -> tuple[int, int]:
    oh, ow = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    return (h if oh is None else int(oh)), (w if ow is None else int(ow))


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed ``output_size`` (an int, a pair, None keeps that dim); with ``return_indices``
    also the flat index of each maximum in its H*W plane (as ``max_pool2d``)."""
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got {list(input._data.shape)}")
    x = input.unsqueeze(0) if input._data.ndim == 3 else input
    n, c, h, w = x._data.shape
    oh, ow = _output_size(output_size, h, w)
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"adaptive_max_pool2d(): elements of output_size must be greater than or equal to 1, "
                           f"got {output_size}")
    if h == 0 or w == 0:
        raise RuntimeError(f"adaptive_max_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
                           f"but input has sizes {list(input._data.shape)} with dimension {2 + (h != 0)} being "
                           "empty")
    out, idx = apply(AdaptiveMaxPool2d, x, output_size=(oh, ow))
    if input._data.ndim == 3:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) or (C, L) to ``output_size`` positions."""
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got {list(input._data.shape)}")
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    out, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices=True)
    out, idx = out.squeeze(-2), idx.squeeze(-2)
    return (out, idx) if return_indices else out
