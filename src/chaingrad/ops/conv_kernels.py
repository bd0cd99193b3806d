"""The NumPy kernels of convolution and pooling: windows, im2col/col2im, and the batch-last conv GEMMs.

Nothing here knows about Tensors or the graph: these functions take and return arrays, and the nodes in
conv.py and pool.py call them from their forward.

im2col (``im2col``): a strided view gives every (kh, kw) window of the padded input at once; copied into
columns it turns a convolution into one matrix product. col2im (``col2im``), its adjoint, adds columns
back into image shape with a loop over the KH*KW kernel offsets only (never over pixels).

The convolution itself (``conv_forward``, ``conv_backward``) computes in a batch-last layout (C, H, W, N),
where every kernel-offset slice of the image is a few long contiguous runs (OW*N numbers). Instead of the
full columns it builds the KH times smaller "row columns" (the image shifted by each kernel column) and
runs one GEMM per output row, batched, on strided views of them (``_row_windows``); the input gradient is
the same trick on the zero-padded output gradient. Groups and dilation along H use the full columns.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided


def out_size(size: int, k: int, s: int, lo: int, hi: int, d: int) -> int:
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def windows(xp: np.ndarray, k, s, d, out) -> np.ndarray:
    """A read-only (N, C, OH, OW, KH, KW) view of every window of the padded input ``xp``."""
    n, c = xp.shape[:2]
    st = xp.strides
    return as_strided(xp, (n, c, out[0], out[1], k[0], k[1]),
                      (st[0], st[1], st[2] * s[0], st[3] * s[1], st[2] * d[0], st[3] * d[1]), writeable=False)


def pad_image(x: np.ndarray, padding: tuple[int, int, int, int], value=0) -> np.ndarray:
    top, bottom, left, right = padding
    if not (top or bottom or left or right):
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def im2col(x: np.ndarray, k, s, padding, d) -> tuple[np.ndarray, tuple[int, int]]:
    """(N, OH, OW, C, KH, KW) copy of the windows of ``x`` (the columns of the convolution's GEMM)."""
    xp = pad_image(x, padding)
    out = (out_size(x.shape[2], k[0], s[0], padding[0], padding[1], d[0]),
           out_size(x.shape[3], k[1], s[1], padding[2], padding[3], d[1]))
    win = windows(xp, k, s, d, out)
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)), out


def col2im(cols: np.ndarray, shape, k, s, padding, d) -> np.ndarray:
    """Add (N, OH, OW, C, KH, KW) columns back into an (N, C, H, W) image: the adjoint of im2col."""
    n, c, h, w = shape
    top, bottom, left, right = padding
    oh, ow = cols.shape[1:3]
    xp = np.zeros((n, c, h + top + bottom, w + left + right), dtype=cols.dtype)
    for i in range(k[0]):
        r0 = i * d[0]
        for j in range(k[1]):
            c0 = j * d[1]
            xp[:, :, r0:r0 + s[0] * (oh - 1) + 1:s[0], c0:c0 + s[1] * (ow - 1) + 1:s[1]] += \
                cols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return xp[:, :, top:top + h, left:left + w]


_work = threading.local()
#: work arrays up to this many bytes are kept between calls (per role and thread), bigger ones are not
WORK_CACHE_BYTES = 8 << 20


def work_array(role: str, shape, dtype) -> np.ndarray:
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


def transposed(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
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


def in_batch_last_memory(a: np.ndarray) -> bool:
    """Whether the (N, C, H, W) array ``a`` is a view of C-contiguous (C, H, W, N) memory (chaingrad.compile's
    batch-last replay, compiler/batch_last.py, passes such views; eager's arrays are (N, C, H, W) memory)."""
    return a.transpose(1, 2, 3, 0).flags.c_contiguous


def _batch_last(x: np.ndarray, pad) -> np.ndarray:
    """(N, C, H, W) -> a padded (C, H + top + bottom, W + left + right, N) copy (a work array), or unpadded x's
    own memory where it is batch-last already (the same values: no copy needed)."""
    n, c, h, w = x.shape
    top, bottom, left, right = pad
    if in_batch_last_memory(x):
        xt = x.transpose(1, 2, 3, 0)
    else:
        xt = transposed(x.reshape(n, c * h * w), work_array("xt", (c * h * w, n), x.dtype)).reshape(c, h, w, n)
    if not (top or bottom or left or right):
        return xt
    xp = work_array("xp", (c, h + top + bottom, w + left + right, n), x.dtype)
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


def _row_columns(x, kw, stride, padding, dilation, ow, new=None) -> np.ndarray:
    """The row columns (Hp, C, KW, OW, N) of (N, C, H, W): r[h, c, j] = padded row h of channel c, shifted by j
    (in a work array, or in ``new(shape, dtype)``)."""
    xt = _batch_last(x, padding)
    c, hp, _, n = xt.shape
    r = new((hp, c, kw, ow, n), x.dtype) if new else work_array("rows", (hp, c, kw, ow, n), x.dtype)
    for j in range(kw):
        c0 = j * dilation[1]
        r[:, :, j] = xt[:, :, c0:c0 + stride[1] * (ow - 1) + 1:stride[1]].transpose(1, 0, 2, 3)
    return r


def conv_forward(x, w, b, stride, padding, dilation, groups) -> np.ndarray:
    """The (N, O, OH, OW) cross-correlation of (N, C, H, W) by (O, C/groups, KH, KW), plus the bias ``b``: the
    batch-last product of ``conv_forward_batch_last``, transposed to (N, O, OH, OW)."""
    out, _ = conv_forward_batch_last(x, w, b, stride, padding, dilation, groups)
    o, oh, ow, n = out.shape
    return transposed(out.reshape(o * oh * ow, n)).reshape(n, o, oh, ow)


def conv_forward_batch_last(x, w, b, stride, padding, dilation, groups, new=None, new_rows=None) -> tuple:
    """The convolution in (O, OH, OW, N) memory (a work array, or ``new(shape, dtype)``), and the row columns it
    read where they are made by ``new_rows(shape, dtype)`` (else None; None too where it ran on full columns):
    ``conv_backward`` can take them instead of building them again.

    With groups == 1 and no dilation along H (the usual case) the GEMM is batched over output rows of the
    row columns (see ``_row_windows``); otherwise it runs on the full (C*KH*KW, OH*OW*N) columns.
    """
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = out_size(h, kh, stride[0], padding[0], padding[1], dilation[0])
    ow = out_size(wd, kw, stride[1], padding[2], padding[3], dilation[1])
    r = None
    if _by_rows(groups, dilation):
        r = _row_columns(x, kw, stride, padding, dilation, ow, new_rows)
        wr = w.transpose(0, 2, 1, 3).reshape(o, kh * c * kw)  # (O, (i, c, j)): the rows' order
        shape, dtype = (o, oh, ow * n), np.result_type(x, w)
        out = new(shape, dtype) if new else work_array("out", shape, dtype)
        np.matmul(wr, _row_windows(r, kh, stride[0], oh), out=out.transpose(1, 0, 2))
        out = out.reshape(o, oh * ow * n)
    else:
        cols = _columns(x, (kh, kw), stride, padding, dilation, (oh, ow))
        out = np.matmul(w.reshape(groups, o // groups, cg * kh * kw), cols.reshape(groups, c * kh * kw // groups, -1))
        out = out.reshape(o, oh * ow * n)
    if b is not None:
        out += b.reshape(o, 1).astype(out.dtype, copy=False)
    return out.reshape(o, oh, ow, n), (r if new_rows else None)


def conv_backward(g, x, w, stride, padding, dilation, groups, need, rows=None, new_gx=None) -> tuple:
    """The gradients (x, weight, bias) of ``conv_forward`` for the output gradient ``g``, each only where ``need``
    says (None otherwise). ``x`` gives the input's shape and, for the weight gradient, its values; ``rows``, when
    given, are the row columns the forward built from it (``conv_forward_batch_last(new_rows=...)``: the same
    values). With ``new_gx`` and no padding the x-gradient is an (N, C, H, W) view of the (C, H, W, N) array
    ``new_gx(shape, dtype)``."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh, ow = g.shape[2:]
    m = oh * ow * n
    top, bottom, left, right = padding
    hp, wp = h + top + bottom, wd + left + right
    if in_batch_last_memory(g):  # (g's own memory is the (O, OH*OW*N) array the copy would make)
        g_om = g.transpose(1, 2, 3, 0).reshape(o, m)
    else:
        g_om = transposed(g.reshape(n, o * oh * ow), work_array("g", (o * oh * ow, n), g.dtype)).reshape(o, m)
    gx = gw = gb = None
    if need[2]:
        gb = g_om.sum(1)
    if _by_rows(groups, dilation):
        if need[0] and stride[0] == 1:
            # g in (OH, O, OW*N) order with KH-1 zero rows on both sides: the input gradient below reads it
            gpad = work_array("gpad", (oh + 2 * (kh - 1), o, ow * n), g_om.dtype)
            gpad[:kh - 1] = 0
            gpad[kh - 1 + oh:] = 0
            g_rows = gpad[kh - 1:kh - 1 + oh]
            g_rows[...] = g_om.reshape(o, oh, ow * n).transpose(1, 0, 2)
        else:
            g_rows = g_om.reshape(o, oh, ow * n).transpose(1, 0, 2)  # (OH, O, OW*N)
        if need[1]:
            r = rows if rows is not None else _row_columns(x, kw, stride, padding, dilation, ow)
            win = _row_windows(r, kh, stride[0], oh)
            gw = np.matmul(g_rows, win.transpose(0, 2, 1)).sum(0)
            gw = gw.reshape(o, kh, c, kw).transpose(0, 2, 1, 3)
            del win, r
        if need[0] and stride[0] == 1:
            # the row columns' gradient is a transposed convolution along H, again one batched GEMM:
            # image row hr gets sum_i W_i^T g[hr - i], read from the zero-padded g
            step = ow * n * gpad.itemsize
            g_win = as_strided(gpad, (hp, kh * o, ow * n), (o * step, step, gpad.itemsize), writeable=False)
            w_flip = w[:, :, ::-1, :].transpose(1, 3, 2, 0).reshape(c * kw, kh * o)  # ((c, j), (KH-1-i, o))
            dr = work_array("drows", (hp, c * kw, ow * n), np.result_type(w, gpad))
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
            gxp = new_gx((c, hp, wp, n), dr.dtype) if new_gx else work_array("gx", (c, hp, wp, n), dr.dtype)
            gxp.fill(0)
            for j in range(kw):
                c0 = j * dilation[1]
                gxp[:, :, c0:c0 + stride[1] * (ow - 1) + 1:stride[1]] += dr[:, :, j].transpose(1, 0, 2, 3)
            del dr
    else:
        ck = c * kh * kw
        g_groups = g_om.reshape(groups, o // groups, m)
        if need[1]:
            cols = _columns(x, (kh, kw), stride, padding, dilation, (oh, ow))
            gw = np.matmul(g_groups, cols.reshape(groups, ck // groups, m).transpose(0, 2, 1)).reshape(w.shape)
            del cols
        if need[0]:
            dcols = np.matmul(w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1), g_groups)
            dc = dcols.reshape(c, kh, kw, oh, ow, n)
            gxp = np.zeros((c, hp, wp, n), dc.dtype)
            for i, j, rows, cs in _offsets((kh, kw), stride, dilation, (oh, ow)):
                gxp[:, rows, cs] += dc[:, i, j]
            del dc, dcols
    if need[0] and new_gx and not (top or bottom or left or right):
        gx = gxp.transpose(3, 0, 1, 2)
    elif need[0]:
        gx = transposed(gxp.reshape(c * hp * wp, n)).reshape(n, c, hp, wp)[:, :, top:top + h, left:left + wd]
    return gx, gw, gb


def _by_rows(groups: int, dilation) -> bool:
    """Whether the convolution runs on row columns (the usual case) rather than on the full columns."""
    return groups == 1 and dilation[0] == 1


def _columns(x, k, stride, padding, dilation, out) -> np.ndarray:
    """The full batch-last columns (C*KH*KW, OH*OW*N) of (N, C, H, W)."""
    xt = _batch_last(x, padding)
    c, n = xt.shape[0], xt.shape[3]
    cols = np.empty((c, k[0], k[1], out[0], out[1], n), x.dtype)
    for i, j, rows, cs in _offsets(k, stride, dilation, out):
        cols[:, i, j] = xt[:, rows, cs]
    return cols.reshape(c * k[0] * k[1], -1)


def block_sum(x: np.ndarray, k, out, batch_last: bool = False) -> np.ndarray:
    """Sum of each non-overlapping k[0] x k[1] block of (N, C, H, W) (remainder rows/columns left out); with
    ``batch_last`` (x a view of (C, H, W, N) memory) the sums are in that memory order too."""
    def add(parts, buffer=None):
        if len(parts) == 1:
            return parts[0] if buffer is not None else parts[0].copy(order="K" if batch_last else "C")
        total = np.add(parts[0], parts[1], out=buffer)  # (a new array in its operands' memory order)
        for part in parts[2:]:
            total += part
        return total

    parts = [x[:, :, i:i + k[0] * (out[0] - 1) + 1:k[0], :out[1] * k[1]] for i in range(k[0])]
    shape = parts[0].shape
    buffer = work_array("pool", shape[1:] + shape[:1], x.dtype).transpose(3, 0, 1, 2) if batch_last else \
        work_array("pool", shape, x.dtype)
    rows = add(parts, buffer)  # sums over block rows: never returned
    return add([rows[..., j::k[1]] for j in range(k[1])])


def avg_blocks(x: np.ndarray, k, out, scale: float, batch_last: bool = False) -> np.ndarray:
    """Average pooling of (N, C, H, W) by non-overlapping k[0] x k[1] blocks (AvgPoolBlocks' forward): the
    block sums times ``scale``."""
    total = block_sum(x, k, out, batch_last)
    total *= total.dtype.type(scale)
    return total


def scaled(g: np.ndarray, scale: float) -> np.ndarray:
    """g * scale, in g's dtype: each block's value of ``unpool_blocks``."""
    return g * g.dtype.type(scale)


def unpool_blocks(g: np.ndarray, k, size, scale: float, new=None) -> np.ndarray:
    """(N, C, H, W) of size ``size`` where each k[0] x k[1] block holds its value of g (N, C, OH, OW) times
    ``scale`` (AvgUnpoolBlocks' forward; rows and columns past the last block are 0); with ``new`` an
    (N, C, H, W) view of the (C, H, W, N) array ``new(shape, dtype)``."""
    n, c, oh, ow = g.shape
    gs = scaled(g, scale)
    h, w = size
    exact = (h, w) == (oh * k[0], ow * k[1])
    # one output buffer, no intermediates (big fresh arrays cost page faults): the first row of every
    # block gets k1 strided copies, the other rows copy it (the rows and columns past the last block are 0)
    if new is not None:
        out = new((c, h, w, n), g.dtype).transpose(3, 0, 1, 2)
        if not exact:
            out.fill(0)
    else:
        out = np.empty((n, c, h, w), g.dtype) if exact else np.zeros((n, c, h, w), g.dtype)
    if not exact:
        for i in range(k[0]):
            for j in range(k[1]):
                out[:, :, i:i + k[0] * (oh - 1) + 1:k[0], j:j + k[1] * (ow - 1) + 1:k[1]] = gs
        return out
    blocks = out.reshape(n, c, oh, k[0], ow, k[1])  # (splitting axes: a view in either memory order)
    for j in range(k[1]):
        blocks[:, :, :, 0, :, j] = gs
    for i in range(1, k[0]):
        blocks[:, :, :, i] = blocks[:, :, :, 0]
    return out
