"""torch.nn.functional's names: layers as functions, activations, normalization and losses.

Differentiable kernels live in ``chaingrad.ops`` (nn_ops, conv); what is here composes them with Tensor
operations, so every function is differentiable (to any order) without its own backward rule.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.node import Node, apply
from ..ops.conv import conv1d, conv2d  # noqa: F401
from ..ops.elementwise import relu, sigmoid, tanh, where  # noqa: F401
from ..ops.nn_ops import (  # noqa: F401
    BinaryCrossEntropy,
    Gelu,
    LeakyRelu,
    Softplus,
    _check_reduction,
    _reduce,
    cross_entropy,
    linear,
    log_softmax,
    mse_loss,
    nll_loss,
    softmax,
)
from ..ops.pool import (  # noqa: F401
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    unfold_windows,
)
from ..ops.random import _rng
from ..tensor import Tensor

# -- activations --------------------------------------------------------------------------------------------


def _float(x: Tensor) -> Tensor:
    from ..ops._dispatch import to_float

    return to_float(x)


def _maybe_inplace(input: Tensor, fn, inplace: bool, name: str) -> Tensor:
    """``fn(input)``, or with ``inplace`` written back into ``input`` (recorded like torch's ``relu_``)."""
    if not inplace:
        return fn(input)
    from ..ops.inplace import inplace as run_inplace

    return run_inplace(input, fn, name)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, lambda x: apply(LeakyRelu, _float(x), negative_slope=negative_slope), inplace,
                          "leaky_relu_")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x); ``approximate="tanh"`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "none":
        return apply(Gelu, _float(input))
    if approximate == "tanh":
        x = _float(input)
        return 0.5 * x * (1 + (math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)).tanh())
    raise RuntimeError(f"approximate argument must be either none or tanh, got '{approximate}'")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    x = _float(input)
    return x * x.sigmoid()


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    x = _float(input)
    return x * softplus(x).tanh()


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    def fn(x):
        x = _float(x)
        return where(x > 0, x, alpha * x.clamp(max=0).expm1())

    return _maybe_inplace(input, fn, inplace, "elu_")


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return scale * elu(input, alpha)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    x = _float(input)
    return where(x > 0, x, alpha * (x.clamp(max=0) / alpha).expm1())


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return apply(Softplus, _float(input), beta=beta, threshold=threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    return -apply(Softplus, -_float(input), beta=1.0, threshold=None)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, lambda x: _float(x).clamp(min_val, max_val), inplace, "hardtanh_")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return (_float(input) + 3).clamp(0, 6) / 6


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    x = _float(input)
    return x * (x + 3).clamp(0, 6) / 6


def softsign(input: Tensor) -> Tensor:
    x = _float(input)
    return x / (1 + x.abs())


def tanhshrink(input: Tensor) -> Tensor:
    x = _float(input)
    return x - x.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    x = _float(input)
    return where(x > lambd, x - lambd, where(x < -lambd, x + lambd, x * 0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    x = _float(input)
    return where((x > lambd) | (x < -lambd), x, x * 0)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    def fn(x):
        x = _float(x)
        return where(x > threshold, x, Tensor._wrap(np.array(value, x._data.dtype)))

    return _maybe_inplace(input, fn, inplace, "threshold_")


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    w = weight
    if input.ndim >= 2 and weight.numel() > 1:
        w = weight.reshape([-1] + [1] * (input.ndim - 2))
    return where(input > 0, input, w * input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return softmax(-input, dim, dtype=dtype)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    n1 = x1.norm(2, dim).clamp(min=eps)
    n2 = x2.norm(2, dim).clamp(min=eps)
    return (x1 * x2).sum(dim) / (n1 * n2)


# -- dropout ------------------------------------------------------------------------------------------------
def _dropout_mask(shape, p: float, dtype) -> Tensor:
    keep = _rng(None).random(shape) >= p
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    return Tensor._wrap((keep * scale).astype(dtype))


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p), in training only."""
    _check_p(p)
    if not training or p == 0:
        return input
    mask = _dropout_mask(input.shape, p, input._data.dtype)
    return _maybe_inplace(input, lambda x: x * mask, inplace, "dropout_")


def _feature_dropout(input: Tensor, p: float, training: bool, batched_ndim: int) -> Tensor:
    _check_p(p)
    if not training or p == 0:
        return input
    shape = list(input.shape)
    lead = 2 if input.ndim == batched_ndim else 1
    mask_shape = shape[:lead] + [1] * (len(shape) - lead)
    return input * _dropout_mask(tuple(mask_shape), p, input._data.dtype)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    return _feature_dropout(input, p, training, 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    return _feature_dropout(input, p, training, 4)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    return _feature_dropout(input, p, training, 5)


# -- normalization --------------------------------------------------------------------------------------------
def _channel_shape(x: Tensor) -> list[int]:
    return [1, -1] + [1] * (x.ndim - 2)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalize each channel (dim 1) by batch statistics (training) or running statistics (eval).

    In training, the running statistics (if given) move towards the batch's: mean and unbiased variance.
    """
    if input.ndim < 2:
        raise ValueError(f"expected 2D or more input (got {input.ndim}D input)")
    dims = (0, *range(2, input.ndim))
    shape = _channel_shape(input)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if running_mean is not None or running_var is not None:
            with no_grad():
                m = momentum
                if running_mean is not None:
                    new = (1 - m) * running_mean._data + m * mean._data.reshape(-1)
                    np.copyto(running_mean._data, new, casting="unsafe")
                    running_mean._version[0] += 1
                if running_var is not None:
                    unbiased = var._data.reshape(-1) * (count / (count - 1))
                    np.copyto(running_var._data, (1 - m) * running_var._data + m * unbiased, casting="unsafe")
                    running_var._version[0] += 1
        out = centered * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
        rm = running_mean.detach().reshape(shape)
        rv = running_var.detach().reshape(shape)
        out = (input - rm) * (rv + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize over the last len(normalized_shape) dims by their mean and (biased) variance."""
    ns = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(-1, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(-1, keepdim=True)
    out = (centered * (var + eps).rsqrt()).reshape(input.shape)
    shape = _channel_shape(input)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# -- embeddings, one_hot, pad ------------------------------------------------------------------------------
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``; the padding row gets no gradient."""
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype} instead (call .long() on the indices)")
    num = weight.shape[0]
    if idx.size and (idx.min() < -num or idx.max() >= num):
        raise IndexError(f"index out of range in self (embedding: indices must be in [0, {num - 1}] for a table "
                         f"of {num} rows)")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        with no_grad():
            rows = np.unique(idx)
            norms = np.linalg.norm(weight._data[rows], ord=norm_type, axis=1)
            scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight._data[rows] *= scale[:, None].astype(weight._data.dtype)
    out = weight[Tensor._wrap(idx)]
    if padding_idx is not None and weight.requires_grad and (idx == padding_idx).any():
        keep = Tensor._wrap((idx != padding_idx)[..., None])
        out = where(keep, out, weight.detach()[Tensor._wrap(idx)])
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*, num_classes) int64 tensor with a 1 at each index."""
    idx = tensor._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes." if idx.min() >= 0
                           else "Class values must be non-negative.")
    return Tensor._wrap((idx[..., None] == np.arange(num_classes)).astype(np.int64))


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad)//2 dims: pad = (left, right, top, bottom, ...); modes constant, reflect,
    replicate, circular. Negative constant padding crops."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length must be divisible by 2 and at most twice the number of dims; got "
                           f"{len(pad)} for an input of {input.ndim} dims")
    if mode == "constant":
        return apply(Pad, input, pad=pad, value=0.0 if value is None else value)
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(mode)
    if np_mode is None:
        raise NotImplementedError(f"pad: mode '{mode}' is not supported (use constant, reflect, replicate or "
                                  "circular)")
    out = input
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        size = input.shape[dim]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({lo}, {hi}) at dimension {dim} of input {list(input.shape)}")
        src = np.pad(np.arange(size), (max(lo, 0), max(hi, 0)), mode=np_mode)
        src = src[max(-lo, 0):len(src) - max(-hi, 0)]
        out = out.index_select(dim, Tensor._wrap(src.astype(np.int64)))
    return out



class Pad(Node):
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
        return np.ascontiguousarray(out[tuple(slices)])

    def backward(ctx, g):
        return apply(Pad, g, pad=tuple(-p for p in ctx.pad), value=0.0)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


# -- losses ----------------------------------------------------------------------------------------------------
def _check_same_size(input: Tensor, target: Tensor, name: str) -> None:
    if input.shape != target.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size. ({name})")


def _warn_size(input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
                      "the same size.", stacklevel=3)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean (or sum) of |input - target|."""
    _check_reduction(reduction, "l1_loss")
    _warn_size(input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (d = input - target)."""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_size(input, target)
    d = input - target
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction)
    return _reduce(where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2)."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_size(input, target)
    d = input - target
    ad = d.abs()
    losses = where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-(y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1] (logs clamped at -100 as torch)."""
    _check_reduction(reduction, "binary_cross_entropy")
    _check_same_size(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1 (binary_cross_entropy takes "
                           "probabilities; for logits use binary_cross_entropy_with_logits)")
    if target._data.dtype != input._data.dtype:
        target = target.to(input.dtype)
    losses = apply(BinaryCrossEntropy, input, target)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE of sigmoid(input) computed stably: (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x)."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    _check_same_size(input, target, "binary_cross_entropy_with_logits")
    if target._data.dtype != input._data.dtype:
        target = target.to(input.dtype)
    sp = apply(Softplus, -input, beta=1.0, threshold=None)  # log(1 + exp(-x)) = -log sigmoid(x)
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        losses = (1 - target) * input + log_weight * sp
    else:
        losses = (1 - target) * input + sp
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise; ``input`` is log-probabilities."""
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        losses = target.exp() * (target - input)
    else:  # target * log(target) is taken as 0 where target == 0
        safe = where(target > 0, target, target * 0 + 1)
        losses = target * safe.log() - target * input
    if reduction == "batchmean":
        return losses.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(losses, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    losses = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        t = target
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        losses = losses + where(t > 1, stirling, t * 0)
    return _reduce(losses, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None, reduce=None,
                          reduction: str = "mean") -> Tensor:
    cos = cosine_similarity(input1, input2, dim=-1)
    losses = where(target == 1, 1 - cos, (cos - margin).clamp(min=0))
    return _reduce(losses, reduction)
