"""Convolution and average pooling in batch-last memory: the forms chaingrad.compile's replay calls (layout.py).

Eager chaingrad keeps every (N, C, H, W) tensor in (N, C, H, W) memory, as torch does, so each convolution
copies its input into the (C, H, W, N) layout its GEMMs read (ops/conv_kernels.py) and its output back, and
its backward does the same with the gradients. In a replay nobody sees the arrays between two lines, so
these functions hand the (N, C, H, W) result over as a *view* of the (C, H, W, N) memory the kernel
computed in: the next convolution, pooling or elementwise op reads it without a copy. They are eager's own
kernels (conv_forward_batch_last, conv_backward, avg_blocks, unpool_blocks), called with the same arrays, so
every value is the same; layout.py says which lines may see such a view.
"""

from __future__ import annotations

import threading

import numpy as np

from ..ops.conv_kernels import (
    avg_blocks,
    conv_backward,
    conv_forward_batch_last,
    in_batch_last_memory,
    scaled,
    transposed,
    unpool_blocks,
)
from ..ops.unary import sigmoid_grad, sigmoid_into


class Buffers:
    """The arrays one line of a replay makes again on every call, kept from one call to the next (per thread):
    the row columns a convolution's backward reads, and results that layout.py found die within the call.

    Speed: a new 2 MB array costs a page fault per 4 KiB on first touch; LeNet's step made about 2400 of
    them, as much time as its elementwise arithmetic. The values written into a buffer are the same as
    into a new array."""

    def __init__(self, *roles: str) -> None:
        self.roles = roles  # (what the buffers hold, for the reader of .code)
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"Buffers{self.roles!r}"

    def get(self, role: str, shape, dtype) -> np.ndarray:
        """The buffer of ``role`` in that shape (uninitialized); a new array for a role it does not hold."""
        if role not in self.roles:
            return np.empty(shape, dtype)
        cache = self._local.__dict__
        size = int(np.prod(shape))
        buf = cache.get(role)
        if buf is None or buf.size != size or buf.dtype != dtype:
            buf = cache[role] = np.empty(size, dtype)
        return buf.reshape(shape)

    def new(self, role: str):
        """``get`` for one role: a function (shape, dtype) -> array, as the kernels take it."""
        return lambda shape, dtype: self.get(role, shape, dtype)


_NO_BUFFERS = Buffers()


class ConvSaved:
    """What a convolution's backward reads: its input (for the shape, or the full columns), its weight, its
    parameters, the row columns its forward built (None where its weight needs no gradient) and where its
    input gradient goes."""

    __slots__ = ("x", "w", "rows", "need", "params", "new_gx")

    def __init__(self, x, w, rows, need, params, new_gx) -> None:
        self.x, self.w, self.rows, self.need, self.params, self.new_gx = x, w, rows, need, params, new_gx


def conv2d(x: np.ndarray, w: np.ndarray, b, need: tuple, buffers: Buffers, **params) -> tuple:
    """``Conv2d.forward`` as an (N, O, OH, OW) view of (O, OH, OW, N) memory, and what its backward reads; the
    row columns in ``buffers`` (and the output and the input's gradient where it holds them)."""
    out, rows = conv_forward_batch_last(x, w, b, new=buffers.new("out"), new_rows=buffers.new("rows") if need[1]
                                        else None, **params)
    need = need + (False,) * (3 - len(need))
    return out.transpose(3, 0, 1, 2), ConvSaved(x, w, rows, need, params, buffers.new("gx"))


def conv2d_backward(saved: ConvSaved, g: np.ndarray) -> tuple:
    """``Conv2d``'s gradients (x, weight, bias), from the row columns its forward built; x's (where the
    convolution has no padding) as an (N, C, H, W) view of (C, H, W, N) memory."""
    s = saved
    return conv_backward(g, s.x, s.w, need=s.need, rows=s.rows, new_gx=s.new_gx, **s.params)


def avg_pool(x: np.ndarray, kernel, out_size, scale: float) -> np.ndarray:
    """``AvgPoolBlocks.forward`` of a view of (C, H, W, N) memory, in that memory order."""
    return avg_blocks(x, kernel, out_size, scale, batch_last=True)


def avg_unpool(g: np.ndarray, kernel, size, scale: float, buffers: Buffers) -> np.ndarray:
    """``AvgPoolBlocks``' backward (``AvgUnpoolBlocks.forward``) into (C, H, W, N) memory (``buffers``' or new)."""
    return unpool_blocks(g, kernel, size, scale, new=buffers.new("out"))


def sigmoid(x: np.ndarray, buffers: Buffers, in_place: bool = False) -> np.ndarray:
    """``Sigmoid.forward`` into memory of x's order (``buffers``' or new), or into x itself with ``in_place``
    (layout.py: where x is a convolution's output that nothing else reads)."""
    if in_place:  # Speed: one array read and written instead of two (the same ufuncs on the same values)
        return sigmoid_into(x, x)
    return sigmoid_into(x, buffers.get("out", x.shape[1:] + x.shape[:1], x.dtype).transpose(3, 0, 1, 2)
                        if in_batch_last_memory(x) else np.empty_like(x))


def sigmoid_backward(g: np.ndarray, out: np.ndarray, buffers: Buffers) -> np.ndarray:
    """``Sigmoid.backward``: g * out * (1 - out), written into ``buffers`` (where it holds them) in out's order."""
    def new(role, shape, dtype):
        return buffers.get(role, shape[1:] + shape[:1], dtype).transpose(3, 0, 1, 2) if in_batch_last_memory(out) \
            else np.empty(shape, dtype)
    return sigmoid_grad(g, out, new)


def unpool_sigmoid_backward(g: np.ndarray, out: np.ndarray, kernel, size, scale: float, buffers: Buffers):
    """``avg_unpool`` then ``sigmoid_backward``, without writing the unpooled gradient: each element of
    unpooled * out is the same product of the same two numbers, read from g's block instead of its copy."""
    n, c, oh, ow = g.shape
    if tuple(size) != (oh * kernel[0], ow * kernel[1]) or not in_batch_last_memory(out):
        return sigmoid_backward(avg_unpool(g, kernel, size, scale, _NO_BUFFERS), out, buffers)
    gs = scaled(g, scale).transpose(1, 2, 3, 0)[:, :, None, :, None, :]  # (C, OH, 1, OW, 1, N)
    per_block = out.transpose(1, 2, 3, 0).reshape(c, oh, kernel[0], ow, kernel[1], n)
    return sigmoid_grad(gs, per_block, buffers.get).reshape(c, size[0], size[1], n).transpose(3, 0, 1, 2)


def nchw(a: np.ndarray) -> np.ndarray:
    """``a`` in C order (the layout eager's array has), copied where it is not: for any line other than the
    ones above and elementwise arithmetic, whose results may depend on the memory order (a sum's pairwise
    order, a GEMM's)."""
    if a.flags.c_contiguous:
        return a
    if a.ndim == 4 and in_batch_last_memory(a):  # (blocked: 3-4x faster than NumPy's copy of a transpose)
        n = a.shape[0]
        return transposed(a.transpose(1, 2, 3, 0).reshape(-1, n)).reshape(a.shape)
    return np.ascontiguousarray(a)
