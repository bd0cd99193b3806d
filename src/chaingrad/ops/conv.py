"""Convolution and pooling over (N, C, H, W) images, vectorized with NumPy stride tricks.

im2col: a strided view gives every (kh, kw) window of the padded input at once; copied into a
(N*OH*OW, C*KH*KW) matrix it turns the whole batch's convolution into ONE matrix product with the
(out_channels, C*KH*KW) weight. col2im (``Fold``), the adjoint, adds the columns back into image shape
with a loop over the KH*KW kernel offsets only (never over pixels). ``Unfold`` and ``Fold`` are each
other's derivative, so every backward here is written with differentiable ops and double backward works.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.function import Node, apply
from ..autograd.grad_mode import state
from ..tensor import Tensor


def _pair(v, name: str = "value") -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return int(v[0]), int(v[0])
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _out_size(size: int, k: int, s: int, lo: int, hi: int, d: int) -> int:
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def _windows(xp: np.ndarray, k, s, d, out) -> np.ndarray:
    """A read-only (N, C, OH, OW, KH, KW) view of every window of the padded input ``xp``."""
    n, c = xp.shape[:2]
    st = xp.strides
    return as_strided(xp, (n, c, out[0], out[1], k[0], k[1]),
                      (st[0], st[1], st[2] * s[0], st[3] * s[1], st[2] * d[0], st[3] * d[1]), writeable=False)


def _pad(x: np.ndarray, pad: tuple[int, int, int, int], value=0) -> np.ndarray:
    top, bottom, left, right = pad
    if not (top or bottom or left or right):
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def _im2col(x: np.ndarray, k, s, pad, d) -> tuple[np.ndarray, tuple[int, int]]:
    """(N, OH, OW, C, KH, KW) copy of the windows of ``x`` (the columns of the convolution's GEMM)."""
    xp = _pad(x, pad)
    out = (_out_size(x.shape[2], k[0], s[0], pad[0], pad[1], d[0]),
           _out_size(x.shape[3], k[1], s[1], pad[2], pad[3], d[1]))
    win = _windows(xp, k, s, d, out)
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)), out


def _col2im(cols: np.ndarray, shape, k, s, pad, d) -> np.ndarray:
    """Add (N, OH, OW, C, KH, KW) columns back into an (N, C, H, W) image: the adjoint of im2col."""
    n, c, h, w = shape
    top, bottom, left, right = pad
    oh, ow = cols.shape[1:3]
    xp = np.zeros((n, c, h + top + bottom, w + left + right), dtype=cols.dtype)
    for i in range(k[0]):
        r0 = i * d[0]
        for j in range(k[1]):
            c0 = j * d[1]
            xp[:, :, r0:r0 + s[0] * (oh - 1) + 1:s[0], c0:c0 + s[1] * (ow - 1) + 1:s[1]] += \
                cols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return xp[:, :, top:top + h, left:left + w]


class Unfold(Node):
    """im2col: (N, C, H, W) -> (N, OH, OW, C, KH, KW), every window of the padded input."""

    formulas = ("dL/dx = col2im(dL/dout): each window's gradient added back where the window was read",)

    def forward(ctx, x, kernel=(1, 1), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
        ctx.args = (x.shape, kernel, stride, padding, dilation)
        return _im2col(x, kernel, stride, padding, dilation)[0]

    def backward(ctx, g):
        shape, k, s, p, d = ctx.args
        return apply(Fold, g, shape=shape, kernel=k, stride=s, padding=p, dilation=d)


class Fold(Node):
    """col2im: (N, OH, OW, C, KH, KW) columns summed back into an (N, C, H, W) image."""

    input_names = ("cols",)
    formulas = ("dL/dcols = im2col(dL/dout)",)

    def forward(ctx, cols, shape=(), kernel=(1, 1), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
        ctx.args = (kernel, stride, padding, dilation)
        return _col2im(cols, shape, kernel, stride, padding, dilation)

    def backward(ctx, g):
        k, s, p, d = ctx.args
        return apply(Unfold, g, kernel=k, stride=s, padding=p, dilation=d)


def unfold_windows(x: Tensor, kernel, stride, padding, dilation) -> Tensor:
    """Differentiable im2col (N, OH, OW, C, KH, KW) of an (N, C, H, W) tensor; padding is (top, bottom, left, right)."""
    return apply(Unfold, x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


class Conv2d(Node):
    """2-D cross-correlation of a batch: im2col, then one GEMM with the weight (per group)."""

    input_names = ("x", "weight", "bias")
    formulas = ("dL/dx = col2im(dL/dout @ W)  (a transposed convolution)",
                "dL/dW = dL/dout^T @ im2col(x)  (summed over the batch and positions)",
                "dL/db = sum of dL/dout over batch and positions")

    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
        n, c = x.shape[:2]
        o, cg, kh, kw = w.shape
        cols6, (oh, ow) = _im2col(x, (kh, kw), stride, padding, dilation)
        m = n * oh * ow
        if groups == 1:
            cols = cols6.reshape(m, c * kh * kw)
            out = cols @ w.reshape(o, -1).T
        else:
            cols = cols6.reshape(m, groups, cg * kh * kw).transpose(1, 0, 2)
            out = np.matmul(cols, w.reshape(groups, o // groups, -1).transpose(0, 2, 1))
            out = out.transpose(1, 0, 2).reshape(m, o)
        out = out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)
        out = out + b.reshape(1, o, 1, 1) if b is not None else np.ascontiguousarray(out)
        ctx.args = (x.shape, (kh, kw), stride, padding, dilation, groups, (oh, ow))
        ctx.save_for_backward(x, w, cols)
        return out

    def backward(ctx, g):
        x, w, cols = ctx.saved_tensors
        shape, k, s, p, d, groups, (oh, ow) = ctx.args
        n, c = shape[:2]
        o = w._data.shape[0]
        m = n * oh * ow
        need = ctx.needs_input_grad
        if state.enabled and need[1]:  # create_graph: the columns must depend on x differentiably
            cols = unfold_windows(x, k, s, p, d).reshape(m, groups, -1).permute(1, 0, 2)
            if groups == 1:
                cols = cols.reshape(m, -1)
        gm = g.permute(0, 2, 3, 1).reshape(m, o)
        gx = gw = gb = None
        if groups == 1:
            if need[1]:
                gw = (gm.mT @ cols).reshape(w.shape)
            if need[0]:
                gcols = gm @ w.reshape(o, -1)
        else:
            gmg = gm.reshape(m, groups, o // groups).permute(1, 0, 2)
            if need[1]:
                gw = (gmg.mT @ cols).reshape(w.shape)
            if need[0]:
                gcols = (gmg @ w.reshape(groups, o // groups, -1)).permute(1, 0, 2)
        if need[0]:
            gcols = gcols.reshape(n, oh, ow, c, k[0], k[1])
            gx = apply(Fold, gcols, shape=shape, kernel=k, stride=s, padding=p, dilation=d)
        if len(need) > 2 and need[2]:
            gb = g.sum((0, 2, 3))
        return (gx, gw, gb) if len(need) > 2 else (gx, gw)


class MaxPool2d(Node):
    """Maximum over each window; the gradient goes to the (first) position of each window's maximum."""

    formulas = ("dL/dx = dL/dout routed to the argmax of each window (0 elsewhere)",)

    def forward(ctx, x, kernel=(1, 1), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), out_size=(1, 1)):
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = _pad(x, padding, fill)
        win = _windows(xp, kernel, stride, dilation, out_size)
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
        arg = arg._data if isinstance(arg, Tensor) else arg
        n, c, oh, ow = arg.shape
        onehot = (np.arange(k[0] * k[1]) == arg.transpose(0, 2, 3, 1)[..., None]).astype(g._data.dtype)
        gcols = g.permute(0, 2, 3, 1).reshape(n, oh, ow, c, 1, 1) * Tensor._wrap(onehot.reshape(n, oh, ow, c, *k))
        return apply(Fold, gcols, shape=shape, kernel=k, stride=s, padding=p, dilation=d)


# -- the public functions ----------------------------------------------------------------------------------
def _check_input(input: Tensor, weight: Tensor | None, op: str) -> None:
    if input._data.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D input (N, C, H, W) (or 3-D (C, H, W)), got shape "
                           f"{list(input._data.shape)}")
    if weight is not None and input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Input type ({input.dtype}) and weight type ({weight.dtype}) should be the same "
                           f"({op}: convert the input with .to(weight.dtype) or the model with .float()/.double())")


def conv_padding(padding, kernel, dilation, stride) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) for an int/pair padding or "valid"/"same" (torch's split for even kernels)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        out = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            out += [total // 2, total - total // 2]
        return tuple(out)
    ph, pw = _pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise RuntimeError("negative padding is not supported")
    return (ph, ph, pw, pw)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as torch) of (N, C, H, W) by (O, C/groups, KH, KW)."""
    unbatched = input._data.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    _check_input(input, weight, "conv2d")
    s, d = _pair(stride, "stride"), _pair(dilation, "dilation")
    k = tuple(weight._data.shape[2:])
    pad = conv_padding(padding, k, d, s)
    n, c, h, w = input._data.shape
    o = weight._data.shape[0]
    if weight._data.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), got shape "
                           f"{list(weight._data.shape)}")
    if c != weight._data.shape[1] * groups or o % groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight._data.shape)}, expected input"
                           f"{list(input._data.shape)} to have {weight._data.shape[1] * groups} channels, but got "
                           f"{c} channels instead")
    if bias is not None and bias._data.shape != (o,):
        raise RuntimeError(f"conv2d: bias should have shape [{o}], got {list(bias._data.shape)}")
    oh = _out_size(h, k[0], s[0], pad[0], pad[1], d[0])
    ow = _out_size(w, k[1], s[1], pad[2], pad[3], d[1])
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"Calculated padded input size per channel: ({h + pad[0] + pad[1]} x "
                           f"{w + pad[2] + pad[3]}). Kernel size: ({d[0] * (k[0] - 1) + 1} x {d[1] * (k[1] - 1) + 1})."
                           " Kernel size can't be greater than actual input size")
    params = dict(stride=s, padding=pad, dilation=d, groups=groups)
    out = apply(Conv2d, input, weight, **params) if bias is None else apply(Conv2d, input, weight, bias, **params)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) by (O, C/groups, K), computed as a 2-D one of height 1."""
    unbatched = input._data.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    one = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    pad = padding if isinstance(padding, str) else (0, one(padding))
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, one(stride)), pad, (1, one(dilation)), groups)
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


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
    win = _windows(_pad(x._data, pad, fill), k, s, d, out)
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


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size: P_h @ x @ P_w^T with averaging matrices (two GEMMs)."""
    x, unbatched = _batched(input, "adaptive_avg_pool2d")
    h, w = x._data.shape[2:]
    oh, ow = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    oh, ow = oh or h, ow or w
    dt = x._data.dtype if x._data.dtype.kind == "f" else np.float32
    out = x
    if (oh, ow) != (h, w):
        out = Tensor._wrap(_adaptive_matrix(h, oh, dt)) @ x @ Tensor._wrap(_adaptive_matrix(w, ow, dt).T)
    return out.squeeze(0) if unbatched else out


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
