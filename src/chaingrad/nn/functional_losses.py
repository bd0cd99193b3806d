"""Margin, embedding and likelihood losses of torch.nn.functional: hinge embedding, soft margin, multi-label soft
margin, multi-class margin, multi-label margin, margin ranking, cosine embedding, triplet margin (with a distance
function), Poisson NLL and Gaussian NLL.

Each is written with differentiable Tensor operations, so its gradients (of any order) come from theirs, except
soft margin, multi-class margin and multi-label margin, which are one node each as in torch (ops/margin_losses.py);
the reduction is torch's (``size_average``/``reduce`` read by ``legacy_reduction`` where torch still takes them).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.node import apply
from ..ops._checks import scalar_type
from ..ops.activations import LogSigmoid
from ..ops.arithmetic import minimum, where
from ..ops.margin_losses import MultilabelMarginLoss, MultiMarginLoss, SoftMarginLoss
from ..ops.nn_ops import _reduce, legacy_reduction
from ..tensor import Tensor


def _reduction(size_average, reduce, reduction: str) -> str:
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _logsigmoid(x: Tensor) -> Tensor:
    return apply(LogSigmoid, x)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """x where the target is 1, max(0, margin - x) where it is -1 (torch adds both parts for other targets)."""
    reduction = _reduction(size_average, reduce, reduction)
    below_margin = where(target != 1, (margin - input).clamp_min(0), 0.0)
    itself = where(target != -1, input, 0.0)
    return _reduce(below_margin + itself, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) per element, for targets y of 1 or -1 (computed as torch does: log1p of exp)."""
    reduction = _reduction(size_average, reduce, reduction)
    if isinstance(target, Tensor) and target.requires_grad:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect to argument "
                           "'target'. This input cannot have requires_grad True.")
    y = target._data if isinstance(target, Tensor) else np.asarray(target)
    if np.broadcast_shapes(y.shape, input.shape) != input.shape:
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape "
                           f"{list(np.broadcast_shapes(y.shape, input.shape))} (soft_margin_loss: the target "
                           "must broadcast to the input's shape)")
    return apply(SoftMarginLoss, input, target=y, reduction=reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """-(y log sigmoid(x) + (1 - y) log sigmoid(-x)), times weight, averaged over the classes (the last dim)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    loss = -(target * _logsigmoid(input) + (1 - target) * _logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.size(class_dim)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """exp(x) - y x for log-rates x (``log_input``), else x - y log(x + eps); ``full`` adds Stirling's
    approximation of log(y!) where y > 1."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    losses = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        t = target
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        losses = losses + stirling.masked_fill(t <= 1, 0)
    return _reduce(losses, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): y = 1 asks x1 to rank above x2 by the margin, y = -1 below."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where the target is 1, max(0, cos(x1, x2) - margin) where it is -1 (0 for other targets);
    the cosine along the last dim, as torch computes it: sum(x1 x2) / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))."""
    reduction = _reduction(size_average, reduce, reduction)
    dim = target.dim()
    if dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.dim() != dim + 1 or input2.dim() != dim + 1:
        raise RuntimeError(f"{dim}D target tensor expects {dim + 1}D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    product = (input1 * input2).sum(dim)
    squares1, squares2 = (input1 * input1).sum(dim) + eps, (input2 * input2).sum(dim) + eps
    cos = product / (squares1 * squares2).sqrt()
    zeros = cos * 0
    losses = where(target == 1, 1 - cos, zeros) + where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(losses, reduction)


def _class_indices(target: Tensor, name: str) -> np.ndarray:
    t = target._data
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {scalar_type(target)} ({name} targets "
                           "are class indices; use .long())")
    return t


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Per sample: sum over the classes j other than the target y of w[y] max(0, margin - x[y] + x[j])^p, divided
    by the number of classes. Input (C) or (N, C), target () / (1) or (N)."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    shape = list(input.shape)
    if not ((input.ndim == 2 and shape[1]) or (input.ndim == 1 and shape[0]) or input.ndim == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {shape}")
    n, c = (1, shape[0] if shape else 1) if input.ndim <= 1 else (shape[0], shape[1])
    t = _class_indices(target, "multi_margin_loss")
    if t.ndim > 1 or t.size != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {list(t.shape)}. Input has "
                           f"shape {shape}.")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    if weight is not None and weight.requires_grad:
        raise RuntimeError("The function 'multi_margin_loss' is not differentiable with respect to argument "
                           "'weight'. This input cannot have requires_grad True.")
    out_shape = (n,) if input.ndim == 2 else t.shape
    return apply(MultiMarginLoss, input, target=t, p=p, margin=margin,
                 weight=None if weight is None else weight._data, reduction=reduction, n=n, c=c, out_shape=out_shape)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Per sample: the sum over its target classes j and its other classes k of max(0, 1 - (x[j] - x[k])), divided
    by the number of classes. A sample's targets are the class indices of its target row before the first -1."""
    reduction = _reduction(size_average, reduce, reduction)
    shape = list(input.shape)
    if not ((input.ndim == 2 and shape[1]) or (input.ndim == 1 and shape[0]) or input.ndim == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {shape}")
    t = _class_indices(target, "multilabel_margin_loss")
    if list(t.shape) != shape:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: {shape}")
    n, c = (1, shape[0] if shape else 1) if input.ndim <= 1 else (shape[0], shape[1])
    return apply(MultilabelMarginLoss, input, target=t, reduction=reduction, n=n, c=c,
                 out_shape=(n,) if input.ndim == 2 else ())


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-norm distance (``swap``: d(a, n) replaced by
    d(p, n) where that is smaller)."""
    from .functional import pairwise_distance

    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _triplet(anchor, positive, negative,
                    lambda x1, x2: pairwise_distance(x1, x2, p, eps), margin, swap, reduction)


def _triplet(anchor: Tensor, positive: Tensor, negative: Tensor, distance: Callable, margin: float, swap: bool,
             reduction: str) -> Tensor:
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           "inputs")
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, distance(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """triplet_margin_loss with any distance function (pairwise_distance by default)."""
    from .functional import pairwise_distance

    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _triplet(anchor, positive, negative, distance_function or pairwise_distance, margin, swap, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) with ``full``). ``var`` has
    the input's shape, or one dim fewer, or one dim of size 1 (shared across it), or is a float. The clamp to eps
    is not differentiated (the gradient reaches var as if unclamped), as in torch."""
    from .. import any as _any
    from .. import ones_like

    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif _any(var < 0):  # (an int var fails here, with torch's TypeError)
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():  # one variance per sample, shared over the last dim
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim
                  and sum(b for a, b in zip(input.size(), var.size()) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    clamped = var.clone()  # type: ignore[union-attr]  # (a Tensor by now)
    with no_grad():
        clamped.clamp_(min=eps)
    loss = 0.5 * (clamped.log() + (input - target) ** 2 / clamped)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


__all__ = ["cosine_embedding_loss", "gaussian_nll_loss", "hinge_embedding_loss", "margin_ranking_loss",
           "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss", "poisson_nll_loss",
           "soft_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss"]
