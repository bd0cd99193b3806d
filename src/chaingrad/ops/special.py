"""Special functions and two-argument elementwise ops: erf, erfc, erfinv, logit, xlogy, atan2, hypot, lerp,
nan_to_num, clamp_min/clamp_max. The error functions are scipy.special's, made for the job."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._dtype import get_default_dtype
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_float
from ._checks import require_tensor as _tensor
from ._dispatch import as_operand, broadcast_error, promote, to_float

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _same(x: np.ndarray, out) -> np.ndarray:
    return np.asarray(out).astype(x.dtype, copy=False)


def _in_double(name: str, x: np.ndarray) -> np.ndarray:
    """scipy.special's ``name`` computed in float64 and rounded to x's dtype (scipy's float32 loops are a few ulp
    less accurate). scipy is imported on first use: it takes longer to import than all of chaingrad."""
    from scipy import special

    return _same(x, getattr(special, name)(x.astype(np.float64, copy=False)))


class Erf(Node):
    formulas = ("dL/dx = dL/dout * 2 / sqrt(pi) * exp(-x^2)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _in_double("erf", x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (-(x * x)).exp() * _TWO_OVER_SQRT_PI


class Erfc(Node):
    formulas = ("dL/dx = -dL/dout * 2 / sqrt(pi) * exp(-x^2)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _in_double("erfc", x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (-(x * x)).exp() * -_TWO_OVER_SQRT_PI


class Erfinv(Node):
    formulas = ("dL/dx = dL/dout * sqrt(pi) / 2 * exp(erfinv(x)^2)",)

    def forward(ctx, x):
        out = _in_double("erfinv", x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out * out).exp() * (math.sqrt(math.pi) / 2)


class Logit(Node):
    formulas = ("dL/dx = dL/dout / (x (1 - x)); NaN outside [0, 1], or 0 outside [eps, 1 - eps] when eps is given",)

    def forward(ctx, x, eps=None):
        ctx.eps = eps
        ctx.save_for_backward(x)
        z = x if eps is None else np.clip(x, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _same(x, np.log(z / (1 - z)))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        out = g / (x * (1 - x))
        a = x._data
        lo, hi = (0, 1) if ctx.eps is None else (ctx.eps, 1 - ctx.eps)
        inside = (a >= lo) & (a <= hi)
        if inside.all():
            return out
        outside = np.nan if ctx.eps is None else 0.0  # as torch: NaN outside [0, 1], 0 outside [eps, 1 - eps]
        return out.where(Tensor._wrap(inside), Tensor._wrap(np.array(outside, g._data.dtype)))


class Xlogy(Node):
    """x * log(y), and 0 where x == 0 (unless y is NaN); with ``log1p`` x * log(1 + y)."""

    input_names = ("x", "y")
    formulas = ("dL/dx = dL/dout * log(y), 0 where x == 0 and y <= 0", "dL/dy = dL/dout * x / y")

    def forward(ctx, x, y, log1p=False):
        ctx.log1p = log1p
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * (np.log1p(y) if log1p else np.log(y))
        return np.where((x == 0) & ~np.isnan(y), np.zeros((), out.dtype), out)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        zero = Tensor._wrap(np.zeros((), g._data.dtype))
        if ctx.needs_input_grad[0]:
            logy = y.log1p() if ctx.log1p else y.log()
            dead = (x._data == 0) & (y._data <= (-1 if ctx.log1p else 0))
            gx = (g * logy).where(Tensor._wrap(~dead), zero)
        if ctx.needs_input_grad[1]:
            gy = g * x / ((y + 1) if ctx.log1p else y)
        return gx, gy


# torch's names: SpecialXlog1PyBackward0 for xlog1py; Backward0 of two tensors, 1 of a number and a tensor, 2 of
# a tensor and a number (which has no edge)
_XLOGY = {(log1p, version): Xlogy.named(f"{'SpecialXlog1Py' if log1p else 'Xlogy'}Backward{version}",
                                        **({"unlisted_inputs": (1,)} if version == 2 else
                                           {"unlisted_inputs": (0,)} if version == 1 else {}))
          for log1p in (False, True) for version in (0, 1, 2)}


class Atan2(Node):
    input_names = ("y", "x")
    formulas = ("dL/dy = dL/dout * x / (x^2 + y^2)", "dL/dx = -dL/dout * y / (x^2 + y^2)")

    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    def backward(ctx, g):
        y, x = ctx.saved_tensors
        r2 = x * x + y * y
        zero = r2._data == 0  # at the origin torch gives 0, not nan
        recip = 1 / (r2 + Tensor._wrap(zero.astype(r2._data.dtype)))
        recip = recip * Tensor._wrap((~zero).astype(r2._data.dtype))
        return (g * x * recip if ctx.needs_input_grad[0] else None,
                g * -y * recip if ctx.needs_input_grad[1] else None)


class Hypot(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout * a / hypot(a, b)", "dL/db = dL/dout * b / hypot(a, b)")

    def forward(ctx, a, b):
        out = np.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        return (g * a / out if ctx.needs_input_grad[0] else None,
                g * b / out if ctx.needs_input_grad[1] else None)


class Lerp(Node):
    """start + weight * (end - start), computed from the nearer end as torch does (in float32 each branch is
    one fused multiply-add, as torch's kernel: the exact product in float64, rounded once)."""

    input_names = ("start", "end", "weight")
    formulas = ("dL/dstart = dL/dout * (1 - weight)", "dL/dend = dL/dout * weight",
                "dL/dweight = dL/dout * (end - start)")

    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight)
        diff = end - start
        if diff.dtype == np.float32:
            wide = diff.astype(np.float64)
            return np.where(np.abs(weight) < 0.5, start + weight.astype(np.float64) * wide,
                            end - wide * (1 - weight).astype(np.float64)).astype(np.float32)
        return np.where(np.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def backward(ctx, g):
        start, end, weight = ctx.saved_tensors
        return (g * (1 - weight) if ctx.needs_input_grad[0] else None,
                g * weight if ctx.needs_input_grad[1] else None,
                g * (end - start) if ctx.needs_input_grad[2] else None)


# torch's names: LerpBackward0 for a number weight (without an edge for it), LerpBackward1 for a tensor one
_LERP_NUMBER, _LERP_TENSOR = Lerp.named("LerpBackward0", unlisted_inputs=(2,)), Lerp.named("LerpBackward1")


class NanToNum(Node):
    formulas = ("dL/dx = dL/dout where x is finite, else 0",)

    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        ctx.save_for_backward(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Tensor._wrap(np.isfinite(x._data).astype(g._data.dtype))


class ClampMin(Node):
    """max(x, bound) (``upper``: min(x, bound)); the gradient goes to x where it is kept, else to the bound."""

    input_names = ("x", "bound")
    formulas = ("dL/dx = dL/dout where x >= min (x <= max for clamp_max), else 0",
                "dL/dbound = dL/dout where x < min (x > max for clamp_max), else 0")

    def forward(ctx, x, bound, upper=False):
        ctx.upper = upper
        ctx.save_for_backward(x, bound)
        return np.minimum(x, bound) if ctx.upper else np.maximum(x, bound)

    def backward(ctx, g):
        x, bound = ctx.saved_tensors
        a, b = x._data, bound._data
        keep = (a <= b) if ctx.upper else (a >= b)
        keep = keep | np.isnan(a)
        dt = g._data.dtype
        return (g * Tensor._wrap(keep.astype(dt)) if ctx.needs_input_grad[0] else None,
                g * Tensor._wrap((~keep).astype(dt)) if ctx.needs_input_grad[1] else None)


# torch's names: by a number (ClampMinBackward0, which keeps no edge for it) or by a tensor (ClampMinBackward1)
_CLAMP_BOUND = {(upper, by_tensor): ClampMin.named(f"Clamp{'Max' if upper else 'Min'}Backward{int(by_tensor)}",
                                                  **({} if by_tensor else {"unlisted_inputs": (1,)}))
                for upper in (False, True) for by_tensor in (False, True)}


# -- public functions --------------------------------------------------------------------------------------
def _unary(op: type[Node], input, name: str, **params) -> Tensor:
    return apply(op, to_float(_tensor(input, name)), **params)


def erf(input: Tensor) -> Tensor:
    """The error function, 2 / sqrt(pi) * integral from 0 to x of exp(-t^2) dt."""
    return _unary(Erf, input, "erf")


def erfc(input: Tensor) -> Tensor:
    """1 - erf(x), accurate also where erf(x) is close to 1."""
    return _unary(Erfc, input, "erfc")


def erfinv(input: Tensor) -> Tensor:
    """The inverse of erf on (-1, 1) (+-inf at +-1, NaN outside)."""
    return _unary(Erfinv, input, "erfinv")


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)); with ``eps``, p is first clamped to [eps, 1 - eps]."""
    return _unary(Logit, input, "logit", eps=eps)


def _float_pair(input, other, op: str) -> tuple[Tensor, Tensor]:
    a, b = promote(input, other)
    if a._data.dtype.kind != "f":
        dt = get_default_dtype()
        a, b = a.to(dt), b.to(dt)
    return a, b


def _binary(op: type[Node], a: Tensor, b: Tensor, **params) -> Tensor:
    try:
        return apply(op, a, b, **params)
    except ValueError:
        raise broadcast_error(a, b) from None


def _xlog(input, other, log1p: bool, op: str) -> Tensor:
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        version = 0
    elif isinstance(other, Tensor):
        version = 1
        input = as_operand(input, other)
    elif isinstance(input, Tensor):
        version = 2
    else:
        raise TypeError(f"{op}(): expected at least one Tensor argument, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    a, b = _float_pair(input, other, op)
    return _binary(_XLOGY[log1p, version], a, b, log1p=log1p)


def xlogy(input, other) -> Tensor:
    """input * log(other), defined as 0 where input == 0 (so 0 * log(0) = 0), as in entropy formulas."""
    return _xlog(input, other, False, "xlogy")


def xlog1py(input, other) -> Tensor:
    """input * log1p(other), 0 where input == 0."""
    return _xlog(input, other, True, "xlog1py")


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of the point (other, input): arctan(input / other) in the right quadrant, in (-pi, pi]."""
    _tensor(input, "atan2")
    _tensor(other, "atan2", "other", 2)
    return _binary(Atan2, *_float_pair(input, other, "atan2"))


arctan2 = atan2


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """sqrt(input^2 + other^2), without overflow for large values."""
    _tensor(input, "hypot")
    _tensor(other, "hypot", "other", 2)
    a, b = promote(input, other)
    require_float(a, "hypot", "hypot_cpu", "takes floating point tensors")
    return _binary(Hypot, a, b)


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` a number or a tensor."""
    _tensor(input, "lerp")
    _tensor(end, "lerp", "end", 2)
    require_float(input, "lerp", "lerp_kernel_scalar", "interpolates floating point tensors")
    if end._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected dtype {input.dtype.name} for `end` but got dtype {end.dtype.name} (lerp: "
                           "convert end with .to(input.dtype))")
    scalar = not isinstance(weight, Tensor)
    if scalar:
        if not isinstance(weight, numbers.Real):
            raise TypeError(f"lerp(): argument 'weight' must be Tensor or Number, not {type(weight).__name__}")
        w = Tensor._wrap(np.array(weight, input._data.dtype))
    else:
        w = weight
        if w._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected dtype {input.dtype.name} for `weight` but got dtype {w.dtype.name} "
                               "(lerp: convert weight with .to(input.dtype))")
    try:
        out = apply(_LERP_NUMBER if scalar else _LERP_TENSOR, input, end, w)
    except ValueError:
        shapes = [list(t._data.shape) for t in (input, end, w)]
        raise RuntimeError(f"lerp: the shapes of start, end and weight {shapes} do not broadcast") from None
    return out


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """NaN -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest), -inf -> ``neginf`` (its lowest)."""
    _tensor(input, "nan_to_num")
    if input._data.dtype.kind != "f":
        return input.clone()
    return apply(NanToNum, input, nan=nan, posinf=posinf, neginf=neginf)


def _clamp_bound(input: Tensor, bound, upper: bool) -> Tensor:
    op = "clamp_max" if upper else "clamp_min"
    _tensor(input, op)
    if isinstance(bound, Tensor):
        a, b = promote(input, bound)
        return _binary(_CLAMP_BOUND[upper, True], a, b, upper=upper)
    if not isinstance(bound, numbers.Real):
        raise TypeError(f"{op}(): argument '{'max' if upper else 'min'}' must be Number or Tensor, not "
                        f"{type(bound).__name__}")
    a, b = promote(input, bound)
    return apply(_CLAMP_BOUND[upper, False], a, b, upper=upper)


def clamp_min(input: Tensor, min) -> Tensor:  # noqa: A002 - torch's argument name
    """max(input, min) elementwise (``clamp(input, min=min)``)."""
    return _clamp_bound(input, min, upper=False)


def clamp_max(input: Tensor, max) -> Tensor:  # noqa: A002
    """min(input, max) elementwise (``clamp(input, max=max)``)."""
    return _clamp_bound(input, max, upper=True)


def _attach() -> None:
    from .inplace import inplace

    T = Tensor
    for name in ("erf", "erfc", "erfinv", "logit", "xlogy", "atan2", "arctan2", "hypot", "lerp", "nan_to_num",
                 "clamp_min", "clamp_max"):
        fn = globals()[name]
        setattr(T, name, fn)

        def method_(self, *args, _fn=fn, _name=name + "_", **kwargs):
            return inplace(self, lambda old: _fn(old, *args, **kwargs).to(self.dtype), _name,
                           tuple(a for a in args if isinstance(a, Tensor)))

        method_.__name__ = name + "_"
        setattr(T, name + "_", method_)


_attach()
