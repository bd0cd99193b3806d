"""Softmax, log-softmax and the fused, numerically stable cross-entropy used by classifiers."""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim
from ._dispatch import to_float
from .shape import broadcast_tensors


class Softmax(Node):
    formulas = ("dL/dx = out * (dL/dout - sum(dL/dout * out, dim))",)

    def forward(ctx, x, dim=-1):
        e = np.exp(x - np.amax(x, axis=dim, keepdims=True))
        out = e / np.sum(e, axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return out * (g - (g * out).sum(ctx.dim, keepdim=True))


class LogSoftmax(Node):
    formulas = ("dL/dx = dL/dout - softmax(x) * sum(dL/dout, dim)",)
    backward_on_arrays = True  # (on arrays: np.exp and np.add.reduce, the calls Tensor's exp and sum make)

    def forward(ctx, x, dim=-1):
        shifted = x - np.amax(x, axis=dim, keepdims=True)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        if isinstance(g, Tensor):  # create_graph: recorded
            return g - out.exp() * g.sum(ctx.dim, keepdim=True)
        return g - np.exp(out) * np.add.reduce(g, axis=(ctx.dim % g.ndim,), keepdims=True)


def check_targets(target: np.ndarray, classes: int, ignore_index: int) -> None:
    """Every target not ``ignore_index`` is a class index in [0, classes) (a negative one would silently pick a
    class from the end). NllLoss runs it on every call, so a compiled replay does too."""
    bad = (target < 0) | (target >= classes)
    if bad.any():
        bad &= target != ignore_index
        if bad.any():
            raise IndexError(f"Target {target[bad][0]} is out of bounds: nll_loss expects class indices in "
                             f"[0, {classes - 1}] for {classes} classes")


class NllLoss(Node):
    """-w[t_i] * logp[i, t_i] for each row i of log-probabilities (N, C), then their sum, their weighted mean
    (divided by the summed weights) or each ('none'). Rows whose target is ``ignore_index`` have weight 0."""

    input_names = ("logp",)
    formulas = ("dL/dlogp[i, t_i] = -w_i * dL/dout (/ sum of w for 'mean'), 0 elsewhere",)

    def forward(ctx, logp, target=None, weight=None, ignore_index=-100, reduction="mean"):
        check_targets(target, logp.shape[1], ignore_index)
        valid = target != ignore_index
        target = np.where(valid, target, 0)  # (an ignored row picks class 0, with weight 0)
        weights = np.ones(logp.shape[0], logp.dtype) if weight is None else weight[target].astype(logp.dtype)
        weights = weights * valid
        rows = np.arange(logp.shape[0])
        ctx.target, ctx.weights, ctx.reduction, ctx.shape = target, weights, reduction, logp.shape
        losses = -logp[rows, target] * weights
        if reduction == "none":
            return losses
        total = np.sum(losses)
        if reduction == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):  # all rows ignored: nan, as torch
            return np.asarray(total / np.sum(weights), dtype=logp.dtype)

    backward_on_arrays = True  # (on arrays: the same product, without a Tensor around picked)

    def backward(ctx, g):
        tensor = isinstance(g, Tensor)  # create_graph: recorded
        picked = np.zeros(ctx.shape, dtype=(g._data if tensor else g).dtype)
        picked[np.arange(ctx.shape[0]), ctx.target] = -ctx.weights
        if ctx.reduction == "none":
            return Tensor._wrap(picked) * g.unsqueeze(1) if tensor else picked * g[:, None]
        if ctx.reduction == "mean":
            picked /= np.sum(ctx.weights)
        return Tensor._wrap(picked) * g if tensor else picked * g


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``, computed without overflow."""
    if dtype is not None:
        input = input.to(dtype)
    input = to_float(input)
    if dim is None:
        dim = _softmax_dim(input._data.ndim, "softmax")
    if input._data.ndim == 0:
        return apply(Softmax, input.reshape(1), dim=0).reshape(())
    return apply(Softmax, input, dim=_check_dim(dim, input._data.ndim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably (never log of 0)."""
    if dtype is not None:
        input = input.to(dtype)
    input = to_float(input)
    if dim is None:
        dim = _softmax_dim(input._data.ndim, "log_softmax")
    if input._data.ndim == 0:
        return apply(LogSoftmax, input.reshape(1), dim=0).reshape(())
    return apply(LogSoftmax, input, dim=_check_dim(dim, input._data.ndim, "log_softmax"))


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction ({op}: use 'mean', 'sum' or 'none')")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """The ``reduction`` that the deprecated ``size_average``/``reduce`` flags ask for (with torch's warning), or
    ``reduction`` itself when neither is given: reduce=False is "none", else size_average=False is "sum"."""
    if size_average is None and reduce is None:
        return reduction
    reduce = True if reduce is None else reduce
    size_average = True if size_average is None else size_average
    chosen = "none" if not reduce else "mean" if size_average else "sum"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{chosen}' instead.",
                  UserWarning, stacklevel=3)
    return chosen


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities (N, C) or (N, C, d1, ...)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "nll_loss")
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"expected scalar type Long but found {target.dtype} (nll_loss targets are class "
                           "indices; use .long())")
    x = input
    target_shape = target._data.shape
    if x._data.ndim == 1:
        x, target = x.unsqueeze(0), target.reshape(1)
    if x._data.ndim > 2:  # (N, C, d1, ...) -> (N * d1 * ..., C)
        c = x._data.shape[1]
        x = x.movedim(1, -1).reshape(-1, c)
        target = target.reshape(-1)
    n, c = x._data.shape
    t = target._data
    if t.shape[0] != n:
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size ({t.shape[0]}).")
    check_targets(t, c, ignore_index)
    losses = apply(NllLoss, x, target=t, weight=None if weight is None else weight._data, ignore_index=ignore_index,
                   reduction=reduction)
    if reduction == "none" and losses._data.shape != target_shape:
        return losses.reshape(target_shape)
    return losses


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits against class indices or class probabilities: as torch computes it,
    nll_loss(log_softmax(input)) for class indices."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    t = target._data
    class_dim = 1 if input._data.ndim > 1 else 0
    logp = log_softmax(input, class_dim)
    c = input._data.shape[class_dim]
    if t.dtype.kind == "f":  # class probabilities
        if t.shape != input._data.shape:
            if t.ndim == input._data.ndim - 1:  # meant as class indices, but stored as floats
                raise RuntimeError(
                    f"cross_entropy: expected scalar type Long but found {target.dtype.name.capitalize()}: targets "
                    f"of shape {list(t.shape)} are read as class indices, which must be int64; use target.long() "
                    f"(or give class probabilities of the input's shape {list(input._data.shape)})")
            raise RuntimeError(f"cross_entropy: probability targets must have the input's shape "
                               f"{list(input._data.shape)}, got {list(t.shape)}")
        probs = target * (1 - label_smoothing) + label_smoothing / c if label_smoothing else target
        w = 1 if weight is None else weight.reshape([-1 if i == class_dim else 1 for i in range(input.ndim)])
        losses = -(logp * probs * w).sum(class_dim)
        if reduction == "mean":  # (torch divides by the count as a Scalar: DivBackward1)
            from .arithmetic import DIV_SCALAR

            return apply(DIV_SCALAR, losses.sum(), losses.numel() if input.ndim > 1 else 1)
        return _reduce(losses, reduction)
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"expected scalar type Long but found {target.dtype}: cross_entropy targets are class "
                           "indices (int64) or class probabilities (float, same shape as the input)")
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return nll
    valid = Tensor._wrap((t != ignore_index).astype(input._data.dtype))
    w = 1 if weight is None else weight.reshape([-1 if i == class_dim else 1 for i in range(input.ndim)])
    smooth = -(logp * w).sum(class_dim) * valid
    if reduction == "mean":
        denom = valid.sum() if weight is None else (weight[Tensor._wrap(np.where(t != ignore_index, t, 0))] *
                                                    valid).sum()
        smooth = smooth.sum() / denom
    else:
        smooth = _reduce(smooth, reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / c)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean squared error; warns like torch when the shapes differ (broadcasting is rarely meant)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "mse_loss")
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
                      "the same size.", stacklevel=2)
    return apply(MseLoss, *broadcast_tensors(input, target), reduction=reduction)


class MseLoss(Node):
    """(x - y)^2 per element, then their mean, their sum, or each ('none')."""

    input_names = ("x", "y")
    formulas = ("dL/dx = 2 (x - y) * dL/dout (/ N for 'mean')", "dL/dy = -2 (x - y) * dL/dout (/ N for 'mean')")

    def forward(ctx, x, y, reduction="mean"):
        ctx.save_for_backward(x, y)
        d = x - y
        ctx.reduction, ctx.n = reduction, d.size
        sq = d * d
        if reduction == "none":
            return sq
        return np.mean(sq) if reduction == "mean" else np.sum(sq)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = (x - y) * (g * (2.0 / ctx.n if ctx.reduction == "mean" else 2.0))
        return gx if ctx.needs_input_grad[0] else None, -gx if ctx.needs_input_grad[1] else None


class SmoothL1Loss(Node):
    """Per element, with d = x - y: 0.5 d^2 / beta where |d| < beta, else |d| - beta / 2; then reduced.
    ``huber``: 0.5 d^2 where |d| < beta, else beta (|d| - beta / 2) (beta is huber_loss's delta)."""

    input_names = ("x", "y")
    formulas = ("dL/dx = dL/dout * clamp(x - y, -beta, beta) / beta (huber: without / beta) (/ N for 'mean')",
                "dL/dy = -dL/dout * clamp(x - y, -beta, beta) / beta (huber: without / beta) (/ N for 'mean')")

    def forward(ctx, x, y, reduction="mean", beta=1.0, huber=False):
        ctx.save_for_backward(x, y)
        ctx.reduction, ctx.beta, ctx.huber = reduction, beta, huber
        z = np.abs(x - y)
        if huber:
            losses = np.where(z < beta, 0.5 * z * z, beta * (z - 0.5 * beta))
        else:
            losses = np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)
        ctx.n = losses.size
        return _reduced(losses, reduction)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        slope = (x - y).clamp(-ctx.beta, ctx.beta)  # d / beta inside the quadratic part, its sign outside
        gx = _reduced_grad(g, ctx.n, ctx.reduction) * (slope if ctx.huber else slope / ctx.beta)
        return gx if ctx.needs_input_grad[0] else None, -gx if ctx.needs_input_grad[1] else None


#: torch's node for huber_loss (the same derivative, without the division by beta)
HUBER_LOSS = SmoothL1Loss.named("HuberLossBackward0")


# -- layers and activations used by chaingrad.nn (forward on arrays, backward with Tensor ops) --------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight^T + bias, for input of shape (*, in_features) and weight (out_features, in_features)."""
    if input._data.dtype != weight._data.dtype or (bias is not None and bias._data.dtype != input._data.dtype):
        other = weight if input._data.dtype != weight._data.dtype else bias
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {input.dtype} and {other.dtype} "
                           "(linear: convert the input with .to(weight.dtype), or the model with .double()/.float())")
    if input._data.ndim == 0 or input._data.shape[-1] != weight._data.shape[-1]:
        rows = int(np.prod(input._data.shape[:-1])) if input._data.ndim > 1 else 1
        cols = input._data.shape[-1] if input._data.ndim else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} "
                           f"and {weight._data.shape[-1]}x{weight._data.shape[0]}): linear expects the input's last "
                           f"dim to be in_features={weight._data.shape[-1]}")
    # recorded as torch records it: addmm(bias, x, weight.t()) (mm without a bias), a batch folded into rows
    from .linalg import MM, matmul
    from .matrix import ADDMM

    wt = weight.t()
    if input._data.ndim == 2:
        return apply(MM, input, wt) if bias is None else apply(ADDMM, bias, input, wt)
    if bias is None:
        return matmul(input, wt)
    rows = apply(ADDMM, bias, input.reshape(-1, input._data.shape[-1]), wt)
    return rows.view(*input._data.shape[:-1], weight._data.shape[0])


class LeakyRelu(Node):
    formulas = ("dL/dx = dL/dout * (1 if x > 0 else negative_slope)",)

    def forward(ctx, x, negative_slope=0.01):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return np.where(x > 0, x, x * negative_slope)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        slope = np.where(x._data > 0, 1, ctx.negative_slope).astype(g._data.dtype)
        return g * Tensor._wrap(slope)


def _erf(a: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erf
    except ImportError:  # scipy is optional: fall back to the standard library, element by element
        import math

        return np.frompyfunc(math.erf, 1, 1)(a).astype(a.dtype)
    return erf(a).astype(a.dtype, copy=False)


class NormalCdf(Node):
    """Phi(x) = (1 + erf(x / sqrt(2))) / 2, the standard normal CDF (used by exact GELU)."""

    formulas = ("dL/dx = dL/dout * exp(-x^2 / 2) / sqrt(2 pi)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (0.5 * (1.0 + _erf(x * (1 / np.sqrt(2))))).astype(x.dtype, copy=False)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x * x * -0.5).exp() * (1 / np.sqrt(2 * np.pi))


class Gelu(Node):
    formulas = ("dL/dx = dL/dout * (Phi(x) + x * phi(x))",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        cdf = 0.5 * (1.0 + _erf(x * (1 / np.sqrt(2))))
        return (x * cdf).astype(x.dtype, copy=False)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        pdf = (x * x * -0.5).exp() * (1 / np.sqrt(2 * np.pi))
        return g * (apply(NormalCdf, x) + x * pdf)


_GELU_BETA, _GELU_KAPPA = float(np.sqrt(2 / np.pi)), 0.044715


class GeluTanh(Node):
    """GELU's tanh approximation: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), torch's ``approximate='tanh'``."""

    torch_name = "GeluBackward0"
    formulas = ("dL/dx = dL/dout * ((1 + t) / 2 + x / 2 * (1 - t^2) * sqrt(2/pi) * (1 + 3 * 0.044715 x^2)), "
                "t = tanh(sqrt(2/pi) (x + 0.044715 x^3))",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        c = x.dtype.type
        inner = c(_GELU_BETA) * (x + c(_GELU_KAPPA) * (x * x * x))
        return c(0.5) * x * (c(1) + np.tanh(inner))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        t = ((x + _GELU_KAPPA * (x * x * x)) * _GELU_BETA).tanh()
        slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _GELU_BETA * (1 + 3 * _GELU_KAPPA * (x * x))
        return g * slope


class Softplus(Node):
    """log(1 + exp(beta x)) / beta, linear above ``threshold`` (as torch); never overflows."""

    formulas = ("dL/dx = dL/dout * sigmoid(beta * x)  (1 where beta * x > threshold)",)

    def forward(ctx, x, beta=1.0, threshold=20.0):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        z = x * beta
        out = np.logaddexp(np.zeros((), x.dtype), z) / beta
        if threshold is not None:
            out = np.where(z > threshold, x, out)
        return out.astype(x.dtype, copy=False)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = g * (x * ctx.beta).sigmoid() if ctx.beta != 1 else g * x.sigmoid()
        if ctx.threshold is None:
            return s
        from .elementwise import where

        return where(Tensor._wrap(x._data * ctx.beta > ctx.threshold), g, s)


def _reduced(losses: np.ndarray, reduction: str) -> np.ndarray:
    """The per-element losses, their mean or their sum (a loss node's last step, as torch fuses it)."""
    if reduction == "none":
        return losses
    return np.asarray(np.mean(losses) if reduction == "mean" else np.sum(losses), dtype=losses.dtype)


def _reduced_grad(g: Tensor, n: int, reduction: str) -> Tensor:
    """dL/dout spread back to each element's loss (divided by n for 'mean')."""
    return g / n if reduction == "mean" else g


class BinaryCrossEntropy(Node):
    """-w (y log x + (1 - y) log(1 - x)) per element, logs clamped at -100 as torch does; then reduced."""

    input_names = ("x", "y")
    formulas = ("dL/dx = dL/dout * w (x - y) / max(x (1 - x), 1e-12)  (/ N for 'mean')",
                "dL/dy = dL/dout * w (log(1 - x) - log(x))  (/ N for 'mean')")

    def forward(ctx, x, y, weight=None, reduction="mean"):
        ctx.save_for_backward(x, y)
        ctx.weight, ctx.reduction, ctx.n = weight, reduction, x.size
        log_x = np.maximum(np.log(x), -100)
        log_1mx = np.maximum(np.log1p(-x), -100)
        losses = -(y * log_x + (1 - y) * log_1mx)
        return _reduced(losses if weight is None else losses * weight, reduction)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = _reduced_grad(g, ctx.n, ctx.reduction)
        if ctx.weight is not None:
            g = g * Tensor._wrap(ctx.weight)
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - y) / ((1 - x) * x).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            gy = g * ((-x).log1p().clamp(min=-100) - x.log().clamp(min=-100))
        return gx, gy


class BinaryCrossEntropyWithLogits(Node):
    """BCE of sigmoid(x) computed stably, per element: w ((1 - y) x + (1 + (p - 1) y) softplus(-x)), p the
    weight of the positive class (``pos_weight``, 1 without one); then reduced."""

    input_names = ("x", "y")
    formulas = ("dL/dx = dL/dout * w ((1 - y) - (1 + (p - 1) y) sigmoid(-x))  (= w (sigmoid(x) - y) for p = 1)",
                "dL/dy = dL/dout * w ((p - 1) softplus(-x) - x)")

    def forward(ctx, x, y, weight=None, pos_weight=None, reduction="mean"):
        ctx.save_for_backward(x, y)
        ctx.weight, ctx.pos_weight, ctx.reduction, ctx.n = weight, pos_weight, reduction, x.size
        softplus_neg = np.logaddexp(0, -x)  # log(1 + exp(-x)) = -log sigmoid(x), without overflow
        log_weight = 1 if pos_weight is None else (pos_weight - 1) * y + 1
        losses = (1 - y) * x + log_weight * softplus_neg
        return _reduced(losses if weight is None else losses * weight, reduction)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = _reduced_grad(g, ctx.n, ctx.reduction)
        if ctx.weight is not None:
            g = g * Tensor._wrap(ctx.weight)
        p = None if ctx.pos_weight is None else Tensor._wrap(ctx.pos_weight)
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = g * (x.sigmoid() - y if p is None else (1 - y) - ((p - 1) * y + 1) * (-x).sigmoid())
        if ctx.needs_input_grad[1]:
            gy = g * (-x if p is None else (p - 1) * apply(Softplus, -x, beta=1.0, threshold=None) - x)
        return gx, gy


class Split(Node):
    """One node, many outputs: the pieces of ``x`` along ``dim`` (or its slices, with ``squeeze``).

    Unlike indexing piece by piece, the backward is a single cat/stack of the pieces' gradients, so
    splitting a (T, ...) tensor into T steps costs O(T), not O(T^2), in backward (RNNs need this).
    """

    formulas = ("dL/dx = cat(dL/dpiece_1, ..., dL/dpiece_n) along dim",)

    def forward(ctx, x, dim=0, sizes=(), squeeze=False):
        ctx.dim, ctx.squeeze = dim, squeeze
        if squeeze:
            pieces = tuple(np.take(x, i, axis=dim) for i in range(x.shape[dim]))
        else:
            pieces = tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim))
        return pieces if len(pieces) != 1 else pieces[0]

    def backward(ctx, *grads):
        from .shape import cat, stack

        return stack(list(grads), ctx.dim) if ctx.squeeze else cat(list(grads), ctx.dim)


def split_outputs(x: Tensor, sizes, dim: int = 0, squeeze: bool = False, with_sizes: bool = False
                  ) -> tuple[Tensor, ...]:
    """``x.split(sizes, dim)`` (or ``x.unbind(dim)`` with ``squeeze``) as one multi-output node, named as torch
    names it: SplitBackward0, SplitWithSizesBackward0 (split by a list of sizes) or UnbindBackward0."""
    dim = _check_dim(dim, x._data.ndim, "split")
    n = x._data.shape[dim] if squeeze else len(sizes)
    name = "UnbindBackward0" if squeeze else "SplitWithSizesBackward0" if with_sizes else "SplitBackward0"
    out = apply(Split.named(name, num_outputs=n), x, dim=dim, sizes=tuple(sizes or ()), squeeze=squeeze)
    return out if isinstance(out, tuple) else (out,)


def _attach() -> None:
    Tensor.softmax = softmax
    Tensor.log_softmax = log_softmax


_attach()
