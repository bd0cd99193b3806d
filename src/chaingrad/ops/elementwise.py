"""Elementwise operations: arithmetic, math functions, activations, comparisons.

Each op: forward on NumPy arrays, backward with Tensor operations, and its derivative as text.
Broadcasting needs no care here: the engine sums each gradient back to its input's shape.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._dtype import result_type
from ..autograd.function import Node, apply, apply_scalar
from ..tensor import Tensor
from ._dispatch import as_operand, binary_any, operator, promote, scalar_array, to_float

# Like torch, log(0) is -inf and 0/0 is nan without a warning.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"chaingrad\.")


# -- arithmetic ----------------------------------------------------------------------------------------
class Add(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout", "dL/db = dL/dout")

    def forward(ctx, a, b):
        return a + b

    def backward(ctx, g):
        return g, g


class Sub(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout", "dL/db = -dL/dout")

    def forward(ctx, a, b):
        return a - b

    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Rsub(Sub):
    """``2 - x``: a Python scalar minus a tensor (torch names its node RsubBackward1)."""

    def name(self) -> str:
        return "RsubBackward1"


class Mul(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout * b", "dL/db = dL/dout * a")

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None,
                g * a if ctx.needs_input_grad[1] else None)


class Div(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout / b", "dL/db = -dL/dout * a / b^2")

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g / b if ctx.needs_input_grad[0] else None,
                -g * a / (b * b) if ctx.needs_input_grad[1] else None)


class Pow(Node):
    input_names = ("x", "n")
    formulas = ("dL/dx = dL/dout * n * x^(n-1)", "dL/dn = dL/dout * x^n * ln(x)")

    def forward(ctx, x, n):
        out = x ** n
        ctx.save_for_backward(x, n, out)
        return out

    def backward(ctx, g):
        x, n, out = ctx.saved_tensors
        gx = gn = None
        if ctx.needs_input_grad[0]:
            gx = g * n * x ** (n - 1)
            if (n._data == 0).any():
                gx = where(n == 0, 0.0, gx)
        if ctx.needs_input_grad[1]:
            gn = g * out * where((x == 0) & (n >= 0), 1.0, x).log()  # 0 where x == 0 and n >= 0, as torch
        return gx, gn


class PowScalar(Node):
    """``x ** n`` for a Python number ``n`` (the common ``x ** 2``): no tensor for n, one op fewer in backward."""

    __slots__ = ("n",)  # the exponent, in a slot: no per-node dict
    formulas = ("dL/dx = dL/dout * n * x^(n-1)",)

    def forward(ctx, x, n=1):
        ctx.n = n
        ctx.save_for_backward(x)
        return x ** n

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.n == 0:  # x ** 0 is constant (0 * x^-1 would be nan at x = 0)
            return g * 0
        return g * ctx.n * (x if ctx.n == 2 else x ** (ctx.n - 1))  # x ** 1 is x: one op fewer for a square

    def name(self) -> str:
        return "PowBackward0"  # torch's name for a power with a scalar exponent


# -- a tensor and a Python number (x * 0.5, lr * grad, y + 1): the number is a parameter of the node, not a
# 0-d tensor, so there is one input to record and one gradient to return. Each keeps torch's node name.
class AddScalar(Node):
    """``x + n`` or ``n + x``."""

    __slots__ = ("n",)  # the number, in a slot: no per-node dict
    formulas = ("dL/dx = dL/dout",)

    def forward(ctx, x, n=0):
        ctx.n = n
        return x + n  # NumPy converts a Python number to x's dtype first: the same values as a 0-d array of it

    def backward(ctx, g):
        return g

    def name(self) -> str:
        return "AddBackward0"


class SubScalar(Node):
    """``x - n``."""

    __slots__ = ("n",)
    formulas = ("dL/dx = dL/dout",)

    def forward(ctx, x, n=0):
        ctx.n = n
        return x - n

    def backward(ctx, g):
        return g

    def name(self) -> str:
        return "SubBackward0"


class RsubScalar(Node):
    """``n - x``."""

    __slots__ = ("n",)
    formulas = ("dL/dx = -dL/dout",)

    def forward(ctx, x, n=0):
        ctx.n = n
        return n - x

    def backward(ctx, g):
        return -g

    def name(self) -> str:
        return "RsubBackward1"


class MulScalar(Node):
    """``x * n`` or ``n * x``."""

    __slots__ = ("n",)
    formulas = ("dL/dx = dL/dout * n",)

    def forward(ctx, x, n=1):
        ctx.n = n
        ctx.save_for_backward()  # nothing, but marked as saved: a second backward fails as in torch
        return x * n

    def backward(ctx, g):
        ctx.saved_tensors  # noqa: B018 - raises the "backward through the graph a second time" error
        return g * ctx.n

    def name(self) -> str:
        return "MulBackward0"


class DivScalar(Node):
    """``x / n``."""

    __slots__ = ("n",)
    formulas = ("dL/dx = dL/dout / n",)

    def forward(ctx, x, n=1):
        ctx.n = n
        ctx.save_for_backward()  # nothing, but marked as saved: a second backward fails as in torch
        return x / n

    def backward(ctx, g):
        ctx.saved_tensors  # noqa: B018 - raises the "backward through the graph a second time" error
        return g / ctx.n

    def name(self) -> str:
        return "DivBackward0"


# The node binary() records for (op, Python number): index 0 for ``tensor op n``, 1 for ``n op tensor``.
Add.scalar_op = (AddScalar, AddScalar)
Sub.scalar_op = (SubScalar, None)
Rsub.scalar_op = (None, RsubScalar)
Mul.scalar_op = (MulScalar, MulScalar)


class Neg(Node):
    formulas = ("dL/dx = -dL/dout",)

    def forward(ctx, x):
        return -x

    def backward(ctx, g):
        return -g


class Remainder(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout", "dL/db = -dL/dout * floor(a / b)")

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, (-g * (a / b).floor() if ctx.needs_input_grad[1] else None)


# -- math functions --------------------------------------------------------------------------------------
class Exp(Node):
    formulas = ("dL/dx = dL/dout * exp(x)",)

    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Node):
    formulas = ("dL/dx = dL/dout / x",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Log1p(Node):
    formulas = ("dL/dx = dL/dout / (1 + x)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x + 1)


class Expm1(Node):
    formulas = ("dL/dx = dL/dout * (out + 1)",)

    def forward(ctx, x):
        out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1)


class Sqrt(Node):
    formulas = ("dL/dx = dL/dout / (2 * sqrt(x))",)

    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out * 2)


class Rsqrt(Node):
    formulas = ("dL/dx = -dL/dout / (2 * x^(3/2))",)

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


class Tanh(Node):
    formulas = ("dL/dx = dL/dout * (1 - tanh(x)^2)",)

    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


_EXP_LIMIT = {"e": 11.0, "f": 88.0, "d": 709.0}  # exp(limit) is finite in float16, float32, float64


class Sigmoid(Node):
    formulas = ("dL/dx = dL/dout * sigmoid(x) * (1 - sigmoid(x))",)

    def forward(ctx, x):
        # 1 / (1 + exp(-x)) in one buffer; -x is capped where exp would overflow (the result there is
        # below the dtype's smallest normal number either way)
        out = np.negative(x, out=np.empty_like(x))  # out= keeps 0-d results arrays
        np.minimum(out, _EXP_LIMIT[x.dtype.char], out=out)
        np.exp(out, out=out)
        out += 1
        np.reciprocal(out, out=out)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        if type(g) is np.ndarray:  # loss.backward() on arrays: the same formula in one buffer
            d = np.subtract(1, out, out=np.empty_like(out))
            d *= out
            d *= g
            return d
        return g * out * (1 - out)


class Relu(Node):
    formulas = ("dL/dx = dL/dout * (x > 0)",)

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
        return g * Tensor._wrap(mask)


class Maximum(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout * (a > b) + dL/dout / 2 * (a == b)",
                "dL/db = dL/dout * (b > a) + dL/dout / 2 * (a == b)")

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = Tensor._wrap(((a._data > b._data) + (a._data == b._data) * 0.5).astype(g._data.dtype))
        return g * share, g * (1 - share)


class Minimum(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout * (a < b) + dL/dout / 2 * (a == b)",
                "dL/db = dL/dout * (b < a) + dL/dout / 2 * (a == b)")

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = Tensor._wrap(((a._data < b._data) + (a._data == b._data) * 0.5).astype(g._data.dtype))
        return g * share, g * (1 - share)


class Step(Node):
    """A piecewise-constant function (sign, floor, ceil, round, trunc): its derivative is 0 almost everywhere."""

    formulas = ("dL/dx = 0 (piecewise constant)",)

    def forward(ctx, x, fn=None):
        return fn(x)

    def backward(ctx, g):
        return g * 0


class FloorDivide(Node):
    """``a // b``: recorded like torch, whose backward for floor_divide is not implemented."""

    input_names = ("a", "b")
    formulas = ("not differentiable", "not differentiable")

    def forward(ctx, a, b):
        return np.floor_divide(a, b)

    def backward(ctx, g):
        raise RuntimeError("the derivative for 'floor_divide' is not implemented (it is 0 almost everywhere); "
                           "use torch.div(a, b, rounding_mode='floor') if you need a zero gradient")


class Where(Node):
    input_names = ("cond", "a", "b")
    formulas = ("none: cond is a boolean mask", "dL/da = dL/dout where cond, else 0",
                "dL/db = dL/dout where not cond, else 0")

    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        zero = Tensor._wrap(np.zeros((), g._data.dtype))
        return (None,
                where(cond, g, zero) if ctx.needs_input_grad[1] else None,
                where(cond, zero, g) if ctx.needs_input_grad[2] else None)


def _unary(op, x: Tensor, floating: bool = True) -> Tensor:
    if floating and x._data.dtype.kind != "f":
        x = to_float(x)
    return apply(op, x)


def _nondiff(result: np.ndarray) -> Tensor:
    return Tensor._wrap(result if type(result) is np.ndarray else np.asarray(result))


# -- the public functions and Tensor methods -------------------------------------------------------------
def add(input, other, *, alpha=1) -> Tensor:
    """input + alpha * other"""
    return binary_any(Add, input, other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1) -> Tensor:
    """input - alpha * other"""
    _check_no_bool_sub(input, other)
    op = Sub if isinstance(input, Tensor) else Rsub
    return binary_any(op, input, other if alpha == 1 else other * alpha)


def _check_no_bool_sub(a, b) -> None:
    for x in (a, b):
        if isinstance(x, bool) or (isinstance(x, Tensor) and x._data.dtype.kind == "b"):
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                               "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def mul(input, other) -> Tensor:
    return binary_any(Mul, input, other)


def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """True division (ints give floats); ``rounding_mode`` "floor" or "trunc" as torch."""
    if rounding_mode is None:
        if (type(other) is float or type(other) is int) and isinstance(input, Tensor) \
                and input._data.dtype.kind == "f":
            return apply_scalar(DivScalar, input, other)  # x / a Python number (see AddScalar)
        a = input if isinstance(input, Tensor) else as_operand(input, other)
        a, b = promote(a, other)
        if a._data.dtype.kind != "f":
            a, b = to_float(a), to_float(b)
        return apply(Div, a, b)
    q = div(input, other)
    if rounding_mode == "floor":
        q = q.floor()
    elif rounding_mode == "trunc":
        q = q.trunc()
    else:
        raise ValueError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                         f"but found '{rounding_mode}'")
    a, b = promote(input if isinstance(input, Tensor) else as_operand(input, other), other)
    return q.to(a.dtype) if a._data.dtype.kind != "f" else q


subtract, multiply = sub, mul


def divide(input, other, *, rounding_mode: str | None = None) -> Tensor:
    return div(input, other, rounding_mode=rounding_mode)


def true_divide(input, other) -> Tensor:
    return div(input, other)


def floor_divide(input, other) -> Tensor:
    a, b = promote(input if isinstance(input, Tensor) else as_operand(input, other), other)
    return apply(FloorDivide, a, b)


def remainder(input, other) -> Tensor:
    return binary_any(Remainder, input, other)


def pow(input, exponent) -> Tensor:
    """input ** exponent (tensor or scalar on either side)."""
    if not isinstance(input, Tensor):
        base = as_operand(input, exponent)
        base, exponent = promote(base, exponent)
        return apply(Pow, base, exponent)
    if type(exponent) in (int, float) and input._data.dtype.kind == "f":  # fast path: x ** 2, x ** 0.5
        return apply_scalar(PowScalar, input, exponent)
    x, n = promote(input, exponent)
    if x._data.dtype.kind == "b":
        if isinstance(exponent, Tensor):
            raise RuntimeError("\"pow\" not implemented for 'Bool' (convert with .long() or .float() first)")
        return _nondiff(x._data | (not exponent))  # bool ** bool stays bool, as torch
    if x._data.dtype.kind in "iu" and ((n._data < 0).any() or (isinstance(exponent, int) and exponent < 0)):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return apply(Pow, x, n)


def neg(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return apply(Neg, input)


negative = neg


def exp(input: Tensor) -> Tensor:
    return _unary(Exp, input)


def log(input: Tensor) -> Tensor:
    return _unary(Log, input)


def log1p(input: Tensor) -> Tensor:
    return _unary(Log1p, input)


def expm1(input: Tensor) -> Tensor:
    return _unary(Expm1, input)


def log2(input: Tensor) -> Tensor:
    return log(input) / float(np.log(2.0))


def log10(input: Tensor) -> Tensor:
    return log(input) / float(np.log(10.0))


def sqrt(input: Tensor) -> Tensor:
    return _unary(Sqrt, input)


def rsqrt(input: Tensor) -> Tensor:
    return _unary(Rsqrt, input)


def square(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "b":  # square is pow(x, 2): bools become int64, as torch
        input = input.long()
    return input * input


def reciprocal(input: Tensor) -> Tensor:
    return 1 / to_float(input)


def sin(input: Tensor) -> Tensor:
    return _unary(Sin, input)


def cos(input: Tensor) -> Tensor:
    return _unary(Cos, input)


def tan(input: Tensor) -> Tensor:
    return sin(input) / cos(input)


def tanh(input: Tensor) -> Tensor:
    return _unary(Tanh, input)


def sinh(input: Tensor) -> Tensor:
    return (exp(input) - exp(-input)) / 2


def cosh(input: Tensor) -> Tensor:
    return (exp(input) + exp(-input)) / 2


def sigmoid(input: Tensor) -> Tensor:
    return _unary(Sigmoid, input)


def relu(input: Tensor) -> Tensor:
    return apply(Relu, input)


def abs(input: Tensor) -> Tensor:  # noqa: A001 - torch's name
    return apply(Abs, input)


absolute = abs


def sign(input: Tensor) -> Tensor:
    return apply(Step, input, fn=np.sign)


def floor(input: Tensor) -> Tensor:
    return apply(Step, input, fn=np.floor)


def ceil(input: Tensor) -> Tensor:
    return apply(Step, input, fn=np.ceil)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - torch's name
    return apply(Step, input, fn=np.round if decimals == 0 else lambda a: np.round(a, decimals))


def trunc(input: Tensor) -> Tensor:
    return apply(Step, input, fn=np.trunc)


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - torch's argument names
    """Limit values to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else as_operand(min, input))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else as_operand(max, input))
        return out
    rt = result_type(input, *[v for v in (min, max) if v is not None])
    if input.dtype is not rt:  # int tensor with a float bound -> float32, bool with int bounds -> int64
        input = input.to(rt)
    return apply(Clamp, input, lo=min, hi=max)


clip = clamp


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return binary_any(Maximum, input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return binary_any(Minimum, input, other)


def where(condition: Tensor, input=None, other=None) -> Tensor:
    """Elements of ``input`` where ``condition`` holds, else of ``other``."""
    if input is None and other is None:
        from .index import nonzero

        return nonzero(condition, as_tuple=True)
    cond = condition if isinstance(condition, Tensor) else as_operand(condition)
    if cond._data.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype}")
    if isinstance(input, Tensor):
        a, b = promote(input, other)
    elif isinstance(other, Tensor):
        b, a = promote(other, input)
    else:  # two Python scalars: the dtype torch gives them (a float is the default dtype, not float64)
        dt = result_type(input, other).np
        a, b = Tensor._wrap(scalar_array(input, dt)), Tensor._wrap(scalar_array(other, dt))
    return apply(Where, cond, a, b)


# -- comparisons and logic (results are bool tensors, never differentiable) ------------------------------
def _compare(ufunc):
    def compare(input, other) -> Tensor:
        a = input if isinstance(input, Tensor) else as_operand(input, other)
        a, b = promote(a, other)
        return _nondiff(ufunc(a._data, b._data))

    compare.__name__ = ufunc.__name__
    return compare


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _data(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def logical_and(input, other) -> Tensor:
    return _nondiff(np.logical_and(_data(input), _data(other)))


def logical_or(input, other) -> Tensor:
    return _nondiff(np.logical_or(_data(input), _data(other)))


def logical_xor(input, other) -> Tensor:
    return _nondiff(np.logical_xor(_data(input), _data(other)))


def logical_not(input) -> Tensor:
    return _nondiff(np.logical_not(_data(input)))


def _bitwise(ufunc, name):
    def op(input, other) -> Tensor:
        a, b = promote(input if isinstance(input, Tensor) else as_operand(input, other), other)
        if a._data.dtype.kind == "f":
            raise RuntimeError(f'"{name}_cpu" not implemented for \'{a.dtype}\': bitwise ops need bool or '
                               "integer tensors (use logical_and/logical_or for masks)")
        return _nondiff(ufunc(a._data, b._data))

    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "f":
        raise RuntimeError(f"bitwise_not is not implemented for {input.dtype}: use a bool or integer tensor")
    return _nondiff(np.invert(input._data))


def isnan(input: Tensor) -> Tensor:
    return _nondiff(np.isnan(input._data))


def isfinite(input: Tensor) -> Tensor:
    return _nondiff(np.isfinite(input._data))


def isinf(input: Tensor) -> Tensor:
    return _nondiff(np.isinf(input._data))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    return _nondiff(np.isclose(_data(input), _data(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(np.allclose(_data(input), _data(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Tensor, other: Tensor) -> bool:
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


# -- operators and methods on Tensor ---------------------------------------------------------------------
def _attach() -> None:
    T = Tensor
    T.__add__ = operator(Add)
    T.__radd__ = operator(Add, reverse=True)
    T.__sub__ = operator(Sub, check=_check_no_bool_sub)  # (no bool tensor on the fast paths)
    T.__rsub__ = lambda self, other: sub(other, self)
    T.__mul__ = operator(Mul)
    T.__rmul__ = operator(Mul, reverse=True)
    T.__truediv__ = lambda self, other: div(self, other)
    T.__rtruediv__ = lambda self, other: div(as_operand(other, self), self)
    T.__floordiv__ = lambda self, other: floor_divide(self, other)
    T.__rfloordiv__ = lambda self, other: floor_divide(as_operand(other, self), self)
    T.__mod__ = lambda self, other: remainder(self, other)
    T.__rmod__ = lambda self, other: remainder(as_operand(other, self), self)
    T.__pow__ = pow  # (no lambda hop)
    T.__rpow__ = lambda self, other: pow(other, self)
    T.__neg__ = neg
    T.__pos__ = lambda self: self
    T.__abs__ = abs
    T.__eq__ = eq
    T.__ne__ = ne
    T.__lt__ = lt
    T.__le__ = le
    T.__gt__ = gt
    T.__ge__ = ge
    T.__and__ = lambda self, other: bitwise_and(self, other)
    T.__rand__ = lambda self, other: bitwise_and(self, other)
    T.__or__ = lambda self, other: bitwise_or(self, other)
    T.__ror__ = lambda self, other: bitwise_or(self, other)
    T.__xor__ = lambda self, other: bitwise_xor(self, other)
    T.__invert__ = bitwise_not
    for name in ("add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow", "neg",
                 "negative", "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "rsqrt", "square",
                 "reciprocal", "sin", "cos", "tan", "tanh", "sinh", "cosh", "sigmoid", "relu", "abs",
                 "absolute", "sign", "floor", "ceil", "round", "trunc", "clamp", "clip", "maximum", "minimum",
                 "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
                 "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
                 "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isfinite", "isinf", "isclose",
                 "allclose", "equal"):
        setattr(T, name, globals()[name])
    T.subtract, T.multiply, T.divide = sub, mul, div
    T.where = lambda self, condition, other: where(condition, self, other)


# Ops whose backward is plain arithmetic, written so that it runs on NumPy arrays as well as on Tensors:
# ``loss.backward()`` runs them on arrays (see Node.backward_on_arrays; checked in tests/test_fast_paths.py).
for _op in (Add, Sub, Mul, Div, PowScalar, Neg, Exp, Log, Log1p, Expm1, Sqrt, Rsqrt, Tanh, Sigmoid, Relu, Step,
            AddScalar, SubScalar, RsubScalar, MulScalar, DivScalar):
    _op.backward_on_arrays = True

# Ops whose forward keeps nothing on ctx but what it saves (see Node.ctx_free_forward).
for _op in (Add, Sub, Mul, Div, Pow, Neg, Remainder, Exp, Log, Log1p, Expm1, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid,
            Relu, Abs, Maximum, Minimum, FloorDivide, Where,
            PowScalar, AddScalar, SubScalar, RsubScalar, MulScalar, DivScalar):  # (these set only ctx.n: _NoGradCtx)
    _op.ctx_free_forward = True

_attach()
