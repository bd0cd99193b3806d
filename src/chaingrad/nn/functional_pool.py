"""More pooling and normalization of torch.nn.functional: power-average (LP) pooling, max unpooling from
max_pool's indices, local response normalization, the *_with_indices pools, adaptive_avg_pool1d, pdist,
bilinear and channel_shuffle.

Most compose differentiable Tensor operations; ``MaxUnpool2d`` is one node (torch's MaxUnpool2DBackward0), whose
backward gathers the gradient at the indices (itself differentiable), and pdist and channel_shuffle are one node
each as in torch (ops/pdist.py, ops/pixel_shuffle.py).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.node import Node, apply
from ..ops._checks import scalar_type
from ..ops.adaptive_pool import adaptive_max_pool1d, adaptive_max_pool2d
from ..ops.elementwise import relu
from ..ops.pdist import Pdist
from ..ops.pixel_shuffle import ChannelShuffle
from ..ops.pool import adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from ..tensor import Tensor


def _tuple(v, n: int) -> tuple[int, ...]:
    if isinstance(v, (tuple, list)):
        return tuple(int(a) for a in v) if len(v) == n else tuple(int(v[0]) for _ in range(n))
    return (int(v),) * n


# -- the *_with_indices names and adaptive_avg_pool1d ----------------------------------------------------------
def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):
    """max_pool1d's output and the index of each maximum, always both."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):
    """max_pool2d's output and the flat index (into each H*W plane) of each maximum, always both."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to ``output_size`` positions."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for adaptive_avg_pool1d)")
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


# -- power-average pooling --------------------------------------------------------------------------------------
def _lp_pool(input: Tensor, norm_type, kernel_size, stride, ceil_mode: bool, pool_max, pool_avg,
             window: int) -> Tensor:
    if isinstance(norm_type, (int, float)) and abs(norm_type) == float("inf"):
        if norm_type > 0:
            return pool_max(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        return -pool_max(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = pool_avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs())).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum over each window of x^p)^(1/p): the p-norm of each window (max |x| for p = inf)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool1d, avg_pool1d,
                    _tuple(kernel_size, 1)[0])


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum over each (kH, kW) window of x^p)^(1/p)."""
    kh, kw = _tuple(kernel_size, 2)
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool2d, avg_pool2d, kh * kw)


# -- max unpooling ----------------------------------------------------------------------------------------------
class MaxUnpool2d(Node):
    """Each value of x written at its index in a zero (N, C, OH*OW) plane, shaped (N, C, OH, OW)."""

    input_names = ("x",)
    formulas = ("dL/dx = dL/dout read back at each value's index (a gather)",)
    torch_name = "MaxUnpool2DBackward0"

    def forward(ctx, x, indices=None, size=(1, 1)):
        n, c = x.shape[:2]
        flat = indices.reshape(n, c, -1)
        ctx.indices, ctx.shape = flat, x.shape
        out = np.zeros((n, c, size[0] * size[1]), x.dtype)
        np.put_along_axis(out, flat, x.reshape(n, c, -1), axis=2)
        return out.reshape(n, c, *size)

    def backward(ctx, g):
        n, c = ctx.shape[:2]
        return g.reshape(n, c, -1).gather(2, Tensor._wrap(ctx.indices)).reshape(ctx.shape)


def _unpool_output_size(input: Tensor, kernel, stride, padding, output_size) -> list[int]:
    spatial = list(input.shape[input.dim() - len(kernel):])
    default = [(spatial[d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(len(kernel))]
    if output_size is None:
        size = default
    else:
        given = output_size if isinstance(output_size, (tuple, list)) else [output_size]
        if len(given) == len(kernel) + 2:
            given = given[2:]
        if len(given) != len(kernel):
            raise ValueError(f"output_size should be a sequence containing {len(kernel)} or {len(kernel) + 2} "
                             f"elements, but it has a length of '{len(given)}'")
        size = [int(v) for v in given]
        for d in range(len(kernel)):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < size[d] < high:
                raise ValueError(f'invalid output_size "{given}" (dim {d} must be between {low} and {high})')
    for d, s in enumerate(size):
        if s < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={s}")
    return size


def _max_unpool(input: Tensor, indices: Tensor, size: list[int]) -> Tensor:
    idx = indices._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {scalar_type(indices)}")
    if idx.shape != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(idx.shape)}")
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
                           f"{input.dim()} dimensions.")
    plane = size[0] * size[1]
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = idx[(idx < 0) | (idx >= plane)].reshape(-1)[0]
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {size[0]}x{size[1]})")
    unbatched = input.dim() == 3
    x = input.unsqueeze(0) if unbatched else input
    out = apply(MaxUnpool2d, x, indices=idx.reshape(x.shape), size=tuple(size))
    return out.squeeze(0) if unbatched else out


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool1d: each value at the index max_pool1d(return_indices=True) gave, zeros
    elsewhere."""
    kernel = _tuple(kernel_size, 1)
    stride = kernel if stride is None else _tuple(stride, 1)
    size = _unpool_output_size(input, kernel, stride, _tuple(padding, 1), output_size)
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1]).squeeze(-1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: each value at its flat index into the (OH, OW) plane, zeros elsewhere."""
    kernel = _tuple(kernel_size, 2)
    stride = kernel if stride is None else _tuple(stride, 2)
    size = _unpool_output_size(input, kernel, stride, _tuple(padding, 2), output_size)
    return _max_unpool(input, indices, size)


# -- normalization and the rest ---------------------------------------------------------------------------------
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta (the window zero-padded at the
    channel ends, as torch pads it)."""
    from .functional_pad import pad

    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    sizes = input.shape
    div = input.mul(input).reshape(sizes[0], 1, sizes[1], -1)  # (N, 1, C, rest): a window over the channels
    div = pad(div, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(div, (size, 1), stride=1).reshape(sizes)
    return input / div.mul(alpha).add(k).pow(beta)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distance between each pair of rows i < j of an (N, M) input, in the order of
    triu_indices(N, N, 1): N (N - 1) / 2 values."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return apply(Pdist, input, p=float(p))


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """out[..., o] = sum over i, j of input1[..., i] weight[o, i, j] input2[..., j] (+ bias[o])."""
    from ..ops.linalg import einsum

    named = [("input1", input1), ("input2", input2), ("weight", weight)] + ([("bias", bias)] if bias is not None
                                                                            else [])
    if len({t.dtype for _, t in named}) > 1:
        got = ", ".join(f"{name}: {scalar_type(t).lower()}" for name, t in named)
        raise RuntimeError(f"All tensors must have the same dtype, got {got}")
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, got {weight.dim()}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {weight.shape[2]}")
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but expected "
                           f"{weight.shape[0]}")
    lead = input1.shape[:-1]
    x1, x2 = input1.reshape(-1, input1.shape[-1]), input2.reshape(-1, input2.shape[-1])
    out = einsum("bi,oij,bj->bo", x1, weight, x2).reshape(*lead, weight.shape[0])
    return out if bias is None else out + bias


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Channels (dim 1) regrouped: read as (groups, C / groups) and transposed, so that each group's channels
    are spread over the others."""
    if not isinstance(groups, numbers.Integral) or groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"sizes {list(input.shape)}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    return apply(ChannelShuffle, input, groups=int(groups))
