"""Convolution and pooling over (N, C, H, W) images, vectorized with NumPy stride tricks.

im2col: a strided view gives every (kh, kw) window of the padded input at once; copied into a
(N*OH*OW, C*KH*KW) matrix it turns the whole batch's convolution into ONE matrix product with the
(out_channels, C*KH*KW) weight. col2im (``Fold``), the adjoint, adds the columns back into image shape
with a loop over the KH*KW kernel offsets only (never over pixels). ``Unfold`` and ``Fold`` are each
other's derivative, so every backward here is written with differentiable ops and double backward works.

``Conv2d`` itself computes on arrays in a batch-last layout (C, H, W, N), where every kernel-offset slice
of the image is a few long contiguous runs (OW*N numbers). Instead of im2col it builds the KH times
smaller "row columns" (the image shifted by each kernel column) and runs one GEMM per output row,
batched, on strided views of them (``_row_windows``); the input gradient is the same trick on the padded
output gradient. Its ``loss.backward()`` runs on arrays; with ``create_graph=True`` it uses the
differentiable ops above. Average pooling with stride == kernel is sums of strided slices (``AvgPoolBlocks``).
"""

from __future__ import annotations

import threading

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


_work = threading.local()
#: work arrays up to this many bytes are kept between calls (per role and thread), bigger ones are not
WORK_CACHE_BYTES = 8 << 20


def _work_array(role: str, shape, dtype) -> np.ndarray:
    """An uninitialized array for a value that never leaves one call, reused from the previous call.

    Fresh large arrays cost a page fault per 4 KiB on first touch, which for a small CNN costs as much
    as its arithmetic; these buffers are touched once and then reused (at most WORK_CACHE_BYTES each).
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    if size * dtype.itemsize > WORK_CACHE_BYTES:
        return np.empty(shape, dtype)
    cache = getattr(_work, "arrays", None)
    if cache is None:
        cache = _work.arrays = {}
    buf = cache.get((role, dtype))
    if buf is None or buf.size < size:
        buf = cache[(role, dtype)] = np.empty(size, dtype)
    return buf[:size].reshape(shape)


def _transposed(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A C-contiguous copy of the transpose of the 2-D array ``a``, copied in blocks of 64 along its long side.

    A plain ``a.T.copy()`` of a tall or wide matrix reads or writes with a large stride on every element;
    blocks of 64 keep both sides in cache (3-4x faster for the conv layouts below).
    """
    rows, cols = a.shape
    if out is None:
        out = np.empty((cols, rows), a.dtype)
    if rows * cols < 16384 or min(rows, cols) < 8:
        np.copyto(out, a.T)
    elif rows >= cols:
        for r in range(0, rows, 64):
            out[:, r:r + 64] = a[r:r + 64].T
    else:
        for c in range(0, cols, 64):
            out[c:c + 64] = a[:, c:c + 64].T
    return out


def _batch_last(x: np.ndarray, pad) -> np.ndarray:
    """(N, C, H, W) -> a padded (C, H + top + bottom, W + left + right, N) copy (a work array)."""
    n, c, h, w = x.shape
    top, bottom, left, right = pad
    xt = _transposed(x.reshape(n, c * h * w), _work_array("xt", (c * h * w, n), x.dtype)).reshape(c, h, w, n)
    if not (top or bottom or left or right):
        return xt
    xp = _work_array("xp", (c, h + top + bottom, w + left + right, n), x.dtype)
    xp[:, :top] = 0
    xp[:, top + h:] = 0
    xp[:, top:top + h, :left] = 0
    xp[:, top:top + h, left + w:] = 0
    xp[:, top:top + h, left:left + w] = xt
    return xp


def _offsets(k, s, d, out):
    """For each kernel offset (i, j): the row and column slices of the padded image it reads."""
    return [(i, j, slice(i * d[0], i * d[0] + s[0] * (out[0] - 1) + 1, s[0]),
             slice(j * d[1], j * d[1] + s[1] * (out[1] - 1) + 1, s[1])) for i in range(k[0]) for j in range(k[1])]


def _row_windows(r: np.ndarray, kh: int, stride_h: int, oh: int) -> np.ndarray:
    """(OH, KH*C*KW, OW*N) view of the row columns ``r`` (Hp, C, KW, OW, N): output row oh's GEMM operand.

    Kernel row i of output row oh is image row oh*stride + i, and rows of ``r`` are C*KW*OW*N apart,
    exactly C*KW times the stride between (c, j) entries: so (i, c, j) is ONE axis of stride OW*N and
    every output row gets a plain matrix of the batched GEMM, read from a KH times smaller array.
    """
    hp, c, kw, ow, n = r.shape
    step = ow * n * r.itemsize
    return as_strided(r, (oh, kh * c * kw, ow * n), (stride_h * c * kw * step, step, r.itemsize), writeable=False)


def _row_columns(x, kw, stride, padding, dilation, ow) -> np.ndarray:
    """The row columns (Hp, C, KW, OW, N) of (N, C, H, W): r[h, c, j] = padded row h of channel c, shifted by j."""
    xt = _batch_last(x, padding)
    c, hp, _, n = xt.shape
    r = _work_array("rows", (hp, c, kw, ow, n), x.dtype)
    for j in range(kw):
        c0 = j * dilation[1]
        r[:, :, j] = xt[:, :, c0:c0 + stride[1] * (ow - 1) + 1:stride[1]].transpose(1, 0, 2, 3)
    return r


def _conv_arrays(x, w, b, stride, padding, dilation, groups):
    """Forward of a convolution on arrays: the (N, O, OH, OW) output and what its backward needs.

    Batch-last layout throughout. With groups == 1 and no dilation along H (the usual case) the GEMM is
    batched over output rows of the row columns (see ``_row_windows``), which backward rebuilds from x
    (cheap, and it keeps the memory held between forward and backward down to what torch holds); otherwise
    the full (C*KH*KW [+1], OH*OW*N) columns are saved, with a row of ones for the bias.
    """
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = _out_size(h, kh, stride[0], padding[0], padding[1], dilation[0])
    ow = _out_size(wd, kw, stride[1], padding[2], padding[3], dilation[1])
    if groups == 1 and dilation[0] == 1:
        r = _row_columns(x, kw, stride, padding, dilation, ow)
        wr = w.transpose(0, 2, 1, 3).reshape(o, kh * c * kw)  # (O, (i, c, j)): the rows' order
        out = _work_array("out", (o, oh, ow * n), np.result_type(x, w))
        np.matmul(wr, _row_windows(r, kh, stride[0], oh), out=out.transpose(1, 0, 2))
        del r
        if b is not None:
            out += b.reshape(o, 1, 1).astype(out.dtype, copy=False)
        return _transposed(out.reshape(o * oh * ow, n)).reshape(n, o, oh, ow), None, "rows"
    xt = _batch_last(x, padding)
    m = oh * ow * n
    ck = c * kh * kw
    ones = b is not None and groups == 1
    cols = np.empty((ck + ones, m), x.dtype)
    c6 = cols[:ck].reshape(c, kh, kw, oh, ow, n)
    for i, j, rows, cs in _offsets((kh, kw), stride, dilation, (oh, ow)):
        c6[:, i, j] = xt[:, rows, cs]
    if groups == 1:
        wm = w.reshape(o, ck)
        if ones:
            cols[ck] = 1
            wm = np.concatenate([wm, b.reshape(o, 1).astype(w.dtype, copy=False)], axis=1)
        out = wm @ cols
    else:
        out = np.matmul(w.reshape(groups, o // groups, cg * kh * kw), cols.reshape(groups, ck // groups, m))
        out = out.reshape(o, m)
        if b is not None:
            out += b.reshape(o, 1).astype(out.dtype, copy=False)
    out = _transposed(out.reshape(o * oh * ow, n)).reshape(n, o, oh, ow)
    return out, cols, "ones" if ones else "cols"


def _conv_backward_arrays(g, x, w, saved, mode, stride, padding, dilation, groups, need):
    """Gradients of ``_conv_arrays`` (input, weight, bias) from the output gradient ``g``, all arrays."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh, ow = g.shape[2:]
    m = oh * ow * n
    ck = c * kh * kw
    top, bottom, left, right = padding
    hp, wp = h + top + bottom, wd + left + right
    g_om = _transposed(g.reshape(n, o * oh * ow), _work_array("g", (o * oh * ow, n), g.dtype)).reshape(o, m)
    gx = gw = gb = None
    if need[2] and mode == "cols":
        gb = g_om.sum(1)
    if mode == "rows":
        if need[0] and stride[0] == 1:
            # g in (OH, O, OW*N) order with KH-1 zero rows on both sides: the input gradient below reads it
            gpad = _work_array("gpad", (oh + 2 * (kh - 1), o, ow * n), g_om.dtype)
            gpad[:kh - 1] = 0
            gpad[kh - 1 + oh:] = 0
            g_rows = gpad[kh - 1:kh - 1 + oh]
            g_rows[...] = g_om.reshape(o, oh, ow * n).transpose(1, 0, 2)
            del g_om
        else:
            g_rows = g_om.reshape(o, oh, ow * n).transpose(1, 0, 2)  # (OH, O, OW*N)
        if need[2]:
            gb = g_rows.sum((0, 2))
        if need[1]:
            win = _row_windows(_row_columns(x, kw, stride, padding, dilation, ow), kh, stride[0], oh)
            gw = np.matmul(g_rows, win.transpose(0, 2, 1)).sum(0)
            gw = gw.reshape(o, kh, c, kw).transpose(0, 2, 1, 3)
            del win
        if need[0] and stride[0] == 1:
            # the row columns' gradient is a transposed convolution along H, again one batched GEMM:
            # image row hr gets sum_i W_i^T g[hr - i], read from the zero-padded g
            step = ow * n * gpad.itemsize
            g_win = as_strided(gpad, (hp, kh * o, ow * n), (o * step, step, gpad.itemsize), writeable=False)
            w_flip = w[:, :, ::-1, :].transpose(1, 3, 2, 0).reshape(c * kw, kh * o)  # ((c, j), (KH-1-i, o))
            dr = _work_array("drows", (hp, c * kw, ow * n), np.result_type(w, gpad))
            dr = np.matmul(w_flip, g_win, out=dr).reshape(hp, c, kw, ow, n)
            del g_win, gpad, g_rows
        elif need[0]:
            wr = w.transpose(0, 2, 1, 3).reshape(o, kh * c * kw)
            d_rows = np.matmul(wr.T, g_rows)  # (OH, (i, c, j), OW*N)
            ckw = c * kw
            dr = np.zeros((hp, ckw, ow * n), d_rows.dtype)  # gradient of the row columns
            for i in range(kh):
                dr[i:i + stride[0] * (oh - 1) + 1:stride[0]] += d_rows[:, i * ckw:(i + 1) * ckw]
            dr = dr.reshape(hp, c, kw, ow, n)
        if need[0]:
            gxp = _work_array("gx", (c, hp, wp, n), dr.dtype)
            gxp.fill(0)
            for j in range(kw):
                c0 = j * dilation[1]
                gxp[:, :, c0:c0 + stride[1] * (ow - 1) + 1:stride[1]] += dr[:, :, j].transpose(1, 0, 2, 3)
            del dr
    else:
        cols = saved
        if need[1] or (mode == "ones" and need[2]):
            if groups == 1:
                gwc = g_om @ cols.T  # (O, C*KH*KW [+1])
                gw = gwc[:, :ck].reshape(w.shape)
                if mode == "ones":
                    gb = gwc[:, ck]
            else:
                gw = np.matmul(g_om.reshape(groups, o // groups, m),
                               cols.reshape(groups, ck // groups, m).transpose(0, 2, 1)).reshape(w.shape)
        if need[0]:
            if groups == 1:
                dcols = w.reshape(o, ck).T @ g_om
            else:
                dcols = np.matmul(w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1),
                                  g_om.reshape(groups, o // groups, m))
            dc = dcols.reshape(c, kh, kw, oh, ow, n)
            gxp = np.zeros((c, hp, wp, n), dc.dtype)
            for i, j, rows, cs in _offsets((kh, kw), stride, dilation, (oh, ow)):
                gxp[:, rows, cs] += dc[:, i, j]
            del dc, dcols
    if need[0]:
        gx = _transposed(gxp.reshape(c * hp * wp, n)).reshape(n, c, hp, wp)[:, :, top:top + h, left:left + wd]
    return gx, gw, gb


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
        out, cols, mode = _conv_arrays(x, w, b, stride, padding, dilation, groups)
        ctx.args = (x.shape, tuple(w.shape[2:]), stride, padding, dilation, groups, out.shape[2:], mode)
        ctx.save_for_backward(x, w, cols)  # cols: batch-last columns, read only by the array backward
        return out

    def backward(ctx, g):
        x, w, cols = ctx.saved_tensors
        shape, k, s, p, d, groups, (oh, ow), mode = ctx.args
        need = ctx.needs_input_grad
        need3 = (need[0], need[1], len(need) > 2 and need[2])
        if not state.enabled:  # no graph of the backward: plain arrays, the columns saved by forward
            grads = _conv_backward_arrays(g._data, x._data, w._data, None if cols is None else cols._data, mode,
                                          s, p, d, groups, need3)
            grads = tuple(None if a is None else Tensor._wrap(a) for a in grads)
            return grads if len(need) > 2 else grads[:2]
        # create_graph: differentiable ops, the columns recomputed from x so that they depend on it
        n, c = shape[:2]
        o = w._data.shape[0]
        m = n * oh * ow
        if need[1]:
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
        if need3[2]:
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


def _block_sum(x: np.ndarray, k, out) -> np.ndarray:
    """Sum of each non-overlapping k[0] x k[1] block of (N, C, H, W) (remainder rows/columns left out)."""
    def add(parts, buffer=None):
        if len(parts) == 1:
            return parts[0] if buffer is not None else parts[0].copy()
        total = np.add(parts[0], parts[1], out=buffer)
        for part in parts[2:]:
            total += part
        return total

    parts = [x[:, :, i:i + k[0] * (out[0] - 1) + 1:k[0], :out[1] * k[1]] for i in range(k[0])]
    rows = add(parts, _work_array("pool", parts[0].shape, x.dtype))  # sums over block rows: never returned
    return add([rows[..., j::k[1]] for j in range(k[1])])


class AvgPoolBlocks(Node):
    """Average pooling with stride == kernel and no padding: the mean of each block, no im2col."""

    formulas = ("dL/dx = dL/dout * scale, copied over each block  (scale = 1 / (kH*kW))",)

    def forward(ctx, x, kernel=(2, 2), out_size=(1, 1), scale=0.25):
        ctx.args = (x.shape[2:], kernel, scale)
        out = _block_sum(x, kernel, out_size)
        out *= out.dtype.type(scale)
        return out

    def backward(ctx, g):
        size, k, scale = ctx.args
        return apply(AvgUnpoolBlocks, g, kernel=k, size=size, scale=scale)


class AvgUnpoolBlocks(Node):
    """The adjoint of ``AvgPoolBlocks``: each value times ``scale``, copied over its k[0] x k[1] block."""

    formulas = ("dL/dx = scale * (sum of dL/dout over each block)  (average pooling)",)

    def forward(ctx, g, kernel=(2, 2), size=(2, 2), scale=0.25):
        n, c, oh, ow = g.shape
        k = kernel
        ctx.args = (k, (oh, ow), scale)
        gs = g * g.dtype.type(scale)
        h, w = size
        exact = (h, w) == (oh * k[0], ow * k[1])
        # one output buffer, no intermediates (big fresh arrays cost page faults): the first row of every
        # block gets k1 strided copies, the other rows copy it (the rows and columns past the last block are 0)
        out = np.empty((n, c, h, w), g.dtype) if exact else np.zeros((n, c, h, w), g.dtype)
        blocks = out[:, :, :oh * k[0], :ow * k[1]].reshape(n, c, oh, k[0], ow, k[1]) if exact else None
        if blocks is None:
            for i in range(k[0]):
                for j in range(k[1]):
                    out[:, :, i:i + k[0] * (oh - 1) + 1:k[0], j:j + k[1] * (ow - 1) + 1:k[1]] = gs
            return out
        for j in range(k[1]):
            blocks[:, :, :, 0, :, j] = gs
        for i in range(1, k[0]):
            blocks[:, :, :, i] = blocks[:, :, :, 0]
        return out

    def backward(ctx, g):
        k, out, scale = ctx.args
        return apply(AvgPoolBlocks, g, kernel=k, out_size=out, scale=scale)


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
