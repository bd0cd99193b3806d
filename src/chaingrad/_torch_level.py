"""torch's top-level spellings of other functions: the in-place forms (``torch.exp_(t)`` is ``t.exp_()``) and the
nn ops torch also exposes at top level (``torch.conv2d``, ``torch.dropout``, ``torch.layer_norm`` ...), with
torch's top-level signatures, which for some differ from ``torch.nn.functional``'s."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .tensor import Tensor

# torch.X_(input, *args) for each Tensor method X_ that torch also has as a function
INPLACE = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
    "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_",
    "deg2rad_", "detach_", "erf_", "erfc_", "exp_", "exp2_", "expm1_", "fill_", "fix_", "floor_", "frac_", "gcd_",
    "i0_", "index_put_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_",
    "negative_", "rad2deg_", "reciprocal_", "relu_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_",
    "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_",
)


def _inplace(name: str) -> Callable:
    def function(input: Tensor, *args, **kwargs) -> Tensor:
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}(...)``: the in-place op, on ``input`` itself."
    return function


def inplace_functions() -> dict[str, Callable]:
    return {name: _inplace(name) for name in INPLACE if hasattr(Tensor, name)}


def _f() -> Any:
    """chaingrad.nn.functional, loaded on first use (as ``chaingrad.nn`` is)."""
    return importlib.import_module(".nn.functional", __package__)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    return _f().conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    return _f().conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    return _f().conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    return _f().conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.dropout: ``p`` and ``train`` given (``nn.functional.dropout`` names the flag ``training``)."""
    return _f().dropout(input, p, train)


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
               running_var: Tensor | None, training: bool, momentum: float, eps: float,
               cudnn_enabled: bool) -> Tensor:
    """torch.batch_norm: the affine weight and bias come before the running statistics (``cudnn_enabled`` is
    about GPUs and changes nothing here)."""
    return _f().batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
                  running_var: Tensor | None, use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool) -> Tensor:
    """torch.instance_norm: the affine weight and bias first, as in torch.batch_norm."""
    return _f().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-05, cudnn_enable: bool = True) -> Tensor:
    return _f().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-05, cudnn_enabled: bool = True) -> Tensor:
    return _f().group_norm(input, num_groups, weight, bias, eps)


def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """torch.embedding: the table first, then the indices (-1: no padding index)."""
    return _f().embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-08) -> Tensor:
    return _f().cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-06, keepdim: bool = False) -> Tensor:
    return _f().pairwise_distance(x1, x2, p, eps, keepdim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    return _f().prelu(input, weight)


def selu(input: Tensor) -> Tensor:
    return _f().selu(input)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _f().celu(input, alpha)


def rrelu(input: Tensor, lower: float = 0.125, upper: float = 0.3333333333333333, training: bool = False,
          generator=None) -> Tensor:
    if generator is not None:
        raise NotImplementedError("rrelu(generator=...): chaingrad's rrelu draws from the global generator; "
                                  "seed it with chaingrad.manual_seed instead")
    return _f().rrelu(input, lower, upper, training)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return _f().threshold(input, threshold, value)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _f().hardshrink(input, lambd)


def detach(input: Tensor) -> Tensor:
    """``input.detach()``: the same values, cut from the graph."""
    return input.detach()


def fill(input: Tensor, value) -> Tensor:
    """A new tensor like ``input`` filled with ``value`` (the out-of-place ``fill_``)."""
    return input.clone().fill_(value)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    return input.masked_scatter(mask, source)


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    return input.index_put(indices, values, accumulate)


def _attach() -> None:
    for name in ("prelu", "hardshrink"):  # (Tensor methods too)
        setattr(Tensor, name, globals()[name])


_attach()

FUNCTIONS = ("conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "dropout", "batch_norm", "instance_norm",
             "layer_norm", "group_norm", "embedding", "cosine_similarity", "pairwise_distance", "prelu", "selu", "celu",
             "rrelu", "threshold", "hardshrink", "detach", "fill", "masked_scatter", "index_put")
