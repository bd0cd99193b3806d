"""F.pad: constant padding of any number of trailing dims, and reflect, replicate and circular padding of the
last 1, 2 or 3 dims. Negative widths crop. Reflect and replicate padding read every output element from one
input element, so their gradient adds each output's gradient back into the element it was read from; circular
padding is made of copies into a new tensor, as torch makes it (so its graph is torch's tower of CopySlices)."""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, apply
from ..ops._checks import require_tensor
from ..tensor import Tensor


class ConstantPadNd(Node):
    """Constant padding (negative widths crop); its derivative is the opposite crop/pad."""

    formulas = ("dL/dx = dL/dout with the padding cropped off",)

    def forward(ctx, x, pad=(), value=0.0):
        ctx.pad = pad
        widths = [(0, 0)] * x.ndim
        slices = [slice(None)] * x.ndim
        for i in range(len(pad) // 2):
            lo, hi = pad[2 * i], pad[2 * i + 1]
            widths[x.ndim - 1 - i] = (max(lo, 0), max(hi, 0))
            n = x.shape[x.ndim - 1 - i] + max(lo, 0) + max(hi, 0)
            slices[x.ndim - 1 - i] = slice(max(-lo, 0), n - max(-hi, 0))
        out = np.pad(x, widths, constant_values=value) if any(w != (0, 0) for w in widths) else x
        return out[tuple(slices)].copy()  # (a copy in C order; ascontiguousarray would make a 0-d array 1-d)

    def backward(ctx, g):
        return apply(ConstantPadNd, g, pad=tuple(-p for p in ctx.pad), value=0.0)


class IndexPad(Node):
    """out = x read at ``sources[i]`` along each of the last len(sources) dims (reflect, replicate)."""

    formulas = ("dL/dx = dL/dout added back into the input element each output element was read from",)

    def forward(ctx, x, sources=(), label="IndexPad"):
        ctx.sources, ctx.label, ctx.shape = sources, label, x.shape  # (label: torch's name of the pad's node)
        out = x
        for i, src in enumerate(sources):
            out = np.take(out, src, axis=x.ndim - len(sources) + i)
        return out

    def backward(ctx, g):
        return apply(IndexPadAdjoint.named(ctx.label.replace("Backward0", "BackwardBackward0")), g,
                     sources=ctx.sources, shape=ctx.shape, label=ctx.label)


class IndexPadAdjoint(Node):
    """The adjoint of IndexPad: each element of ``g`` added into the position it was read from."""

    input_names = ("g",)
    formulas = ("dL/dg = dL/dout read at the same positions (IndexPad)",)

    def forward(ctx, g, sources=(), shape=(), label="IndexPad"):
        ctx.sources, ctx.label = sources, label
        out = g
        for i in reversed(range(len(sources))):
            axis = g.ndim - len(sources) + i
            acc = np.zeros(out.shape[:axis] + (shape[axis],) + out.shape[axis + 1:], g.dtype)
            np.add.at(acc, (slice(None),) * axis + (sources[i],), out)
            out = acc
        return out

    def backward(ctx, gg):
        return apply(IndexPad.named(ctx.label), gg, sources=ctx.sources, label=ctx.label)


def _sources(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """For each output position along one dim, the input position it copies."""
    p = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(p, 0, n - 1)
    p = np.where(p < 0, -p, p)  # reflect: mirror at the first and last elements (which are not repeated)
    return np.where(p >= n, 2 * (n - 1) - p, p)


_NON_CONSTANT = {"reflect": "ReflectionPad{d}DBackward0", "replicate": "ReplicationPad{d}DBackward0",
                 "circular": "CopySlices"}  # (circular: torch's copies, see _circular)


def _non_constant(input: Tensor, pad: tuple, mode: str) -> Tensor:
    nd, k = input._data.ndim, len(pad) // 2
    if len(pad) not in (2, 4, 6) or nd not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    shape = input._data.shape
    first = 1 if nd == k + 2 else 0  # a batch dim may be empty; the others must not be
    if mode != "circular" and 0 in shape[first:]:
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    sources: list[np.ndarray] = []
    for i in range(k):  # pad[0:2] is the last dim
        dim = nd - 1 - i
        lo, hi, n = pad[2 * i], pad[2 * i + 1], shape[dim]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                               f"got: padding ({lo}, {hi}) at dimension {dim} of input {list(shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError(f"Padding value causes wrapping around more than once. (circular pad ({lo}, {hi}) of "
                               f"dimension {dim} of size {n})")
        if n + lo + hi < 0:
            raise RuntimeError(f"narrow(): length must be non-negative. (pad ({lo}, {hi}) crops more than the "
                               f"{n} elements of dimension {dim})")
        if mode != "circular":
            sources.insert(0, _sources(n, lo, hi, mode).astype(np.int64))
    if mode == "circular":
        return _circular(input, pad)
    label = _NON_CONSTANT[mode].format(d=k)
    return apply(IndexPad.named(label), input, sources=tuple(sources), label=label)


def _circular(input: Tensor, pad: tuple) -> Tensor:
    """Circular padding as torch builds it, so with its graph (a tower of CopySlices): the input (cropped
    where a pad is negative) copied into the middle of a new tensor, then, dim by dim from the last, the
    left pad copied from the right end of what is there and the right pad from the left end."""
    nd, k = input._data.ndim, len(pad) // 2
    dims = [nd - 1 - i for i in range(k)]  # pad[2i:2i+2] pads dims[i]
    shape = list(input._data.shape)
    for i, d in enumerate(dims):
        shape[d] += pad[2 * i] + pad[2 * i + 1]
    out = input.new_empty(shape)
    inner, src = out, input
    for d, (lo, hi) in sorted(zip(dims, zip(pad[0::2], pad[1::2]))):
        n = input._data.shape[d]
        src = src.narrow(d, max(-lo, 0), n - max(-lo, 0) - max(-hi, 0))
        inner = inner.narrow(d, max(lo, 0), src._data.shape[d])
    inner.copy_(src)
    for i, d in enumerate(dims):
        lo, hi = pad[2 * i], pad[2 * i + 1]
        if lo > 0:
            out.narrow(d, 0, lo).copy_(out.narrow(d, shape[d] - lo - max(hi, 0), lo))
        if hi > 0:
            out.narrow(d, shape[d] - hi, hi).copy_(out.narrow(d, max(lo, 0), hi))
    return out


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims: pad = (left, right) of the last dim, then (top, bottom) of the one before,
    and so on. ``mode`` 'constant' (with ``value``, any number of dims), 'reflect' (mirror without repeating the
    edge), 'replicate' (repeat the edge) or 'circular' (wrap around), the last three for 1 to 3 dims."""
    require_tensor(input, "pad")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input._data.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input._data.ndim}")
    if mode == "constant":
        for i in range(len(pad) // 2):
            dim = input._data.ndim - 1 - i
            if input._data.shape[dim] + pad[2 * i] + pad[2 * i + 1] < 0:
                raise RuntimeError(f"narrow(): length must be non-negative. (pad ({pad[2 * i]}, {pad[2 * i + 1]}) "
                                   f"crops more than the {input._data.shape[dim]} elements of dimension {dim})")
        return apply(ConstantPadNd, input, pad=pad, value=0.0 if value is None else value)
    if mode not in _NON_CONSTANT:
        raise NotImplementedError(f"Unrecognised padding mode {mode} (use constant, reflect, replicate or circular)")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    return _non_constant(input, pad, mode)
