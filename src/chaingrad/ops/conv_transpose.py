"""Transposed convolution ("deconvolution"), the adjoint of a convolution with respect to its input.

Each input pixel scatters ``x[n, :, h, w] @ W`` (a C_out x KH x KW patch) into the output at
``(h * stride - padding, w * stride - padding)``: one GEMM gives every pixel's patch (the columns), and
col2im (``Fold``) adds them into place. Its backward reads the output gradient through im2col (``Unfold``):
the input gradient is those columns times W^T (an ordinary convolution of the gradient), the weight
gradient x^T times them. Both are written with differentiable ops, so double backward works.
"""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor
from .conv import _pair
from .conv_kernels import col2im
from .pool import Unfold


def _output_size(size: int, k: int, s: int, p: int, d: int, op: int) -> int:
    return (size - 1) * s - 2 * p + d * (k - 1) + op + 1


class ConvTranspose2d(Node):
    torch_name = "ConvolutionBackward0"
    """out = col2im(x^T weight): every input pixel's weighted C_out x KH x KW patch added into the output."""

    input_names = ("x", "weight", "bias")
    formulas = ("dL/dx = im2col(dL/dout) @ weight^T  (an ordinary convolution of dL/dout)",
                "dL/dweight = x^T @ im2col(dL/dout)  (summed over the batch and positions)",
                "dL/dbias = sum of dL/dout over batch and positions")

    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
        n, c_in, h, wd = x.shape
        _, cg_out, kh, kw = w.shape
        c_out = cg_out * groups
        oh = _output_size(h, kh, stride[0], padding[0], dilation[0], output_padding[0])
        ow = _output_size(wd, kw, stride[1], padding[1], dilation[1], output_padding[1])
        xg = x.transpose(0, 2, 3, 1).reshape(n * h * wd, groups, c_in // groups).transpose(1, 0, 2)
        wg = w.reshape(groups, c_in // groups, cg_out * kh * kw)
        cols = np.matmul(xg, wg)  # (groups, N*H*W, C_out/groups * KH * KW)
        cols = cols.transpose(1, 0, 2).reshape(n, h, wd, c_out, kh, kw)
        pad = (padding[0], padding[0], padding[1], padding[1])
        out = col2im(cols, (n, c_out, oh, ow), (kh, kw), stride, pad, dilation)
        if b is not None:
            out = out + b.reshape(1, c_out, 1, 1).astype(out.dtype, copy=False)
        ctx.args = (stride, pad, dilation, groups, (h, wd))
        ctx.save_for_backward(x, w)
        return np.ascontiguousarray(out)

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        stride, pad, dilation, groups, (h, wd) = ctx.args
        need = ctx.needs_input_grad
        n, c_in = x.shape[:2]
        _, cg_out, kh, kw = w.shape
        # the columns of the output gradient: what each input pixel's patch was added to
        gcols = apply(Unfold, g, kernel=(kh, kw), stride=stride, padding=pad, dilation=dilation)
        if gcols.shape[1] != h or gcols.shape[2] != wd:  # output_padding >= stride leaves a spare window
            gcols = gcols[:, :h, :wd]
        gcols = gcols.reshape(n * h * wd, groups, cg_out * kh * kw).permute(1, 0, 2)
        wg = w.reshape(groups, c_in // groups, cg_out * kh * kw)
        gx = gw = gb = None
        if need[0]:
            gx = (gcols @ wg.mT).permute(1, 0, 2).reshape(n, h, wd, c_in).permute(0, 3, 1, 2)
        if need[1]:
            xg = x.permute(0, 2, 3, 1).reshape(n * h * wd, groups, c_in // groups).permute(1, 0, 2)
            gw = (xg.mT @ gcols).reshape(w.shape)
        if len(need) > 2 and need[2]:
            gb = g.sum((0, 2, 3))
        return (gx, gw, gb) if len(need) > 2 else (gx, gw)


def _check(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, output_padding, dilation,
           groups: int, op: str):
    if input._data.ndim != 4:
        raise RuntimeError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
                           f"{list(input._data.shape)}")
    if weight._data.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight (in_channels, out_channels/groups, kH, kW), got shape "
                           f"{list(weight._data.shape)}")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Input type ({input.dtype}) and weight type ({weight.dtype}) should be the same "
                           f"({op}: convert the input with .to(weight.dtype) or the model with .float()/.double())")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    c = input._data.shape[1]
    if c != weight._data.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight._data.shape)}, expected input"
                           f"{list(input._data.shape)} to have {weight._data.shape[0]} channels, but got {c} "
                           "channels instead")
    if c % groups:
        raise RuntimeError(f"{op}: in_channels ({c}) must be divisible by groups ({groups})")
    c_out = weight._data.shape[1] * groups
    if bias is not None and bias._data.shape != (c_out,):
        raise RuntimeError(f"{op}: bias should have shape [{c_out}], got {list(bias._data.shape)}")
    s, p = _pair(stride, "stride"), _pair(padding, "padding")
    op_, d = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
    if min(s) <= 0:
        raise RuntimeError(f"{op}: non-positive stride is not supported")
    if min(p) < 0:
        raise RuntimeError(f"{op}: negative padding is not supported")
    if any(o >= max(si, di) for o, si, di in zip(op_, s, d)):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                           f"output_padding_height: {op_[0]} output_padding_width: {op_[1]} stride_height: {s[0]} "
                           f"stride_width: {s[1]} dilation_height: {d[0]} dilation_width: {d[1]}")
    k = weight._data.shape[2:]
    out = [_output_size(input._data.shape[2 + i], k[i], s[i], p[i], d[i], op_[i]) for i in range(2)]
    if min(out) <= 0:
        raise RuntimeError(f"{op}: Given input size per channel: ({input._data.shape[2]} x {input._data.shape[3]}). "
                           f"Calculated output size per channel: ({out[0]} x {out[1]}). Output size is too small")
    return s, p, op_, d


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution of (N, C_in, H, W) by a (C_in, C_out/groups, KH, KW) weight (torch's argument
    order: output_padding before groups, dilation last)."""
    unbatched = input._data.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    s, p, op_, d = _check(input, weight, bias, stride, padding, output_padding, dilation, groups,
                          "conv_transpose2d")
    params = dict(stride=s, padding=p, output_padding=op_, dilation=d, groups=groups)
    out = apply(ConvTranspose2d, input, weight, bias, **params)  # (no bias: None, which torch lists as (None, 0))
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution of (N, C_in, L), computed as a 2-D one of height 1."""
    one = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"conv_transpose1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
                           f"{list(input._data.shape)}")
    out = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, one(stride)), (0, one(padding)),
                           (0, one(output_padding)), groups, (1, one(dilation)))
    return out.squeeze(-2)
