"""``pixel_shuffle``: (*, C * r^2, H, W) -> (*, C, H * r, W * r), each group of r^2 channels laid out as an r x r
block of pixels (the sub-pixel convolution's upsampling); ``pixel_unshuffle`` is its inverse. Each one's
derivative is the other, applied to the gradient. ``ChannelShuffle`` regroups channels (ShuffleNet's
channel_shuffle): its derivative is the shuffle that undoes it."""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor as _tensor


def _shuffle(x: np.ndarray, r: int) -> np.ndarray:
    *lead, c, h, w = x.shape
    n = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (..., C, H, r, W, r)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def _unshuffle(x: np.ndarray, r: int) -> np.ndarray:
    *lead, c, h, w = x.shape
    n = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (..., C, r, r, H / r, W / r)
    return y.reshape(*lead, c * r * r, h // r, w // r)


class PixelShuffle(Node):
    formulas = ("dL/dx = pixel_unshuffle(dL/dout, r)",)

    def forward(ctx, x, r=1):
        ctx.r = r
        return np.ascontiguousarray(_shuffle(x, r))

    def backward(ctx, g):
        return apply(PixelUnshuffle, g, r=ctx.r)


class PixelUnshuffle(Node):
    formulas = ("dL/dx = pixel_shuffle(dL/dout, r)",)

    def forward(ctx, x, r=1):
        ctx.r = r
        return np.ascontiguousarray(_unshuffle(x, r))

    def backward(ctx, g):
        return apply(PixelShuffle, g, r=ctx.r)


class ChannelShuffle(Node):
    """Channels (dim 1) read as (groups, C / groups) and transposed to (C / groups, groups)."""

    formulas = ("dL/dx = channel_shuffle(dL/dout, C / groups)",)

    def forward(ctx, x, groups=1):
        n, c = x.shape[:2]
        ctx.undo = c // groups or 1  # (no channels: the gradient is empty, whatever the groups)
        return np.ascontiguousarray(x.reshape(n, groups, c // groups, *x.shape[2:]).swapaxes(1, 2).reshape(x.shape))

    def backward(ctx, g):
        return apply(ChannelShuffle, g, groups=ctx.undo)


def _check(input: Tensor, factor, op: str, name: str) -> int:
    _tensor(input, op)
    if not isinstance(factor, numbers.Integral) or isinstance(factor, bool):
        raise TypeError(f"{op}(): argument '{name}' (position 2) must be int, not {type(factor).__name__}")
    if input._data.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input with "
                           f"{input._data.ndim} dimension(s)")
    if factor <= 0:
        what = "upscale_factor" if op == "pixel_shuffle" else "downscale_factor"
        raise RuntimeError(f"{op} expects a positive {what}, but got {factor}")
    return int(factor)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r) for r = ``upscale_factor``."""
    r = _check(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    c = input._data.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    return apply(PixelShuffle, input, r=r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W) for r = ``downscale_factor``: the inverse of pixel_shuffle."""
    r = _check(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    h, w = input._data.shape[-2:]
    for what, size, k in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but "
                               f"input.size({k})={size} is not divisible by {r}")
    return apply(PixelUnshuffle, input, r=r)
