"""Arithmetic: ``+ - * / ** % //`` and negation, elementwise maximum/minimum and ``where``.

Each op: forward on NumPy arrays, backward with operations that Tensors have, and its derivative as text.
Broadcasting needs no care here: the engine sums each gradient back to its input's shape. The arithmetic
ops also take a Python number for an input (``x * 0.5``): forward and backward read it like an array.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._dtype import result_type
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._dispatch import as_operand, binary_any, number_operand, operator, promote, scalar_array, to_float

# Like torch, log(0) is -inf and 0/0 is nan without a warning.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"chaingrad\.")


class Add(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout", "dL/db = dL/dout")
    takes_numbers = True
    backward_on_arrays = True

    def forward(ctx, a, b):
        return a + b

    def backward(ctx, g):
        return g, g


class Sub(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout", "dL/db = -dL/dout")
    takes_numbers = True
    backward_on_arrays = True

    def forward(ctx, a, b):
        return a - b

    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Rsub(Sub):
    """``2 - x``: a Python number minus a tensor (torch names its node RsubBackward1, without the number)."""

    torch_name = "RsubBackward1"
    lists_numbers = False


class Mul(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout * b", "dL/db = dL/dout * a")
    takes_numbers = True
    backward_on_arrays = True

    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        return a * b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None,
                g * a if ctx.needs_input_grad[1] else None)


class Div(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout / b", "dL/db = -dL/dout * a / b^2")
    takes_numbers = True
    backward_on_arrays = True

    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g / b if ctx.needs_input_grad[0] else None,
                -g * a / (b * b) if ctx.needs_input_grad[1] else None)


DIV_SCALAR = Div.named("DivBackward1")  # torch's name when C++ code divides by a Scalar (cross_entropy's mean)


class Pow(Node):
    input_names = ("x", "n")
    formulas = ("dL/dx = dL/dout * n * x^(n-1)", "dL/dn = dL/dout * x^n * ln(x)")
    takes_numbers = True
    lists_numbers = False  # torch's PowBackward0 of x ** 2 has one edge

    @property
    def backward_on_arrays(self) -> bool:
        """With a Python number for n (``x ** 2``) the derivative is plain arithmetic: it may run on arrays."""
        return type(self.input_meta[1]) is not tuple  # (a number input's meta is the number)

    def forward(ctx, x, n):
        ctx.save_for_backward(x, n)
        return x ** n

    def backward(ctx, g):
        x, n = ctx.saved_tensors
        gx = gn = None
        if ctx.needs_input_grad[0]:
            if not isinstance(n, Tensor):  # x ** 0 is constant (0 * x^-1 would be nan at x = 0); x ** 1 is x
                gx = g * 0 if n == 0 else g * n * (x if n == 2 else x ** (n - 1))
            else:
                gx = g * n * x ** (n - 1)
                if (n._data == 0).any():
                    gx = where(n == 0, 0.0, gx)
        if ctx.needs_input_grad[1]:
            gn = g * x ** n * where((x == 0) & (n >= 0), 1.0, x).log()  # 0 where x == 0 and n >= 0, as torch
        return gx, gn


class Neg(Node):
    formulas = ("dL/dx = -dL/dout",)
    backward_on_arrays = True

    def forward(ctx, x):
        return -x

    def backward(ctx, g):
        return -g


class Remainder(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout", "dL/db = -dL/dout * floor(a / b)")
    takes_numbers = True
    lists_numbers = False

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, (-g * (a / b).floor() if ctx.needs_input_grad[1] else None)


class FloorDivide(Node):
    """``a // b``: recorded like torch, whose backward for floor_divide is not implemented."""

    torch_name = "NotImplemented"
    input_names = ("a", "b")
    formulas = ("not differentiable", "not differentiable")

    def forward(ctx, a, b):
        return np.floor_divide(a, b)

    def backward(ctx, g):
        raise RuntimeError("derivative for aten::floor_divide is not implemented (it is 0 almost everywhere; "
                           "torch.div(a, b, rounding_mode='floor') has a zero gradient)")


# -- choosing between inputs -------------------------------------------------------------------------------
class Maximum(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout * (a > b) + dL/dout / 2 * (a == b)",
                "dL/db = dL/dout * (b > a) + dL/dout / 2 * (a == b)")
    wins = staticmethod(np.greater)  # where a wins (Minimum: np.less)

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = ctx.wins(a._data, b._data) + (a._data == b._data) * 0.5  # a's share of the gradient: 1, 1/2 or 0
        share = Tensor._wrap(np.asarray(share, dtype=g._data.dtype))
        return g * share, g * (1 - share)


class Minimum(Maximum):
    formulas = ("dL/da = dL/dout * (a < b) + dL/dout / 2 * (a == b)",
                "dL/db = dL/dout * (b < a) + dL/dout / 2 * (a == b)")
    wins = staticmethod(np.less)

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)


class Where(Node):
    unlisted_inputs = (0,)  # torch keeps no edge for the condition
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


def nondiff(result) -> Tensor:
    """A result that has no gradient (a comparison, a bool ** bool) as a tensor, 0-d results as arrays."""
    return Tensor._wrap(result if type(result) is np.ndarray else np.asarray(result))


# -- the public functions ------------------------------------------------------------------------------------
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
        if isinstance(input, Tensor) and number_operand(input, other) or \
                isinstance(other, Tensor) and number_operand(other, input):
            return apply(Div, input, other)
        a, b = promote(input if isinstance(input, Tensor) else as_operand(input, other), other)
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


# torch's names for pow and remainder of two tensors, and of a number to a tensor power
_POW_TENSOR, _POW_OF_NUMBER = Pow.named("PowBackward1"), Pow.named("PowBackward2", unlisted_inputs=(0,))
_REMAINDER_TENSOR = Remainder.named("RemainderBackward1")


def remainder(input, other) -> Tensor:
    return binary_any(_REMAINDER_TENSOR if isinstance(other, Tensor) else Remainder, input, other)


def pow(input, exponent) -> Tensor:
    """input ** exponent (tensor or scalar on either side)."""
    if not isinstance(input, Tensor):  # a number to a tensor power: the base is a constant tensor
        base, exponent = promote(as_operand(input, exponent), exponent)
        return apply(_POW_OF_NUMBER, base, exponent)
    if number_operand(input, exponent):
        return apply(Pow, input, exponent)
    x, n = promote(input, exponent)
    if x._data.dtype.kind == "b":
        if isinstance(exponent, Tensor):
            raise RuntimeError("\"pow\" not implemented for 'Bool' (convert with .long() or .float() first)")
        return nondiff(x._data | (not exponent))  # bool ** bool stays bool, as torch
    if x._data.dtype.kind in "iu" and ((n._data < 0).any() or (isinstance(exponent, int) and exponent < 0)):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return apply(_POW_TENSOR if isinstance(exponent, Tensor) else Pow, x, n)


def neg(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return apply(Neg, input)


negative = neg


def square(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "b":  # square is pow(x, 2): bools become int64, as torch
        input = input.long()
    return pow(input, 2)


class Reciprocal(Node):
    formulas = ("dL/dx = -dL/dout / x^2",)

    def forward(ctx, x):
        out = np.reciprocal(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return -g * out * out


def reciprocal(input: Tensor) -> Tensor:
    return apply(Reciprocal, to_float(input))


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return binary_any(Maximum, input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return binary_any(Minimum, input, other)


#: x.masked_fill(mask, value) is where(mask, value, x); torch's node for it lists x only
MASKED_FILL = Where.named("MaskedFillBackward0", unlisted_inputs=(0, 1))


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


def _rtruediv(self: Tensor, other) -> Tensor:
    """``2 / x``: as torch, the reciprocal of x times the number (MulBackward0 of ReciprocalBackward0)."""
    if type(other) is float or type(other) is int:
        return reciprocal(self) * other
    return div(other, self)


def _attach() -> None:
    T = Tensor
    T.__add__ = T.__radd__ = operator(Add)  # n + x is x + n (torch records it so too: the tensor first)
    T.__sub__ = operator(Sub, check=_check_no_bool_sub)  # (no bool tensor on the fast paths)
    T.__rsub__ = lambda self, other: sub(other, self)
    T.__mul__ = T.__rmul__ = operator(Mul)
    T.__truediv__ = lambda self, other: div(self, other)
    T.__rtruediv__ = _rtruediv
    T.__floordiv__ = lambda self, other: floor_divide(self, other)
    T.__rfloordiv__ = lambda self, other: floor_divide(as_operand(other, self), self)
    T.__mod__ = lambda self, other: remainder(self, other)
    T.__rmod__ = lambda self, other: remainder(as_operand(other, self), self)
    T.__pow__ = pow
    T.__rpow__ = lambda self, other: pow(other, self)
    T.__neg__ = neg
    T.__pos__ = lambda self: self
    for name in ("add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow", "neg", "negative",
                 "square", "reciprocal", "maximum", "minimum"):
        setattr(T, name, globals()[name])
    T.subtract, T.multiply, T.divide = sub, mul, div
    T.where = lambda self, condition, other: where(condition, self, other)


_attach()
