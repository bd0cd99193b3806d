"""The margin losses torch computes as one node each: soft margin (``SoftMarginLossBackward0``), multi-class margin
(``MultiMarginLossBackward0``) and multi-label margin (``MultilabelMarginLossBackward0``), the reduction included.

Forward on arrays as torch's CPU kernels compute it; each backward is written with tensor operations (on the
saved input, and on masks of which hinges are active), so it can itself be differentiated (torch itself has no
second derivative of the two class-index margin losses). Soft margin's gradient is a node of its own, as torch
records it with ``create_graph=True`` (``SoftMarginLossBackwardBackward0``).
"""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor


def _reduced(losses: np.ndarray, reduction: str) -> np.ndarray:
    """The losses, their mean (NaN for no losses) or their sum."""
    if reduction == "none":
        return losses
    if reduction == "mean":
        return np.asarray(np.mean(losses) if losses.size else np.nan, dtype=losses.dtype)
    return np.asarray(np.sum(losses), dtype=losses.dtype)


def _per_sample(g: Tensor, n: int, reduction: str) -> Tensor:
    """dL/dout as one factor per sample, shape (n, 1): each loss's gradient (divided by n for 'mean')."""
    if reduction == "none":
        return g.reshape(n, 1)
    return g / max(n, 1) if reduction == "mean" else g


class SoftMarginLoss(Node):
    """log(1 + exp(-y x)) per element (as torch: log1p of exp), then their mean, their sum or each ('none')."""

    formulas = ("dL/dx = -y exp(-y x) / (1 + exp(-y x)) * dL/dout  (/ N for 'mean')",)

    def forward(ctx, x, target=None, reduction="mean"):
        y = np.broadcast_to(target.astype(x.dtype, copy=False), x.shape)
        ctx.save_for_backward(x)
        ctx.target, ctx.reduction = y, reduction
        with np.errstate(over="ignore"):
            return _reduced(np.log1p(np.exp(-x * y)), reduction)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return apply(SoftMarginLossBackward, g, x, target=ctx.target, reduction=ctx.reduction)


class SoftMarginLossBackward(Node):
    """The gradient of SoftMarginLoss: -y z / (1 + z) * g (/ N for 'mean') with z = exp(-y x), as torch records it
    (``SoftMarginLossBackwardBackward0``, with edges to g and x)."""

    input_names = ("g", "x")
    formulas = ("dL/dg = dL/dout * -y z / (1 + z)  (/ N for 'mean'), summed to g's shape",
                "dL/dx = dL/dout * g y^2 z / (1 + z)^2  (/ N for 'mean')")

    def forward(ctx, g, x, target=None, reduction="mean"):
        ctx.save_for_backward(g, x)
        ctx.target, ctx.reduction = target, reduction
        ctx.norm = 1 / max(x.size, 1) if reduction == "mean" else 1.0
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.exp(-target * x)
            return (target * z * x.dtype.type(-ctx.norm) / (1 + z) * g).astype(x.dtype, copy=False)

    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        y = Tensor._wrap(ctx.target)
        z = (-y * x).exp()
        dg = dx = None
        if ctx.needs_input_grad[0]:
            dg = y * z * (-ctx.norm) / (1 + z) * gg
        if ctx.needs_input_grad[1]:
            dx = gg * g * (y * y) * z / ((1 + z) * (1 + z)) * ctx.norm
        return dg, dx


class MultiMarginLoss(Node):
    """Per sample i with target class y: sum over classes j != y of w[y] max(0, margin - x[y] + x[j])^p, divided by
    the number of classes C; then reduced. ``x`` is read as (n, C) (a 0-d or 1-d input is one sample)."""

    formulas = ("dL/dx[i, j] = h[i, j] for j != y_i and dL/dx[i, y_i] = -sum over j of h[i, j], with h = "
                "w[y_i] (1, or 2 z for p = 2) / C * dL/dout where z = margin - x[i, y_i] + x[i, j] > 0, else 0",)

    def forward(ctx, input, target=None, p=1, margin=1.0, weight=None, reduction="mean", n=1, c=1, out_shape=()):
        x, target = input.reshape(n, c), target.reshape(n)
        if target.size and (target.min() < 0 or target.max() >= c):  # (here, so that a compiled replay checks too)
            raise RuntimeError("target out of range")
        rows = np.arange(n)
        z = margin - x[rows, target][:, None] + x
        active = (z > 0) & (np.arange(c) != target[:, None])
        hinge = np.where(active, z, 0)
        if p == 2:
            hinge = hinge * hinge
        if weight is not None:
            hinge = hinge * weight[target][:, None].astype(x.dtype)
        losses = np.sum(hinge, axis=1) / x.dtype.type(c)
        ctx.save_for_backward(input)
        ctx.target, ctx.p, ctx.margin, ctx.weight, ctx.reduction = target, p, margin, weight, reduction
        ctx.n, ctx.c = n, c
        ctx.active = active
        return losses.reshape(out_shape) if reduction == "none" else _reduced(losses, reduction)

    def backward(ctx, g):
        (input,) = ctx.saved_tensors
        n, c, t = ctx.n, ctx.c, ctx.target
        x = input.reshape(n, c)
        mask = Tensor._wrap(ctx.active.astype(x._data.dtype))
        scale = 1.0 / c if ctx.weight is None else Tensor._wrap((ctx.weight[t] / c).astype(x._data.dtype)[:, None])
        if ctx.p == 2:
            z = ctx.margin - x.gather(1, Tensor._wrap(t[:, None])) + x
            h = 2 * z * mask * scale
        else:
            h = mask * scale
        h = h * _per_sample(g, n, ctx.reduction)
        is_target = Tensor._wrap((np.arange(c) == t[:, None]).astype(x._data.dtype))
        return (h - is_target * h.sum(1, keepdim=True)).reshape(input.shape)


class MultilabelMarginLoss(Node):
    """Per sample: the sum over its target classes j and its other classes k of max(0, 1 - (x[j] - x[k])), divided
    by the number of classes C; then reduced. A sample's targets are its target row's entries before the first
    -1. ``x`` is read as (n, C) (a 0-d or 1-d input is one sample)."""

    formulas = ("dL/dx[i, k] = (the number of pairs (j, k) with an active hinge, k not a target, minus the number "
                "of pairs (k, m) with an active hinge, k a target) / C * dL/dout; a hinge is active where "
                "1 - x[i, j] + x[i, m] > 0",)

    def forward(ctx, input, target=None, reduction="mean", n=1, c=1, out_shape=()):
        x, target = input.reshape(n, c), target.reshape(n, c)
        listed = np.cumprod(target >= 0, axis=1).astype(bool)  # the targets before the first -1
        if ((target >= c) & listed).any():  # (here, so that a compiled replay checks too)
            raise RuntimeError("argument #2 'target' is out of range")
        picked = np.where(listed, target, 0)
        is_target = (np.where(listed, target, -1)[:, :, None] == np.arange(c)).any(1)  # (n, c)
        x_target = np.take_along_axis(x, picked, axis=1)  # (n, c): x[y_j] for each listed target j
        z = 1 - x_target[:, :, None] + x[:, None, :]  # (n, j, k)
        active = (z > 0) & listed[:, :, None] & ~is_target[:, None, :]
        losses = np.sum(np.where(active, z, 0), axis=(1, 2)) / x.dtype.type(c)
        # each active pair (j, k) adds 1 to k's gradient and takes 1 from its target class y_j's
        counts = np.sum(active, axis=1).astype(x.dtype)
        np.add.at(counts, (np.arange(n)[:, None], picked), -np.sum(active, axis=2).astype(x.dtype))
        ctx.counts = (counts / x.dtype.type(c)).reshape(input.shape)
        ctx.reduction, ctx.n = reduction, n
        return losses.reshape(out_shape) if reduction == "none" else _reduced(losses, reduction)

    def backward(ctx, g):
        counts = Tensor._wrap(ctx.counts.astype(g._data.dtype, copy=False))
        if ctx.reduction == "none" and counts.ndim == 2:
            return counts * g.unsqueeze(1)
        return counts * (g / max(ctx.n, 1) if ctx.reduction == "mean" else g)
