"""Reductions: sum, mean, prod, max/min, var/std, norm, logsumexp, all/any, cumsum.

A reduction's backward spreads the output gradient back over the reduced dimensions (``expand``).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .._dtype import get_default_dtype, to_dtype
from ..autograd.gradients import unbroadcast
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._aliases import numpy_names
from ._dispatch import to_float

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _return_type(op: str) -> type:
    """The (values, indices) tuple ``op`` returns, printed as torch prints it: ``chaingrad.return_types.max(``
    then one field a line."""

    def __repr__(self) -> str:
        fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"chaingrad.return_types.{op}(\n{fields})"

    return type(op, (ValuesIndices,), {"__slots__": (), "__repr__": __repr__})


_MAX_RESULT, _MIN_RESULT = _return_type("max"), _return_type("min")


def normalize_dims(dim, ndim: int, op: str) -> tuple[int, ...] | None:
    """``dim`` (int, tuple, list or None) as a sorted tuple of non-negative axes; IndexError when out of range."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims:
        return None
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    out = []
    for d in dims:
        if not lo <= d <= hi:
            raise IndexError(f"{op}(): Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
        d = d % ndim if ndim else 0
        if d in out:
            raise RuntimeError(f"{op}(): dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(sorted(out)) if ndim else None  # a 0-d tensor accepts dim 0 / -1: reduce "everything"


def _kept_shape(shape: tuple, axes: tuple | None) -> tuple:
    """The output shape with reduced axes kept as size 1 (for broadcasting the gradient back)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _spread(g: Tensor, shape: tuple, axes: tuple | None) -> Tensor:
    """Broadcast a reduced gradient back to the input's shape (a Tensor, or an array when backward runs on arrays)."""
    kept = _kept_shape(shape, axes)
    if g.shape != kept:
        g = g.reshape(kept)
    return _expand(g, shape)


def _expand(g, shape: tuple):
    if isinstance(g, Tensor):
        return g.expand(shape)
    out = np.empty(shape, g.dtype)  # on arrays, a filled copy: several times faster than np.broadcast_to
    out[...] = g
    return out


class Sum(Node):
    formulas = ("dL/dx = dL/dout, copied to every summed element",)
    backward_on_arrays = True

    def forward(ctx, x, axes=None, keepdim=False, dtype=None):
        ctx.shape, ctx.axes = x.shape, axes
        if dtype is not None:  # sum(dtype=): summed in that dtype (the engine casts the gradient back to x's);
            # NumPy's dtype= keeps small ints and bools from its int64 upcast
            return np.add.reduce(x.astype(dtype), axis=axes, keepdims=keepdim, dtype=dtype)
        return np.add.reduce(x, axis=axes, keepdims=keepdim)  # (np.sum is a wrapper around this)

    def backward(ctx, g):
        return _spread(g, ctx.shape, ctx.axes)


class SumTo(Node):
    """Un-broadcasting as an op: the engine's sum over the dims that broadcasting added or stretched."""

    formulas = ("dL/dx = dL/dout, copied back over the broadcast dims",)
    backward_on_arrays = True

    def forward(ctx, x, shape=()):
        ctx.shape = x.shape
        return unbroadcast(x, shape)

    def backward(ctx, g):
        return _expand(g, ctx.shape)


class Mean(Node):
    formulas = ("dL/dx = dL/dout / N, for each of the N averaged elements",)
    backward_on_arrays = True

    def forward(ctx, x, axes=None, keepdim=False, dtype=None):
        ctx.shape, ctx.axes = x.shape, axes
        out = np.mean(x if dtype is None else x.astype(dtype), axis=axes, keepdims=keepdim)
        ctx.count = x.size // (out.size or 1) if x.size else 0  # (`max` here is this module's reduction)
        return out

    def backward(ctx, g):
        return _spread(g / ctx.count, ctx.shape, ctx.axes)


class Prod(Node):
    formulas = ("dL/dx_i = dL/dout * (product of all x_j with j != i)",)

    def forward(ctx, x, axis=None, keepdim=False):
        ctx.shape, ctx.axes = x.shape, (None if axis is None else (axis,))
        ctx.save_for_backward(x)
        return np.prod(x, axis=axis, keepdims=keepdim, dtype=x.dtype)  # (no int64 upcast of small ints)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _spread(g, ctx.shape, ctx.axes) * products_of_others(x, ctx.axes)


def products_of_others(x: Tensor, axes) -> Tensor:
    """For each element, the product of the other elements along the reduced axis: the product of those
    before it times the product of those after it. No division, so zeros need no special case, and it is
    made of recorded ops, so it can be differentiated again."""
    v = x.reshape(-1) if axes is None else x.movedim(axes[0], -1)
    others = _exclusive_cumprod(v) * _exclusive_cumprod(v.flip(-1)).flip(-1)
    return others.reshape(x._data.shape) if axes is None else others.movedim(-1, axes[0])


def _exclusive_cumprod(v: Tensor) -> Tensor:
    """p[..., i] = v[..., 0] * ... * v[..., i-1] (1 for i = 0), by ceil(log2 n) shifted products
    (a Hillis-Steele scan: after the step with shift s, p[i] holds the product of up to 2s elements)."""
    from .shape import cat

    n = v._data.shape[-1]
    one = Tensor._wrap(np.ones(v._data.shape[:-1] + (1,), v._data.dtype))
    p = cat([one, v[..., :n - 1]], -1)
    shift = 1
    while shift < n:
        ones = Tensor._wrap(np.ones(v._data.shape[:-1] + (shift,), v._data.dtype))
        p = p * cat([ones, p[..., :n - shift]], -1)
        shift *= 2
    return p


class Amax(Node):
    formulas = ("dL/dx = dL/dout where x is the max (shared evenly among ties), else 0",)

    def forward(ctx, x, axes=None, keepdim=False, smallest=False):
        ctx.shape, ctx.axes = x.shape, axes
        out = (np.amin if smallest else np.amax)(x, axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        hit = x._data == _spread(out, ctx.shape, ctx.axes)._data
        share = hit / np.sum(hit, axis=ctx.axes, keepdims=True)
        return _spread(g, ctx.shape, ctx.axes) * Tensor._wrap(share.astype(g._data.dtype))


class MaxDim(Node):
    torch_name = "MaxBackward0"  # (torch's max(dim) node; max() of all elements is MaxBackward1)
    formulas = ("dL/dx = dL/dout at the index of the max along dim, else 0",)

    def forward(ctx, x, dim=0, keepdim=False, smallest=False):
        idx = (np.argmin if smallest else np.argmax)(x, axis=dim, keepdims=True)
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(idx)
        out = np.take_along_axis(x, idx, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        onehot = np.zeros(ctx.shape, dtype=g._data.dtype)
        np.put_along_axis(onehot, idx._data, 1, axis=ctx.dim)
        return _spread(g, ctx.shape, (ctx.dim,)) * Tensor._wrap(onehot)


class LogSumExp(Node):
    torch_name = "LogsumexpBackward0"
    formulas = ("dL/dx = dL/dout * exp(x - logsumexp(x))   (= dL/dout * softmax(x))",)

    def forward(ctx, x, axes=None, keepdim=False):
        ctx.shape, ctx.axes = x.shape, axes
        m = np.amax(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        if not keepdim:
            out = out.reshape(np.sum(x, axis=axes).shape)
        ctx.save_for_backward(x, out)  # the returned array itself, so create_graph differentiates through it
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _spread(g, ctx.shape, ctx.axes) * (x - _spread(out, ctx.shape, ctx.axes)).exp()


class CumSum(Node):
    torch_name = "CumsumBackward0"
    formulas = ("dL/dx_i = sum over j >= i of dL/dout_j",)

    def forward(ctx, x, axis=0, dtype=None):
        ctx.axis = axis
        x = x if dtype is None else x.astype(dtype)
        return np.cumsum(x, axis=axis, dtype=x.dtype)  # (no int64 upcast of small ints and bools)

    def backward(ctx, g):
        return g.flip(ctx.axis).cumsum(ctx.axis).flip(ctx.axis)


# -- public functions ------------------------------------------------------------------------------------
# torch's names where one op has several: with a dim (SumBackward1), of all elements (MaxBackward1)
_SUM_DIM, _MEAN_DIM, _PROD_DIM = Sum.named("SumBackward1"), Mean.named("MeanBackward1"), Prod.named("ProdBackward1")
_AMIN = Amax.named("AminBackward0")
_MAX_ALL, _MIN_ALL = Amax.named("MaxBackward1"), Amax.named("MinBackward1")
_MIN_DIM = MaxDim.named("MinBackward0")


def _float_input(input: Tensor, op: str) -> Tensor:
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {input.dtype.name.capitalize()} (convert with .float() first)")
    return input


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum of all elements, or over ``dim`` (an int or tuple)."""
    axes = None if dim is None else normalize_dims(dim, input._data.ndim, "sum")
    if dtype is not None:  # summed in that dtype by the one node, as torch
        return apply(Sum if axes is None else _SUM_DIM, input, axes=axes, keepdim=keepdim, dtype=to_dtype(dtype).np)
    if input._data.dtype.kind in "biu":
        input = input.to(np.int64) if input._data.dtype != np.int64 else input
    return apply(Sum if axes is None else _SUM_DIM, input, axes=axes, keepdim=keepdim)


def sum_to(g: Tensor, shape: tuple) -> Tensor:
    """Sum ``g`` down to ``shape`` (the reverse of broadcasting ``shape`` up to ``g.shape``)."""
    if g._data.shape == tuple(shape):
        return g
    return apply(SumTo, g, shape=tuple(shape))


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    axes = normalize_dims(dim, input._data.ndim, "mean")
    op = Mean if axes is None else _MEAN_DIM
    if dtype is not None:  # averaged in that dtype by the one node, as torch
        d = to_dtype(dtype)
        if d.np.kind != "f":
            _float_input(input.to(d), "mean")
        return apply(op, input, axes=axes, keepdim=keepdim, dtype=d.np)
    _float_input(input, "mean")
    return apply(op, input, axes=axes, keepdim=keepdim)


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu" and input._data.dtype != np.int64:
        input = input.long()  # integer products are int64, as torch
    axis = None if dim is None else (normalize_dims(dim, input._data.ndim, "prod") or (None,))[0]
    return apply(Prod if axis is None else _PROD_DIM, input, axis=axis, keepdim=keepdim)


def _extreme(input: Tensor, dim, keepdim: bool, smallest: bool, op: str):
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        return apply(_MIN_ALL if smallest else _MAX_ALL, input, axes=None, keepdim=False, smallest=smallest)
    if isinstance(dim, Tensor):  # max(a, b)
        from .elementwise import maximum, minimum

        return minimum(input, dim) if smallest else maximum(input, dim)
    result = _MIN_RESULT if smallest else _MAX_RESULT
    (axis,) = normalize_dims(dim, input._data.ndim, op) or (None,)
    if axis is None:  # a 0-d tensor: its one element, at index 0
        return result(apply(Amax, input, axes=None, keepdim=False, smallest=smallest),
                      Tensor._wrap(np.zeros((), np.int64)))
    values = apply(_MIN_DIM if smallest else MaxDim, input, dim=axis, keepdim=keepdim, smallest=smallest)
    idx = (np.argmin if smallest else np.argmax)(input._data, axis=axis, keepdims=keepdim)
    return result(values, Tensor._wrap(np.asarray(idx, dtype=np.int64)))


def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """Largest element; with ``dim``, (values, indices); with a tensor, the elementwise maximum."""
    return _extreme(input, dim, keepdim, False, "max")


def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    return _extreme(input, dim, keepdim, True, "min")


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return apply(Amax, input, axes=normalize_dims(dim, input._data.ndim, "amax"), keepdim=keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return apply(_AMIN, input, axes=normalize_dims(dim, input._data.ndim, "amin"), keepdim=keepdim, smallest=True)


def _arg(fn, input: Tensor, dim, keepdim: bool, op: str) -> Tensor:
    if dim is None:
        out = fn(input._data.reshape(-1))
        return Tensor._wrap(np.array(out, dtype=np.int64).reshape((1,) * input._data.ndim if keepdim else ()))
    (axis,) = normalize_dims(dim, input._data.ndim, op) or (None,)
    if axis is None:
        return Tensor._wrap(np.zeros((), np.int64))
    return Tensor._wrap(np.asarray(fn(input._data, axis=axis, keepdims=keepdim), dtype=np.int64))


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg(np.argmax, input, dim, keepdim, "argmax")


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg(np.argmin, input, dim, keepdim, "argmin")


def _correction(dim, unbiased, correction, op):
    if isinstance(dim, bool):  # var(x, True): the legacy `unbiased` position
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


class Var(Node):
    """Variance over ``axes``: sum((x - mean)^2) / (N - correction), with N the number of reduced elements."""

    formulas = ("dL/dx = dL/dout * 2 (x - mean(x)) / (N - correction)",)

    def forward(ctx, x, axes=None, correction=1, keepdim=False):
        ctx.shape, ctx.axes, ctx.denom = x.shape, axes, _var_denominator(x.shape, axes, correction)
        ctx.save_for_backward(x)
        d = x - np.mean(x, axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):  # N <= correction: inf or nan, as torch
            return np.asarray(np.sum(d * d, axis=axes, keepdims=keepdim) / ctx.denom, x.dtype)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _var_grad(ctx, g, x)


def _centered(x: Tensor, axes) -> Tensor:
    return x - x.mean(axes, keepdim=True) if axes is not None else x - x.mean()


def _var_grad(ctx, g: Tensor, x: Tensor) -> Tensor:
    """dL/dx of the variance (Var's and VarMean's): g * 2 (x - mean) / (N - correction)."""
    return _spread(g, ctx.shape, ctx.axes) * _centered(x, ctx.axes) * (2.0 / ctx.denom if ctx.denom else float("inf"))


def _std_grad(ctx, g: Tensor, x: Tensor, out: Tensor) -> Tensor:
    """dL/dx of the std (Std's and StdMean's): g (x - mean) / ((N - correction) std), 0 where std == 0."""
    centered = _centered(x, ctx.axes)
    std = _spread(out, ctx.shape, ctx.axes)
    zero = std._data == 0
    if zero.any():  # no 0/0, even for create_graph
        std = std + Tensor._wrap(zero.astype(std._data.dtype))
        centered = centered * Tensor._wrap((~zero).astype(std._data.dtype))
    return _spread(g, ctx.shape, ctx.axes) * centered / (std * float(ctx.denom))


class Std(Node):
    """sqrt of the variance over ``axes``; its gradient is 0 (not nan) where the std is 0, as torch's."""

    formulas = ("dL/dx = dL/dout * (x - mean(x)) / ((N - correction) * std), and 0 where std == 0",)

    def forward(ctx, x, axes=None, correction=1, keepdim=False):
        ctx.shape, ctx.axes, ctx.denom = x.shape, axes, _var_denominator(x.shape, axes, correction)
        d = x - np.mean(x, axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(np.sqrt(np.sum(d * d, axis=axes, keepdims=keepdim) / ctx.denom), x.dtype)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _std_grad(ctx, g, x, out)


class VarMean(Node):
    """(var, mean) over ``axes`` in one node with two outputs (``std``: (std, mean)), as torch's var_mean."""

    num_outputs = 2
    formulas = ("dL/dx = dL/dvar * 2 (x - mean(x)) / (N - correction) + dL/dmean / N   (std_mean: "
                "dL/dstd * (x - mean(x)) / ((N - correction) * std), 0 where std == 0, + dL/dmean / N)",)

    def forward(ctx, x, axes=None, correction=1, keepdim=False, std=False):
        ctx.shape, ctx.axes, ctx.denom, ctx.std = x.shape, axes, _var_denominator(x.shape, axes, correction), std
        m = np.mean(x, axis=axes, keepdims=True)
        d = x - m
        with np.errstate(divide="ignore", invalid="ignore"):  # N <= correction: inf or nan, as torch
            spread = np.asarray(np.sum(d * d, axis=axes, keepdims=keepdim) / ctx.denom, x.dtype)
            if std:
                spread = np.asarray(np.sqrt(spread), x.dtype)
        ctx.count = x.size // (spread.size or 1) if x.size else 0
        ctx.save_for_backward(x, spread if std else None)
        return spread, np.asarray(np.mean(x, axis=axes, keepdims=keepdim))

    def backward(ctx, g_spread, g_mean):
        x, out = ctx.saved_tensors
        gx = _std_grad(ctx, g_spread, x, out) if ctx.std else _var_grad(ctx, g_spread, x)
        return gx + _spread(g_mean / ctx.count, ctx.shape, ctx.axes)


_STD_MEAN = VarMean.named("StdMeanBackward0")


def _var_denominator(shape: tuple, axes, correction) -> float:
    n = int(np.prod(shape)) if axes is None else int(np.prod([shape[a] for a in axes]))
    return float(n - correction if n > correction else 0)  # torch clamps at 0


def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Variance with Bessel's correction by default (``correction=1``, i.e. ``unbiased=True``)."""
    dim, correction = _correction(dim, unbiased, correction, "var")
    _float_input(input, "var")
    axes = normalize_dims(dim, input._data.ndim, "var")
    return apply(Var, input, axes=axes, correction=correction, keepdim=keepdim)


def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Standard deviation: the square root of ``var`` with the same arguments."""
    dim, correction = _correction(dim, unbiased, correction, "std")
    _float_input(input, "std")
    axes = normalize_dims(dim, input._data.ndim, "std")
    return apply(Std, input, axes=axes, correction=correction, keepdim=keepdim)


def _spread_mean(input: Tensor, dim, unbiased, keepdim: bool, correction, std: bool):
    op = "std_mean" if std else "var_mean"
    dim, correction = _correction(dim, unbiased, correction, op)
    _float_input(input, op)
    axes = normalize_dims(dim, input._data.ndim, op)
    return apply(_STD_MEAN if std else VarMean, input, axes=axes, correction=correction, keepdim=keepdim, std=std)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(var, mean) with the same arguments as ``var``: one node with two outputs, as torch."""
    return _spread_mean(input, dim, unbiased, keepdim, correction, False)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(std, mean) with the same arguments as ``std``: one node with two outputs, as torch."""
    return _spread_mean(input, dim, unbiased, keepdim, correction, True)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector p-norm (2 and 'fro' by default; 1, inf, -inf and other p supported)."""
    input = _float_input(input if dtype is None else input.to(dtype), "norm")
    if p in ("fro", None):
        p = 2
    if p in ("inf", "-inf"):
        p = float(p)
    from .norms import matrix_norm, vector_norm

    if p == "nuc":
        return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)
    if isinstance(p, str):
        raise RuntimeError(f"norm(): p={p!r} is not a norm (give a number, 'fro' or 'nuc')")

    return vector_norm(input, p, dim, keepdim)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim``, computed without overflow."""
    input = to_float(input)
    return apply(LogSumExp, input, axes=normalize_dims(dim, input._data.ndim, "logsumexp"), keepdim=keepdim)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    axes = normalize_dims(dim, input._data.ndim, "all")
    return Tensor._wrap(np.asarray(np.all(input._data, axis=axes, keepdims=keepdim)))


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    axes = normalize_dims(dim, input._data.ndim, "any")
    return Tensor._wrap(np.asarray(np.any(input._data, axis=axes, keepdims=keepdim)))


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    axes = normalize_dims(dim, input._data.ndim, "count_nonzero")
    return Tensor._wrap(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64))


def scan_dtype(dtype, op: str):
    """A running sum's or product's dtype=: torch's CPU kernels have none for bool."""
    d = to_dtype(dtype)
    if d.np == np.bool_:
        raise NotImplementedError(f'"{op}_out_cpu" not implemented for \'Bool\' ({op}(dtype=bool): give an '
                                  "integer dtype, or use .any()/.all() along the dim)")
    return d


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    (axis,) = normalize_dims(dim, input._data.ndim, "cumsum") or (0,)
    if input._data.ndim == 0:
        return cumsum(input.reshape(1), 0, dtype=dtype).reshape(())
    if dtype is not None:  # summed in that dtype by the one node, as torch
        return apply(CumSum, input, axis=axis, dtype=scan_dtype(dtype, "cumsum").np)
    if input._data.dtype.kind in "biu":
        input = input.long()
    return apply(CumSum, input, axis=axis)


def _attach() -> None:
    for name in ("sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "var_mean",
                 "std_mean", "logsumexp", "all", "any", "count_nonzero", "cumsum"):
        fn = numpy_names(globals()[name], keepdim_needs_dim=name in ("sum", "mean", "prod", "max", "min"))
        globals()[name] = fn
        if name not in ("var_mean", "std_mean"):
            setattr(Tensor, name, fn)
    Tensor.norm = norm  # (torch.norm takes neither axis= nor keepdims=)


_attach()
_ = (to_dtype, get_default_dtype)
