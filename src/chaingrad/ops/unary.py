"""Math functions and activations of one tensor: exp, log, sqrt, trig, tanh, sigmoid, relu, abs, clamp, rounding.

Each op: forward on NumPy arrays, backward with operations that Tensors have, and its derivative as text.
Integer inputs of the float functions become the default float dtype first, as in torch.
"""

from __future__ import annotations

import numpy as np

from .._dtype import result_type
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._dispatch import as_operand, to_float


class Exp(Node):
    formulas = ("dL/dx = dL/dout * exp(x)",)
    backward_on_arrays = True

    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Node):
    formulas = ("dL/dx = dL/dout / x",)
    backward_on_arrays = True

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Log1p(Node):
    torch_name = "Log1PBackward0"
    formulas = ("dL/dx = dL/dout / (1 + x)",)
    backward_on_arrays = True

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x + 1)


class Expm1(Node):
    formulas = ("dL/dx = dL/dout * (out + 1)",)
    backward_on_arrays = True

    def forward(ctx, x):
        out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1)


class Sqrt(Node):
    formulas = ("dL/dx = dL/dout / (2 * sqrt(x))",)
    backward_on_arrays = True

    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out * 2)


class Rsqrt(Node):
    formulas = ("dL/dx = -dL/dout / (2 * x^(3/2))",)
    backward_on_arrays = True

    def forward(ctx, x):
        out = 1 / np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * out * out * -0.5


class Sin(Node):
    formulas = ("dL/dx = dL/dout * cos(x)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()


class Cos(Node):
    formulas = ("dL/dx = -dL/dout * sin(x)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * x.sin()


class Tan(Node):
    formulas = ("dL/dx = dL/dout * (1 + tan(x)^2)",)

    def forward(ctx, x):
        out = np.tan(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 + out * out)


class Sinh(Node):
    formulas = ("dL/dx = dL/dout * cosh(x)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cosh()


class Cosh(Node):
    formulas = ("dL/dx = dL/dout * sinh(x)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.sinh()


class Log2(Node):
    formulas = ("dL/dx = dL/dout / (x ln 2)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * float(np.log(2.0)))


class Log10(Node):
    formulas = ("dL/dx = dL/dout / (x ln 10)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log10(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * float(np.log(10.0)))


class Tanh(Node):
    formulas = ("dL/dx = dL/dout * (1 - tanh(x)^2)",)
    backward_on_arrays = True

    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(Node):
    formulas = ("dL/dx = dL/dout * sigmoid(x) * (1 - sigmoid(x))",)
    backward_on_arrays = True

    def forward(ctx, x):
        out = sigmoid_into(x, np.empty_like(x))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return sigmoid_grad(g, out)


def sigmoid_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) computed in ``out`` (big activations: no temporaries). Below about -88.7 (float32)
    exp(-x) overflows to inf and the result is 0, as torch's is; float16 computes in float32 and rounds once,
    as torch's kernel does."""
    if x.dtype == np.float16:
        out[...] = sigmoid_into(x.astype(np.float32), np.empty(x.shape, np.float32))
        return out
    np.negative(x, out=out)  # (out= keeps 0-d results arrays)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


def sigmoid_grad(g, out, new=None):
    """dL/dx = g * out * (1 - out) for out = sigmoid(x): new arrays, or the same products written into
    ``new(role, shape, dtype)`` (chaingrad.compile's buffers; the same ufuncs on the same values)."""
    if new is None:
        return g * out * (1 - out)
    product = np.multiply(g, out, out=new("g*y", out.shape, np.result_type(g, out)))
    product *= np.subtract(1, out, out=new("1-y", out.shape, out.dtype))
    return product


class Relu(Node):
    formulas = ("dL/dx = dL/dout * (x > 0)",)
    backward_on_arrays = True

    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


class Abs(Node):
    formulas = ("dL/dx = dL/dout * sign(x)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.sign()


class Clamp(Node):
    torch_name = "ClampBackward1"  # (torch's clamp by numbers; by tensors it is ClampBackward0)
    formulas = ("dL/dx = dL/dout * (min <= x <= max)",)

    def forward(ctx, x, lo=None, hi=None):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x, lo, hi)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mask = x._data == x._data  # False where x is nan
        if ctx.lo is not None:
            mask = mask & (x._data >= ctx.lo)
        if ctx.hi is not None:
            mask = mask & (x._data <= ctx.hi)
        return g * Tensor._wrap(np.asarray(mask))


class ClampTensors(Node):
    """``clamp(x, min, max)`` with tensor bounds (either may be None): min(max(x, min), max), computed in the
    promoted dtype; each bound gets the gradient where it is the result."""

    torch_name = "ClampBackward0"
    input_names = ("x", "min", "max")
    formulas = ("dL/dx = dL/dout where min <= x <= max, else 0",
                "dL/dmin = dL/dout where x < min (and min < max), else 0",
                "dL/dmax = dL/dout where x > max (or max < min), else 0")

    def forward(ctx, x, lo, hi, dtype=None):
        ctx.save_for_backward(x, lo, hi)
        out = x.astype(dtype, copy=False)
        if lo is not None:
            out = np.maximum(out, lo.astype(dtype, copy=False))
        if hi is not None:
            out = np.minimum(out, hi.astype(dtype, copy=False))
        return out

    def backward(ctx, g):
        x, lo, hi = (None if t is None else t._data for t in ctx.saved_tensors)
        zero = Tensor._wrap(np.zeros((), g._data.dtype))
        inside = np.ones(x.shape, bool) if lo is None else x >= lo
        if hi is not None:
            inside = inside & (x <= hi)
        gx = glo = ghi = None
        if ctx.needs_input_grad[0]:
            gx = g.where(Tensor._wrap(inside), zero)
        if ctx.needs_input_grad[1]:
            below = x < lo if hi is None else (x < lo) & (lo < hi)
            glo = g.where(Tensor._wrap(np.asarray(below)), zero)
        if ctx.needs_input_grad[2]:
            above = x > hi if lo is None else (x > hi) | (hi < lo)
            ghi = g.where(Tensor._wrap(np.asarray(above)), zero)
        return gx, glo, ghi


class Step(Node):
    """A piecewise-constant function (sign, floor, ceil, round, trunc): its derivative is 0 almost everywhere."""

    formulas = ("dL/dx = 0 (piecewise constant)",)
    backward_on_arrays = True

    def forward(ctx, x, fn=None):
        return fn(x)

    def backward(ctx, g):
        return g * 0


#: torch's node for each of them (one derivative)
_STEPS = {name: Step.named(name.capitalize() + "Backward0") for name in ("sign", "floor", "ceil", "round", "trunc")}


def _unary(op, x: Tensor) -> Tensor:
    """``op(x)`` for a float function: integer and bool inputs become the default float dtype first."""
    return apply(op, x if x._data.dtype.kind == "f" else to_float(x))


# -- the public functions --------------------------------------------------------------------------------
def exp(input: Tensor) -> Tensor:
    return _unary(Exp, input)


def log(input: Tensor) -> Tensor:
    return _unary(Log, input)


def log1p(input: Tensor) -> Tensor:
    return _unary(Log1p, input)


def expm1(input: Tensor) -> Tensor:
    return _unary(Expm1, input)


def log2(input: Tensor) -> Tensor:
    return _unary(Log2, input)


def log10(input: Tensor) -> Tensor:
    return _unary(Log10, input)


def sqrt(input: Tensor) -> Tensor:
    return _unary(Sqrt, input)


def rsqrt(input: Tensor) -> Tensor:
    return _unary(Rsqrt, input)


def sin(input: Tensor) -> Tensor:
    return _unary(Sin, input)


def cos(input: Tensor) -> Tensor:
    return _unary(Cos, input)


def tan(input: Tensor) -> Tensor:
    return _unary(Tan, input)


def tanh(input: Tensor) -> Tensor:
    return _unary(Tanh, input)


def sinh(input: Tensor) -> Tensor:
    return _unary(Sinh, input)


def cosh(input: Tensor) -> Tensor:
    return _unary(Cosh, input)


def sigmoid(input: Tensor) -> Tensor:
    return _unary(Sigmoid, input)


def relu(input: Tensor) -> Tensor:
    return apply(Relu, input)


def abs(input: Tensor) -> Tensor:  # noqa: A001 - torch's name
    return apply(Abs, input)


absolute = abs


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 (0 for NaN, as torch's); booleans stay booleans."""
    from .pointwise import SIGN  # (the sign is sgn's computation under torch's other name)

    return apply(SIGN, input)


def floor(input: Tensor) -> Tensor:
    return apply(_STEPS["floor"], input, fn=np.floor)


def ceil(input: Tensor) -> Tensor:
    return apply(_STEPS["ceil"], input, fn=np.ceil)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - torch's name
    return apply(_STEPS["round"], input, fn=np.round if decimals == 0 else lambda a: np.round(a, decimals))


def trunc(input: Tensor) -> Tensor:
    return apply(_STEPS["trunc"], input, fn=np.trunc)


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - torch's argument names
    """Limit values to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):  # one node, x and the bounds as they are (as torch)
        lo, hi = (None if v is None else v if isinstance(v, Tensor) else as_operand(v, input) for v in (min, max))
        dt = result_type(input, *[v for v in (lo, hi) if v is not None])
        try:
            return apply(ClampTensors, input, lo, hi, dtype=dt.np)
        except ValueError:
            shapes = [list(t._data.shape) for t in (input, lo, hi) if t is not None]
            raise RuntimeError(f"clamp: the shapes of input, min and max {shapes} do not broadcast") from None
    rt = result_type(input, *[v for v in (min, max) if v is not None])
    if input.dtype is not rt:  # int tensor with a float bound -> float32, bool with int bounds -> int64
        input = input.to(rt)
    return apply(Clamp, input, lo=min, hi=max)


clip = clamp


def _attach() -> None:
    Tensor.__abs__ = abs
    for name in ("exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh",
                 "sinh", "cosh", "sigmoid", "relu", "abs", "absolute", "sign", "floor", "ceil", "round", "trunc",
                 "clamp", "clip"):
        setattr(Tensor, name, globals()[name])

_attach()
