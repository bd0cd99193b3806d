"""Pooling and the window ops it is made of: max pooling, average pooling, and Unfold/Fold (im2col/col2im).

``Unfold`` (every window of the padded input) and ``Fold`` (windows added back into an image) are each
other's derivative, so pooling built from them is differentiable to any order. Average pooling with
stride == kernel and no padding is sums of strided slices instead (``AvgPoolBlocks``), with its adjoint
``AvgUnpoolBlocks``.
"""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor
from .conv import _pair
from .conv_kernels import avg_blocks, col2im, im2col, pad_image, unpool_blocks, windows


class Unfold(Node):
    """im2col: (N, C, H, W) -> (N, OH, OW, C, KH, KW), every window of the padded input."""

    formulas = ("dL/dx = col2im(dL/dout): each window's gradient added back where the window was read",)

    def forward(ctx, x, kernel=(1, 1), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
        ctx.args = (x.shape, kernel, stride, padding, dilation)
        return im2col(x, kernel, stride, padding, dilation)[0]

    def backward(ctx, g):
        shape, k, s, p, d = ctx.args
        return apply(Fold, g, shape=shape, kernel=k, stride=s, padding=p, dilation=d)


class Fold(Node):
    """col2im: (N, OH, OW, C, KH, KW) columns summed back into an (N, C, H, W) image."""

    input_names = ("cols",)
    formulas = ("dL/dcols = im2col(dL/dout)",)

    def forward(ctx, cols, shape=(), kernel=(1, 1), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
        ctx.args = (kernel, stride, padding, dilation)
        return col2im(cols, shape, kernel, stride, padding, dilation)

    def backward(ctx, g):
        k, s, p, d = ctx.args
        return apply(Unfold, g, kernel=k, stride=s, padding=p, dilation=d)


def unfold_windows(x: Tensor, kernel, stride, padding, dilation) -> Tensor:
    """Differentiable im2col (N, OH, OW, C, KH, KW) of an (N, C, H, W) tensor; padding is (top, bottom, left, right)."""
    return apply(Unfold, x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


class MaxPool2d(Node):
    torch_name = "MaxPool2DWithIndicesBackward0"
    """Maximum over each window; the gradient goes to the (first) position of each window's maximum."""

    formulas = ("dL/dx = dL/dout routed to the argmax of each window (0 elsewhere)",)

    def forward(ctx, x, kernel=(1, 1), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), out_size=(1, 1)):
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = pad_image(x, padding, fill)
        win = windows(xp, kernel, stride, dilation, out_size)
        n, c = x.shape[:2]
        flat = win.reshape(n, c, out_size[0], out_size[1], kernel[0] * kernel[1])
        arg = np.argmax(flat, axis=-1)
        out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
        ctx.args = (x.shape, kernel, stride, padding, dilation)
        ctx.save_for_backward(arg)  # freed after backward, like every saved value
        return out

    def backward(ctx, g):
        shape, k, s, p, d = ctx.args
        (arg,) = ctx.saved_tensors
        arg = arg._data
        n, c, oh, ow = arg.shape
        onehot = (np.arange(k[0] * k[1]) == arg.transpose(0, 2, 3, 1)[..., None]).astype(g._data.dtype)
        gcols = g.permute(0, 2, 3, 1).reshape(n, oh, ow, c, 1, 1) * Tensor._wrap(onehot.reshape(n, oh, ow, c, *k))
        return apply(Fold, gcols, shape=shape, kernel=k, stride=s, padding=p, dilation=d)


class AvgPoolBlocks(Node):
    torch_name = "AvgPool2DBackward0"
    """Average pooling with stride == kernel and no padding: the mean of each block, no im2col."""

    formulas = ("dL/dx = dL/dout * scale, copied over each block  (scale = 1 / (kH*kW))",)

    def forward(ctx, x, kernel=(2, 2), out_size=(1, 1), scale=0.25):
        ctx.args = (x.shape[2:], kernel, scale)
        return avg_blocks(x, kernel, out_size, scale)

    def backward(ctx, g):
        size, k, scale = ctx.args
        return apply(AvgUnpoolBlocks, g, kernel=k, size=size, scale=scale)


class AvgUnpoolBlocks(Node):
    """The adjoint of ``AvgPoolBlocks``: each value times ``scale``, copied over its k[0] x k[1] block."""

    formulas = ("dL/dx = scale * (sum of dL/dout over each block)  (average pooling)",)

    def forward(ctx, g, kernel=(2, 2), size=(2, 2), scale=0.25):
        ctx.args = (kernel, g.shape[2:], scale)
        return unpool_blocks(g, kernel, size, scale)

    def backward(ctx, g):
        k, out, scale = ctx.args
        return apply(AvgPoolBlocks, g, kernel=k, out_size=out, scale=scale)


# -- the public functions ----------------------------------------------------------------------------------
def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_args(input: Tensor, kernel_size, stride, padding, dilation, ceil_mode, op):
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    for i in range(2):
        if p[i] * 2 > k[i]:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")
    h, w = input._data.shape[2:]
    oh = _pool_out(h, k[0], s[0], p[0], d[0], ceil_mode)
    ow = _pool_out(w, k[1], s[1], p[1], d[1], ceil_mode)
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"{op}: Given input size: ({input._data.shape[1]}x{h}x{w}). Calculated output size: "
                           f"({input._data.shape[1]}x{oh}x{ow}). Output size is too small")
    # extra padding at the bottom/right so that ceil_mode's last window fits in the array
    extra_h = max(0, (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1 - (h + 2 * p[0]))
    extra_w = max(0, (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1 - (w + 2 * p[1]))
    return k, s, (p[0], p[0] + extra_h, p[1], p[1] + extra_w), d, (oh, ow)


def _batched(input: Tensor, op: str) -> tuple[Tensor, bool]:
    if input._data.ndim == 3:
        return input.unsqueeze(0), True
    if input._data.ndim != 4:
        raise RuntimeError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
                           f"{list(input._data.shape)}")
    return input, False


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Maximum over (kernel_size) windows; with ``return_indices`` also the flat index of each maximum."""
    x, unbatched = _batched(input, "max_pool2d")
    k, s, pad, d, out = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    node_out = apply(MaxPool2d, x, kernel=k, stride=s, padding=pad, dilation=d, out_size=out)
    result = node_out.squeeze(0) if unbatched else node_out
    if not return_indices:
        return result
    # recompute the argmax (cheap) to report torch's flat indices into each H*W plane
    fill = -np.inf if x._data.dtype.kind == "f" else np.iinfo(x._data.dtype).min
    win = windows(pad_image(x._data, pad, fill), k, s, d, out)
    arg = np.argmax(win.reshape(*win.shape[:4], -1), axis=-1)
    rows = np.arange(out[0])[:, None] * s[0] - pad[0] + (arg // k[1]) * d[0]
    cols = np.arange(out[1])[None, :] * s[1] - pad[2] + (arg % k[1]) * d[1]
    idx = Tensor._wrap((rows * x._data.shape[3] + cols).astype(np.int64))
    return result, (idx.squeeze(0) if unbatched else idx)


def _avg_divisor(size: int, k: int, s: int, p: int, out: int, count_include_pad: bool) -> np.ndarray:
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over (kernel_size) windows (torch's divisor rules for padding and ceil_mode)."""
    x, unbatched = _batched(input, "avg_pool2d")
    k, s, pad, d, out = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    if s == k and not any(pad) and x._data.dtype.kind == "f":  # blocks side by side: sums of slices
        scale = 1 / (divisor_override or k[0] * k[1])
        result = apply(AvgPoolBlocks, x, kernel=k, out_size=out, scale=scale)
        return result.squeeze(0) if unbatched else result
    sums = unfold_windows(x, k, s, pad, d).sum((-2, -1)).permute(0, 3, 1, 2)
    if divisor_override:
        result = sums / divisor_override
    else:
        h, w = x._data.shape[2:]
        dh = _avg_divisor(h, k[0], s[0], pad[0], out[0], count_include_pad)
        dw = _avg_divisor(w, k[1], s[1], pad[2], out[1], count_include_pad)
        divisor = (dh[:, None] * dw[None, :]).astype(x._data.dtype)
        result = sums / Tensor._wrap(divisor)
    return result.squeeze(0) if unbatched else result


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i averages input[floor(i*size/out) : ceil((i+1)*size/out)]."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    cols = np.arange(size)
    inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2D(Node):
    """Average pooling to a fixed output size: ``P_h @ x @ P_w^T`` with averaging matrices (two GEMMs over the
    last two dims, so a batch or not is the same)."""

    formulas = ("dL/dx = P_h^T @ dL/dout @ P_w: each output's gradient shared equally by the inputs it averages",)

    def forward(ctx, x, rows=None, cols=None):
        ctx.rows, ctx.cols = rows, cols
        return rows @ x @ cols.T

    def backward(ctx, g):
        return Tensor._wrap(ctx.rows.T) @ g @ Tensor._wrap(ctx.cols)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size; to (1, 1) it is the mean over the last two dims, as torch's."""
    _batched(input, "adaptive_avg_pool2d")  # (the shape check)
    h, w = input._data.shape[-2:]
    oh, ow = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    oh, ow = oh or h, ow or w
    if (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    dt = input._data.dtype if input._data.dtype.kind == "f" else np.float32
    return apply(AdaptiveAvgPool2D, input, rows=_adaptive_matrix(h, oh, dt), cols=_adaptive_matrix(w, ow, dt))


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    one = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    s = one(kernel_size) if stride is None else one(stride)
    out = max_pool2d(input.unsqueeze(-2), (1, one(kernel_size)), (1, s), (0, one(padding)), (1, one(dilation)),
                     ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    one = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    s = one(kernel_size) if stride is None else one(stride)
    return avg_pool2d(input.unsqueeze(-2), (1, one(kernel_size)), (1, s), (0, one(padding)), ceil_mode,
                      count_include_pad).squeeze(-2)
