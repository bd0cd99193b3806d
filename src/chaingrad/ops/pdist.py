"""``pdist``: the p-norm distance between each pair of rows i < j of an (N, M) matrix, one node as in torch
(``PdistBackward0``), with the derivative of torch's kernel (0 where a distance is 0; for p = inf every entry
that reaches the maximum gets the gradient). The backward is written with tensor operations, so it can itself be
differentiated (torch's cannot)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor
from .index import IndexAdd


def _distances(d: np.ndarray, p: float) -> np.ndarray:
    a = np.abs(d)
    if p == 0:
        return np.sum(a != 0, axis=1).astype(d.dtype)
    if p == 1:
        return np.sum(a, axis=1)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=1))
    if math.isinf(p):
        return np.max(a, axis=1, initial=0)
    return np.sum(a ** p, axis=1) ** (1 / p)


class Pdist(Node):
    """out[k] = ||x[i] - x[j]||_p for the k-th pair (i, j), i < j, in the order of triu_indices(N, N, 1)."""

    formulas = ("dL/dx[i] = sum over the pairs (i, j) of dL/dout[k] * dout[k]/dd, minus the same over the pairs "
                "(j, i), where d = x[i] - x[j] and dout/dd = sign(d) |d|^(p-1) / out^(p-1) (d / out for p = 2, "
                "sign(d) for p = 1, sign(d) where |d| = out for p = inf, 0 for p = 0 and where out = 0)",)

    def forward(ctx, x, p=2.0):
        rows, cols = np.triu_indices(x.shape[0], 1)
        ctx.rows, ctx.cols, ctx.p = rows, cols, p
        out = _distances(x[rows] - x[cols], p)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        rows, cols, p = ctx.rows, ctx.cols, ctx.p
        if p == 0 or not rows.size:
            return Tensor._wrap(np.zeros(x.shape, x._data.dtype))
        d = x[Tensor._wrap(rows)] - x[Tensor._wrap(cols)]
        g = g.unsqueeze(1)
        if p == 1:
            gd = d.sign() * g
        elif math.isinf(p):
            gd = g * d.sign() * Tensor._wrap((np.abs(d._data) == out._data[:, None]).astype(d._data.dtype))
        else:
            zero = out._data == 0
            # 0 where a distance (or, for p < 1, a difference) is 0; the 0s replaced by 1s where they would divide
            dist = (out + Tensor._wrap(zero.astype(d._data.dtype))).unsqueeze(1)
            kept = ~zero[:, None] & ((d._data != 0) | (p >= 1))
            if p == 2:
                gd = g * d / dist
            else:
                size = d.abs() + Tensor._wrap((d._data == 0).astype(d._data.dtype))
                lead = d.sign() * size ** (p - 1) if p < 2 else d * size ** (p - 2)
                gd = lead * g / dist ** (p - 1)
            gd = gd * Tensor._wrap(kept.astype(d._data.dtype))
        shape = tuple(x.shape)
        return (apply(IndexAdd, gd, index=(rows,), basic=False, shape=shape)
                - apply(IndexAdd, gd, index=(cols,), basic=False, shape=shape))
