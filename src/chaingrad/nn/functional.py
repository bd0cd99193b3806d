"""torch.nn.functional's names: layers as functions, activations, normalization and losses.

Differentiable kernels live in ``chaingrad.ops`` (nn_ops, conv); what is here composes them with Tensor
operations, so every function is differentiable (to any order) without its own backward rule.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .._arguments import FUNCTIONAL_ARGUMENTS as _ARGUMENTS
from .._arguments import FUNCTIONAL_PYTHON_LEVEL as _PYTHON_LEVEL
from .._arguments import checked_namespace as _checked_namespace
from ..autograd.grad_mode import no_grad
from ..autograd.node import Node, apply  # (`apply` by this name: chaingrad.compile replaces it while tracing)
from ..compiler.hooks import kernel as _kernel
from ..ops import activations as _act
from ..ops.adaptive_pool import adaptive_max_pool1d, adaptive_max_pool2d  # noqa: F401
from ..ops.conv import conv1d, conv2d  # noqa: F401
from ..ops.conv_transpose import conv_transpose1d, conv_transpose2d  # noqa: F401
from ..ops.elementwise import relu as _relu
from ..ops.elementwise import sigmoid, tanh  # noqa: F401
from ..ops.elementwise import where as _where
from ..ops.nn_ops import HUBER_LOSS as _HUBER_LOSS
from ..ops.nn_ops import (  # noqa: F401
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
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
from ..ops.nn_ops import GeluTanh as _GeluTanh
from ..ops.nn_ops import SmoothL1Loss as _SmoothL1Loss
from ..ops.nn_ops import legacy_reduction as _legacy_reduction
from ..ops.norms import VectorNorm as _VectorNorm
from ..ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle  # noqa: F401
from ..ops.pool import (  # noqa: F401
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from ..ops.shape import broadcast_tensors as _broadcast_tensors
from ..random import discrete as random_discrete
from ..random import layout as random_layout
from ..random.generator import default_generator
from ..tensor import Tensor, _check_dim
from .functional_embedding_bag import embedding_bag  # noqa: F401
from .functional_grid import affine_grid, grid_sample  # noqa: F401
from .functional_gumbel import gumbel_softmax  # noqa: F401
from .functional_image import (  # noqa: F401
    fold,
    interpolate,
    unfold,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from .functional_losses import (  # noqa: F401
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from .functional_pad import pad  # noqa: F401
from .functional_pool import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    bilinear,
    channel_shuffle,
    local_response_norm,
    lp_pool1d,
    lp_pool2d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_unpool1d,
    max_unpool2d,
    pdist,
)

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


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu_() if inplace else _relu(input)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    node = LeakyRelu.named("LeakyReluBackward1") if inplace else LeakyRelu  # (torch's in-place node name)
    return _maybe_inplace(input, lambda x: apply(node, _float(x), negative_slope=negative_slope), inplace,
                          "leaky_relu_")


def gelu(input: Tensor, *, approximate: str = "none") -> Tensor:
    """x * Phi(x); ``approximate="tanh"`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "none":
        return apply(Gelu, _float(input))
    if approximate == "tanh":
        return apply(_GeluTanh, _float(input))
    raise RuntimeError(f"approximate argument must be either none or tanh, got '{approximate}'")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, lambda x: apply(_act.Silu, _float(x)), inplace, "silu_")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, lambda x: apply(_act.Mish, _float(x)), inplace, "mish_")


def _elu(input: Tensor, inplace: bool, op: str, name: str, **constants) -> Tensor:
    node = _act.Elu.named(f"{name}Backward{int(inplace)}")  # (torch names the in-place node ...Backward1)
    return _maybe_inplace(input, lambda x: apply(node, _float(x), from_result=inplace, **constants), inplace, op)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _elu(input, inplace, "elu_", "Elu", alpha=alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return _elu(input, inplace, "selu_", "Elu", alpha=alpha, scale=scale)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu(alpha=0) divides by alpha; give a nonzero alpha")
    return _elu(input, inplace, "celu_", "Celu", alpha=alpha, input_scale=1.0 / alpha,
                backward_input_scale=1.0 / float(np.float32(alpha)))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return apply(Softplus, _float(input), beta=beta, threshold=threshold)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Leaky ReLU with a random slope in [lower, upper) per non-positive element while training (drawn from the
    default generator as torch draws it), the mean slope otherwise."""
    from ..random.generator import default_generator

    x = _float(input)
    noise = _act.rrelu_noise(default_generator, x._data, lower, upper, training)
    node = _act.RreluWithNoise.named(f"RreluWithNoiseBackward{int(inplace)}")
    return _maybe_inplace(x, lambda t: apply(node, t, noise=noise), inplace, "rrelu_")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    return apply(_act.LogSigmoid, _float(input))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(input, lambda x: apply(_act.Hardtanh, _float(x), min_val=min_val, max_val=max_val),
                          inplace, "hardtanh_")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, lambda x: apply(_act.Hardsigmoid, _float(x)), inplace, "hardsigmoid_")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(input, lambda x: apply(_act.Hardswish, _float(x)), inplace, "hardswish_")


def softsign(input: Tensor) -> Tensor:
    x = _float(input)
    return x / (1 + x.abs())


def tanhshrink(input: Tensor) -> Tensor:
    x = _float(input)
    return x - x.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return apply(_act.Softshrink, _float(input), lambd=lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return apply(_act.Hardshrink, _float(input), lambd=lambd)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    node = _act.Threshold.named(f"ThresholdBackward{int(inplace)}")
    return _maybe_inplace(input, lambda x: apply(node, x, threshold=threshold, value=value), inplace, "threshold_")


_threshold = threshold  # (threshold_'s argument of the same name hides the function)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    w = weight
    if input.ndim >= 2 and weight.numel() > 1:
        if weight.numel() != input.shape[1]:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {input.shape[1]}.")
        w = weight.reshape([-1] + [1] * (input.ndim - 2))
    return apply(_act.PreluKernel, input, w)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    d = _check_dim(dim, input.dim(), "glu")
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    return apply(_act.Glu, _float(input), dim=d)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return softmax(-input, dim, dtype=dtype)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    from ..ops.norms import vector_norm

    return input / vector_norm(input, p, dim, keepdim=True).clamp_min(eps).expand_as(input)


class NormFloor(Node):
    """max(norm, eps) whose gradient is the norm's own: cosine_similarity clamps the norms in place, unrecorded,
    as torch does, so a tiny vector still gets the gradient of x / ||x||."""

    input_names = ("norm",)
    formulas = ("dL/dnorm = dL/dout (the clamp to eps is not differentiated)",)

    def forward(ctx, x, eps=0.0):
        return np.maximum(x, np.asarray(eps, x.dtype))

    def backward(ctx, g):
        return g


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along ``dim``; x1 and x2 broadcast."""
    from .._dtype import result_type
    from ..ops._checks import require_tensor
    from ..ops.norms import vector_norm

    require_tensor(x1, "cosine_similarity", "x1")
    require_tensor(x2, "cosine_similarity", "x2", 2)
    common = result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{common.name.capitalize() if common.name != 'int64' else 'Long'} (cosine_similarity: "
                           "convert the inputs with .float())")
    x1, x2 = x1.to(common), x2.to(common)
    try:
        x1, x2 = _broadcast_tensors(x1, x2)
    except (RuntimeError, ValueError):
        from ..ops._dispatch import broadcast_error

        raise broadcast_error(x1, x2) from None
    n1 = apply(NormFloor, vector_norm(x1, 2, dim, keepdim=True), eps=eps)
    n2 = apply(NormFloor, vector_norm(x2, 2, dim, keepdim=True), eps=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


_PAIRWISE_NORM = _VectorNorm.named("NormBackward1")  # (torch's pairwise_distance calls the older norm)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension (x1 and x2 broadcast), torch's NormBackward1."""
    from ..ops._checks import require_tensor

    require_tensor(x1, "pairwise_distance", "x1")
    require_tensor(x2, "pairwise_distance", "x2", 2)
    diff = x1 - x2 + eps
    if not diff.is_floating_point():
        diff = diff.float()
    axes = None if diff.ndim == 0 else (max(x1.ndim, x2.ndim) - 1,)
    return apply(_PAIRWISE_NORM, diff, ord=float(p), axes=axes, keepdim=keepdim)


# -- dropout ------------------------------------------------------------------------------------------------
def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_noise(input: Tensor, keep: float, feature: bool) -> np.ndarray:
    """torch's noise: ``bernoulli_(keep)`` on ``empty_like(input)``, or on an (N, C, 1, ...) tensor for
    feature dropout (whole channels), in input's dtype."""
    a = input._data
    if feature:
        if a.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        like = np.empty(a.shape[:2] + (1,) * (a.ndim - 2), a.dtype)
    else:
        like = a
    hits = random_discrete.bernoulli_scalar(default_generator, like.size, keep)
    return random_layout.place(hits.astype(a.dtype), like)


ALPHA_DROPOUT_ALPHA = 1.7580993408473766  # SELU's -scale * alpha: where a dropped unit goes


@_kernel(effects=True)
def _dropout_scale(input: Tensor, p: float, feature: bool) -> np.ndarray:
    """Dropout's mask, already scaled: ``bernoulli_(1 - p) / (1 - p)`` (one call for chaingrad.compile: it
    draws from the generator)."""
    noise = _dropout_noise(input, 1 - p, feature)
    return noise / np.dtype(noise.dtype).type(1 - p)


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool, alpha: bool,
             name: str) -> Tensor:
    """torch's CPU ``_dropout_impl``: noise = bernoulli_(1 - p) / (1 - p); out = input * noise.
    Alpha dropout keeps SELU's mean and variance: out = input * noise * a + b, dropped units at -alpha'."""
    _check_p(p)
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = Tensor._wrap(np.zeros((), input._data.dtype))
        return _maybe_inplace(input, lambda x: x * zero, inplace, name)
    if not alpha:
        scaled = Tensor._wrap(_dropout_scale(input, p, feature))
        return _maybe_inplace(input, lambda x: x * scaled, inplace, name)
    noise = _dropout_noise(input, 1 - p, feature)
    one = np.dtype(noise.dtype).type
    a = 1.0 / math.sqrt((ALPHA_DROPOUT_ALPHA * ALPHA_DROPOUT_ALPHA * p + 1) * (1 - p))
    b = Tensor._wrap((noise + one(-1)) * one(ALPHA_DROPOUT_ALPHA * a) + one(ALPHA_DROPOUT_ALPHA * a * p))
    scaled = Tensor._wrap(noise * one(a))
    return _maybe_inplace(input, lambda x: x * scaled + b, inplace, name)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p), in training only."""
    return _dropout(input, p, training, inplace, False, False, "dropout_")


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped units take SELU's negative saturation, then an affine map keeps
    the mean and variance."""
    return _dropout(input, p, training, inplace, False, True, "alpha_dropout_")


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels."""
    return _dropout(input, p, training, inplace, True, True, "feature_alpha_dropout_")


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, unbatched: bool) -> Tensor:
    """Whole channels (dim 1) dropped; an unbatched input gets a batch dim for the draw, as in torch."""
    if unbatched:
        out = _dropout(input.unsqueeze(0), p, training, False, True, False, "feature_dropout_").squeeze(0)
        if inplace and out is not input:
            from ..ops.inplace import copy_

            return copy_(input, out)
        return out
    return _dropout(input, p, training, inplace, True, False, "feature_dropout_")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    _check_p(p)
    if input.dim() not in (2, 3):  # (torch's first question to a non-tensor input too)
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.ndim == 2)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    _check_p(p)
    if input.dim() not in (3, 4):  # (torch's first question to a non-tensor input too)
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on "
                      "inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one without "
                      "a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    _check_p(p)
    if input.dim() not in (4, 5):  # (torch's first question to a non-tensor input too)
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout3d exists to provide channel-wise dropout on "
                      "inputs with 3 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, input.ndim != 5)


# -- normalization --------------------------------------------------------------------------------------------
def _channel_shape(x: Tensor) -> list[int]:
    return [1, -1] + [1] * (x.ndim - 2)


@_kernel(effects=True)
def _update_running_stats(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, m: float,
                          count: int) -> None:
    """Move the running statistics towards the batch's: mean, and variance made unbiased (in place; one call
    for chaingrad.compile)."""
    a = input._data
    dims = (0, *range(2, a.ndim))
    mean = np.mean(a, axis=dims)
    var = np.mean((a - mean.reshape(_channel_shape(input))) ** 2, axis=dims)
    if running_mean is not None:
        np.copyto(running_mean._data, (1 - m) * running_mean._data + m * mean, casting="unsafe")
        running_mean._version[0] += 1
    if running_var is not None:
        unbiased = var * (count / (count - 1))
        np.copyto(running_var._data, (1 - m) * running_var._data + m * unbiased, casting="unsafe")
        running_var._version[0] += 1


@_kernel
def _running_stat(running: Tensor, shape: list[int], dtype) -> np.ndarray:
    """A running statistic in the input's channel shape and dtype, read when the call runs (for chaingrad.compile:
    each replay reads it afresh)."""
    return running._data.reshape(shape).astype(dtype)


class BatchNorm(Node):
    """(x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1), the statistics over every other dim:
    the batch's own in training, the given running ones (``stats``) otherwise."""

    input_names = ("x", "weight", "bias")
    formulas = ("dL/dx = weight / sqrt(var + eps) * (dL/dout - mean(dL/dout) - xhat * mean(dL/dout * xhat))"
                "  (in eval: weight / sqrt(var + eps) * dL/dout)",
                "dL/dweight = sum of dL/dout * xhat over all but dim 1", "dL/dbias = sum of dL/dout over all but dim 1")
    torch_name = "NativeBatchNormBackward0"

    def forward(ctx, x, w, b, stats=None, eps=1e-5):
        dims = (0, *range(2, x.ndim))
        ctx.dims, ctx.eps, ctx.stats = dims, eps, stats
        if stats is None:
            mean = np.mean(x, axis=dims, keepdims=True)
            var = np.mean((x - mean) ** 2, axis=dims, keepdims=True)
        else:
            mean, var = stats
        ctx.save_for_backward(x, w)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return ((x - mean) / np.sqrt(var + eps)) * w.reshape(shape) + b.reshape(shape)

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        dims, shape = ctx.dims, [1, -1] + [1] * (x.ndim - 2)
        if ctx.stats is None:  # the statistics depend on x: recomputed as tensors, so create_graph sees them
            mean = x.mean(dims, keepdim=True)
            centered = x - mean
            rstd = ((centered * centered).mean(dims, keepdim=True) + ctx.eps).rsqrt()
        else:
            mean, var = (Tensor._wrap(a) for a in ctx.stats)
            centered, rstd = x - mean, (var + ctx.eps).rsqrt()
        xhat = centered * rstd
        need = ctx.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gxhat = g * w.reshape(shape)
            if ctx.stats is None:
                gxhat = gxhat - gxhat.mean(dims, keepdim=True) - xhat * (gxhat * xhat).mean(dims, keepdim=True)
            gx = gxhat * rstd
        if need[1]:
            gw = (g * xhat).sum(dims)
        if need[2]:
            gb = g.sum(dims)
        return gx, gw, gb


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalize each channel (dim 1) by batch statistics (training) or running statistics (eval).

    In training, the running statistics (if given) move towards the batch's: mean and unbiased variance.
    """
    if input.ndim < 2:
        raise ValueError(f"expected 2D or more input (got {input.ndim}D input)")
    channels, dt = input.shape[1], input._data.dtype
    w = weight if weight is not None else Tensor._wrap(np.ones(channels, dt))
    b = bias if bias is not None else Tensor._wrap(np.zeros(channels, dt))
    if training:
        count = input.numel() // channels
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        if running_mean is not None or running_var is not None:
            _update_running_stats(input, running_mean, running_var, momentum, count)
        return apply(BatchNorm, input, w, b, stats=None, eps=eps)
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
    shape = _channel_shape(input)
    stats = (_running_stat(running_mean, shape, dt), _running_stat(running_var, shape, dt))
    return apply(BatchNorm, input, w, b, stats=stats, eps=eps)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each (sample, channel) plane by its own mean and variance (batch norm of a batch of one
    with N*C channels, as torch computes it); running statistics, if given, move towards the average over
    the batch of the per-sample ones (``use_input_stats=False`` normalizes by them instead)."""
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected an input with a batch, a channel and spatial dims (got "
                         f"{input.ndim}D input of shape {list(input.shape)})")
    if use_input_stats and int(np.prod(input.shape[2:])) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    b, c = input.shape[:2]
    repeated = [None if t is None else Tensor._wrap(np.tile(t._data, b)) for t in (running_mean, running_var)]
    out = batch_norm(input.reshape(1, b * c, *input.shape[2:]), repeated[0], repeated[1], None, None,
                     use_input_stats, momentum, eps).reshape(input.shape)
    if use_input_stats:
        for running, rep in zip((running_mean, running_var), repeated):
            if running is not None and rep is not None:
                np.copyto(running._data, rep._data.reshape(b, c).mean(0), casting="unsafe")
                running._version[0] += 1
    shape = _channel_shape(input)
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
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(ns)}")
        if t is not None and t.dtype is not input.dtype:
            raise RuntimeError(f"expected scalar type {input.dtype} but found {t.dtype} (layer_norm: the {name} "
                               "and the input must have one dtype; convert with .to())")
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    return apply(NativeLayerNorm, input, weight, bias, dims=dims, eps=eps)  # (None where absent, as torch lists it)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the last len(normalized_shape) dims, times weight; eps defaults to the
    dtype's machine epsilon. Recorded as its steps (pow, mean, add, rsqrt, mul), as torch records it."""
    ns = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(ns)}")
    if eps is None:
        from .._finfo import finfo

        eps = finfo(input.dtype).eps
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    out = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


class NativeLayerNorm(Node):
    """(x - mean) / sqrt(var + eps) * weight + bias, the mean and (biased) variance over the last dims ``dims``
    of each sample; weight and bias (of those dims' shape) may be None."""

    input_names = ("x", "weight", "bias")
    formulas = ("dL/dx = (dL/dxhat - mean(dL/dxhat) - xhat * mean(dL/dxhat * xhat)) / sqrt(var + eps), "
                "dL/dxhat = dL/dout * weight, the means over the normalized dims",
                "dL/dweight = dL/dout * xhat, summed over the leading dims",
                "dL/dbias = dL/dout summed over the leading dims")

    def forward(ctx, x, w, b, dims=(), eps=1e-5):
        ctx.dims, ctx.eps = dims, eps
        ctx.save_for_backward(x, w)
        centered = x - np.mean(x, axis=dims, keepdims=True)
        out = centered * (1 / np.sqrt(np.mean(centered * centered, axis=dims, keepdims=True) + eps))
        if w is not None:
            out = out * w
        return out if b is None else out + b

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        dims = ctx.dims
        leading = tuple(range(x.ndim - len(dims)))
        centered = x - x.mean(dims, keepdim=True)  # the statistics recomputed as tensors: create_graph sees them
        rstd = ((centered * centered).mean(dims, keepdim=True) + ctx.eps).rsqrt()
        xhat = centered * rstd
        need = ctx.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gxhat = g if w is None else g * w
            gx = (gxhat - gxhat.mean(dims, keepdim=True) - xhat * (gxhat * xhat).mean(dims, keepdim=True)) * rstd
        if need[1]:
            gw = (g * xhat).sum(leading) if leading else g * xhat
        if need[2]:
            gb = g.sum(leading) if leading else g
        return gx, gw, gb


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
class Embedding(Node):
    """Rows of ``weight`` picked by integer indices; their gradient is added back into those rows."""

    input_names = ("weight",)
    formulas = ("dL/dweight[k] = sum of dL/dout over the positions with index k (none for padding_idx; divided by "
                "k's count with scale_grad_by_freq)",)

    def forward(ctx, weight, indices=None, padding_idx=None, scale_grad_by_freq=False):
        ctx.indices, ctx.padding_idx, ctx.scale_grad_by_freq = indices, padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(ctx, g):
        from ..ops.index import IndexAdd

        idx = ctx.indices
        rows = ctx.input_meta[0][0]
        if ctx.padding_idx is not None or ctx.scale_grad_by_freq:
            scale = np.ones(idx.shape, g._data.dtype)
            if ctx.scale_grad_by_freq:
                scale /= np.bincount(idx.reshape(-1), minlength=rows[0])[idx]
            if ctx.padding_idx is not None:
                scale[idx == ctx.padding_idx] = 0
            g = g * Tensor._wrap(scale[..., None])
        return apply(IndexAdd, g, index=(idx,), basic=False, shape=rows)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``; the padding row gets no gradient."""
    idx, padding_idx = _embedding_indices(input, weight, padding_idx, max_norm, norm_type, sparse, "embedding")
    return apply(Embedding, weight, indices=idx, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq))


def _embedding_indices(input: Tensor, weight: Tensor, padding_idx: int | None, max_norm: float | None,
                      norm_type: float, sparse: bool, op: str) -> tuple[np.ndarray, int | None]:
    """The int64 indices of an embedding lookup checked against ``weight``'s rows, and ``padding_idx`` made
    non-negative; the rows the indices name are first renormalized in place to ``max_norm`` (not recorded), as
    torch does."""
    from ..ops._checks import require_tensor, scalar_type

    require_tensor(input, op)
    require_tensor(weight, op, "weight", 2)
    idx = input._data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {scalar_type(input)} instead (while checking arguments for {op}; "
                           "call .long() on the indices)")
    if weight._data.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D ({op} got a weight of shape {list(weight._data.shape)})")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % num
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(f"index out of range in self (embedding: indices must be in [0, {num - 1}] for a table "
                         f"of {num} rows)")
    if sparse:
        raise NotImplementedError("embedding(sparse=True): chaingrad has no sparse tensors; use sparse=False (the "
                                  "gradient has the same values, stored densely)")
    if max_norm is not None:
        with no_grad():
            rows = np.unique(idx)
            norms = np.linalg.norm(weight._data[rows], ord=norm_type, axis=1)
            scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight._data[rows] *= scale[:, None].astype(weight._data.dtype)
            weight._version[0] += 1
    return idx.astype(np.int64, copy=False), padding_idx


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*, num_classes) int64 tensor with a 1 at each index."""
    from ..ops._checks import require_tensor

    idx = require_tensor(tensor, "one_hot")._data
    if idx.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if not idx.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes." if idx.min() >= 0
                           else "Class values must be non-negative.")
    return Tensor._wrap((idx[..., None] == np.arange(num_classes)).astype(np.int64))


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
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "l1_loss")
    _warn_size(input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (d = input - target)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_size(input, target)
    if beta == 0:  # the l1 loss, as torch computes it then
        return _reduce((input - target).abs(), reduction)
    return apply(_SmoothL1Loss, *_broadcast_tensors(input, target), reduction=reduction, beta=float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2)."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_size(input, target)
    pair = _broadcast_tensors(input, target)
    if weight is None:
        return apply(_HUBER_LOSS, *pair, reduction=reduction, beta=float(delta), huber=True)
    if weight.shape != input.shape:
        raise ValueError(f"Weights and input must have the same size. (huber_loss: weight {list(weight.shape)}, "
                         f"input {list(input.shape)})")
    return _reduce(apply(_HUBER_LOSS, *pair, reduction="none", beta=float(delta), huber=True) * weight, reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-(y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1] (logs clamped at -100 as torch)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy")
    _check_same_size(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1 (binary_cross_entropy takes "
                           "probabilities; for logits use binary_cross_entropy_with_logits)")
    if target._data.dtype != input._data.dtype:
        target = target.to(input.dtype)
    if weight is not None and weight.requires_grad:  # a weight that learns: the composite, whose graph has it
        return _reduce(apply(BinaryCrossEntropy, input, target, reduction="none") * weight, reduction)
    w = None if weight is None else np.broadcast_to(weight._data, input._data.shape).astype(input._data.dtype)
    return apply(BinaryCrossEntropy, input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE of sigmoid(input) computed stably: (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    _check_same_size(input, target, "binary_cross_entropy_with_logits")
    if target._data.dtype != input._data.dtype:
        target = target.to(input.dtype)
    consts = [t for t in (weight, pos_weight) if t is not None]
    if any(t.requires_grad for t in consts):  # a weight that learns: the composite, whose graph has it
        sp = apply(Softplus, -input, beta=1.0, threshold=None)  # log(1 + exp(-x)) = -log sigmoid(x)
        losses = (1 - target) * input + (sp if pos_weight is None else ((pos_weight - 1) * target + 1) * sp)
        return _reduce(losses if weight is None else losses * weight, reduction)
    dt = input._data.dtype
    w = None if weight is None else np.broadcast_to(weight._data, input._data.shape).astype(dt)
    pw = None if pos_weight is None else np.broadcast_to(pos_weight._data, input._data.shape).astype(dt)
    return apply(BinaryCrossEntropyWithLogits, input, target, weight=w, pos_weight=pw, reduction=reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise; ``input`` is log-probabilities."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        losses = target.exp() * (target - input)
    else:  # target * log(target) is taken as 0 where target == 0
        safe = _where(target > 0, target, target * 0 + 1)
        losses = target * safe.log() - target * input
    if reduction == "batchmean":
        return losses.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(losses, reduction)


_checked_namespace(globals(), _PYTHON_LEVEL, _ARGUMENTS)  # F.relu([1.0]) is torch's TypeError (chaingrad/_arguments.py)


def __getattr__(name: str):
    # attention composes the functions above; it loads on first use (it imports this module)
    if name in ("scaled_dot_product_attention", "multi_head_attention_forward"):
        from . import attention

        return getattr(attention, name)
    raise AttributeError(f"module 'chaingrad.nn.functional' has no attribute '{name}'")
