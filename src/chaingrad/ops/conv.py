"""Convolution: ``conv2d``/``conv1d`` and the two nodes that make them differentiable to any order.

``Conv2d`` is the convolution; its backward is ``Conv2dBackward``, a node of its own whose forward is the
fast NumPy kernel for the gradients (conv_kernels.py). So ``loss.backward()``, ``create_graph=True`` and
``explain`` all see the same computation, and the second derivative comes from ``Conv2dBackward``'s own
backward, written with these two ops again (as Unfold and Fold are each other's derivative).
"""

from __future__ import annotations

from ..autograd.node import Node, apply
from ..tensor import Tensor
from .conv_kernels import conv_backward, conv_forward, out_size


class Conv2d(Node):
    torch_name = "ConvolutionBackward0"
    """2-D cross-correlation of a batch (N, C, H, W) by a weight (O, C/groups, KH, KW), plus a bias (O,)."""

    input_names = ("x", "weight", "bias")
    formulas = ("dL/dx = conv2d_backward(dL/dout, x, weight)[x]: dL/dout spread back over the windows each "
                "output read, weighted by the weight (a transposed convolution)",
                "dL/dweight = conv2d_backward(dL/dout, x, weight)[weight]: the input windows weighted by "
                "dL/dout, summed over the batch and positions",
                "dL/dbias = dL/dout summed over the batch and positions")

    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
        ctx.args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        ctx.save_for_backward(x, w)
        return conv_forward(x, w, b, stride, padding, dilation, groups)

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return ctx.gradients(g, x, w)

    def gradients(ctx, g, x, w) -> tuple:
        """The gradients of the inputs ctx recorded (x, weight[, bias]) from g, by Conv2dBackward."""
        need = ctx.needs_input_grad + (False,) * (3 - len(ctx.needs_input_grad))
        return apply(Conv2dBackward, g, x, w, need=need, **ctx.args)[:len(ctx.needs_input_grad)]


class Conv2dBackward(Node):
    """The gradients (x, weight, bias) of ``Conv2d`` from its output gradient ``g``: None where not ``need``-ed.

    Each is linear in ``g`` and in one of x, weight, so its own derivative is a convolution again: for
    upstream gradients (gx', gw', gb'), dL/dg = conv2d(gx', weight) + conv2d(x, gw', gb'), dL/dx = the
    x-gradient of the pair (g, gw'), dL/dweight = the weight-gradient of the pair (g, gx').
    """

    input_names = ("g", "x", "weight")
    num_outputs = 3
    materialize_grads = False  # an output nobody used gets None, and its part of the work is skipped
    formulas = ("dL/dg = conv2d(dL/dgx, weight) + conv2d(x, dL/dgweight, dL/dgbias)",
                "dL/dx = conv2d_backward(g, x, dL/dgweight)[x]",
                "dL/dweight = conv2d_backward(g, dL/dgx, weight)[weight]")

    def forward(ctx, g, x, w, need=(True, True, True), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
                groups=1):
        ctx.args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        ctx.save_for_backward(g, x, w)
        return conv_backward(g, x, w, stride, padding, dilation, groups, need)

    def backward(ctx, ggx, ggw, ggb):
        g, x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        dg = dx = dw = None
        if need[0]:
            parts = []
            if ggx is not None:
                parts.append(apply(Conv2d, ggx, w, **ctx.args))
            if ggw is not None:
                parts.append(apply(Conv2d, x, ggw, **ctx.args) if ggb is None else apply(Conv2d, x, ggw, ggb,
                                                                                         **ctx.args))
            elif ggb is not None:
                parts.append(ggb.reshape(1, -1, 1, 1).expand(g.shape))
            for p in parts:
                dg = p if dg is None else dg + p
        if need[1] and ggw is not None:
            dx = apply(Conv2dBackward, g, x, ggw, need=(True, False, False), **ctx.args)[0]
        if need[2] and ggx is not None:
            dw = apply(Conv2dBackward, g, ggx, w, need=(False, True, False), **ctx.args)[1]
        return dg, dx, dw


class Conv1d(Conv2d):
    """``Conv2d`` on (N, C, L) by (O, C/groups, K): the same kernels on views of height 1 (torch, too, records
    one ConvolutionBackward0 for a 1-D convolution)."""

    torch_name = "ConvolutionBackward0"

    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
        ctx.args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        ctx.save_for_backward(x, w)  # (the inputs themselves, so that a second derivative reaches them)
        return conv_forward(x[:, :, None], w[:, :, None], b, stride, padding, dilation, groups)[:, :, 0]

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        grads = ctx.gradients(g.unsqueeze(2), x.unsqueeze(2), w.unsqueeze(2))
        return tuple(None if d is None else d.squeeze(2) for d in grads[:2]) + grads[2:]  # (x's, weight's; bias's)


def _pair(v, name: str = "value") -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return int(v[0]), int(v[0])
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
        return int(v[0]), int(v[1])
    return int(v), int(v)



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


def _conv2d_params(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation, groups: int,
                   op: str) -> dict:
    """The checked stride, padding, dilation and groups of a (N, C, H, W) by (O, C/groups, KH, KW) convolution."""
    _check_input(input, weight, op)
    s, d = _pair(stride, "stride"), _pair(dilation, "dilation")
    k = tuple(weight._data.shape[2:])
    pad = conv_padding(padding, k, d, s)
    n, c, h, w = input._data.shape
    o = weight._data.shape[0]
    if weight._data.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), got shape "
                           f"{list(weight._data.shape)}")
    if c != weight._data.shape[1] * groups or o % groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight._data.shape)}, expected input"
                           f"{list(input._data.shape)} to have {weight._data.shape[1] * groups} channels, but got "
                           f"{c} channels instead")
    if bias is not None and bias._data.shape != (o,):
        raise RuntimeError(f"{op}: bias should have shape [{o}], got {list(bias._data.shape)}")
    oh = out_size(h, k[0], s[0], pad[0], pad[1], d[0])
    ow = out_size(w, k[1], s[1], pad[2], pad[3], d[1])
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"Calculated padded input size per channel: ({h + pad[0] + pad[1]} x "
                           f"{w + pad[2] + pad[3]}). Kernel size: ({d[0] * (k[0] - 1) + 1} x {d[1] * (k[1] - 1) + 1})."
                           " Kernel size can't be greater than actual input size")
    return dict(stride=s, padding=pad, dilation=d, groups=groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as torch) of (N, C, H, W) by (O, C/groups, KH, KW)."""
    unbatched = input._data.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    params = _conv2d_params(input, weight, bias, stride, padding, dilation, groups, "conv2d")
    out = apply(Conv2d, input, weight, bias, **params)  # (no bias: None, which torch lists as (None, 0))
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) by (O, C/groups, K): one node, computed as a 2-D one of height 1."""
    unbatched = input._data.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    if input._data.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 3-D input (N, C, L) (or 2-D (C, L)), got shape "
                           f"{list(input._data.shape)}")
    one = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    pad = padding if isinstance(padding, str) else (0, one(padding))
    as_2d = (Tensor._wrap(input._data[:, :, None]), Tensor._wrap(weight._data[:, :, None]))  # (shapes only)
    params = _conv2d_params(*as_2d, bias, (1, one(stride)), pad, (1, one(dilation)), groups, "conv1d")
    out = apply(Conv1d, input, weight, bias, **params)
    return out.squeeze(0) if unbatched else out
