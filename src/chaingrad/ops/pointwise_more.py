"""Elementwise math of torch's namespace beyond the basics: ``copysign``, ``deg2rad``/``rad2deg``, ``exp2``,
``fmax``/``fmin`` (NaN-ignoring max/min), ``sinc``, ``ldexp``, ``float_power``, ``rsub``, ``positive``, ``fix``,
``nextafter``, ``frexp``, and the ones without a derivative: ``heaviside``, ``signbit``, ``gcd``, ``lcm``."""

from __future__ import annotations

import math

import numpy as np

from .. import return_types
from .._dtype import float64
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor, scalar_type
from ._dispatch import binary, binary_any, broadcast_error, promote, to_float

_LN2 = math.log(2.0)


class Copysign(Node):
    """|a| with b's sign: a's slope is +1 or -1 (result / a), 0 at a = 0; b's is 0."""

    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout * copysign(1, a) * copysign(1, b) (0 where a = 0)", "dL/db = 0")

    def forward(ctx, a, b):
        out = np.copysign(a, b)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        ratio = np.where(a._data == 0, 0, np.sign(a._data) * np.sign(out._data)).astype(g._data.dtype)
        return g * Tensor._wrap(ratio), (g * 0 if ctx.needs_input_grad[1] else None)


class Scale(Node):
    """x times a constant (deg2rad: pi/180, rad2deg: 180/pi)."""

    formulas = ("dL/dx = dL/dout * c (the constant: pi/180 for deg2rad, 180/pi for rad2deg)",)
    backward_on_arrays = True

    def forward(ctx, x, c=1.0):
        ctx.c = c
        return x * x.dtype.type(c)

    def backward(ctx, g):
        return g * ctx.c


class Exp2(Node):
    formulas = ("dL/dx = dL/dout * 2^x * ln 2",)
    backward_on_arrays = True

    def forward(ctx, x):
        out = np.exp2(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * _LN2


class Fmax(Node):
    """The larger of a and b, the number where the other is NaN (``smallest``: the smaller); ties go to a."""

    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout where a won (a >= b, or b is NaN), else 0 (fmin: a <= b)",
                "dL/db = dL/dout where b won, else 0")

    def forward(ctx, a, b, smallest=False):
        won = (a <= b if smallest else a >= b) | np.isnan(b)
        ctx.won = np.broadcast_to(won, np.broadcast_shapes(a.shape, b.shape))
        return np.fmin(a, b) if smallest else np.fmax(a, b)

    def backward(ctx, g):
        won = Tensor._wrap(ctx.won.astype(g._data.dtype))
        return g * won, g * (1 - won)


class Sinc(Node):
    """sin(pi x) / (pi x), 1 at x = 0."""

    formulas = ("dL/dx = dL/dout * (cos(pi x) - sinc(x)) / x (0 at x = 0)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinc(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        safe = np.where(a == 0, 1, a)
        slope = np.where(a == 0, 0, (np.cos(np.pi * a) - np.sinc(a)) / safe).astype(g._data.dtype)
        return g * Tensor._wrap(slope)


class Ldexp(Node):
    """x * 2^e: the slope in x is 2^e, in e (a float exponent) x * 2^e * ln 2."""

    input_names = ("x", "e")
    formulas = ("dL/dx = dL/dout * 2^e", "dL/de = dL/dout * x * 2^e * ln 2 (none for an integer e)")

    def forward(ctx, x, e):
        scale = np.exp2(e.astype(x.dtype) if e.dtype.kind != "f" else e)
        out = x * scale
        ctx.save_for_backward(scale, out)
        return out

    def backward(ctx, g):
        scale, out = ctx.saved_tensors
        return g * scale, (g * out * _LN2 if ctx.needs_input_grad[1] else None)


class Heaviside(Node):
    """The step function: torch defines no derivative for it, so it is recorded and backward says so."""

    torch_name = "NotImplemented"
    name_prefix = "torch::autograd::"
    input_names = ("x", "values")
    formulas = ("not differentiable: torch defines no derivative for heaviside", "not differentiable")

    def forward(ctx, x, values):
        return np.heaviside(x, values).astype(np.result_type(x, values), copy=False)

    def backward(ctx, g):
        raise RuntimeError("derivative for aten::heaviside is not implemented (it is a step: 0 almost everywhere; "
                           "detach its result, or use a smooth step such as sigmoid(k * x))")


class Nextafter(Node):
    """The next float from a toward b: as torch, the identity in a (one float step), nothing in b."""

    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout", "dL/db = 0")
    backward_on_arrays = True

    def forward(ctx, a, b):
        return np.nextafter(a, b)

    def backward(ctx, g):
        return g, g * 0


class Frexp(Node):
    """x = mantissa * 2^exponent: the mantissa's slope in x is 2^-exponent; the exponent is an integer."""

    num_outputs = 2
    formulas = ("dL/dx = dL/dmantissa / 2^exponent",)

    def forward(ctx, x):
        mantissa, exponent = np.frexp(x)
        ctx.save_for_backward(np.exp2(-exponent).astype(x.dtype))
        return mantissa, exponent.astype(np.int32)

    def backward(ctx, g_mantissa, g_exponent):
        (scale,) = ctx.saved_tensors
        return g_mantissa * scale


_DEG2RAD, _RAD2DEG = Scale.named("Deg2RadBackward0"), Scale.named("Rad2DegBackward0")
_COPYSIGN_NUMBER = Copysign.named("CopysignBackward1")
_FMIN = Fmax.named("FminBackward0")


def _float_pair(input: Tensor, other, op: str) -> tuple[Tensor, Tensor]:
    require_tensor(input, op)
    if not isinstance(other, (Tensor, int, float)) or isinstance(other, bool) and not isinstance(other, Tensor):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    a, b = promote(input, other)
    if a._data.dtype.kind != "f":
        a, b = to_float(a), to_float(b)
    return a, b


def copysign(input: Tensor, other) -> Tensor:
    """|input| with the sign of ``other`` (a tensor or a number; -0.0 counts as negative)."""
    a, b = _float_pair(input, other, "copysign")
    return binary(Copysign if isinstance(other, Tensor) else _COPYSIGN_NUMBER, a, b)


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians (x * pi / 180)."""
    return apply(_DEG2RAD, to_float(require_tensor(input, "deg2rad")), c=math.pi / 180)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees (x * 180 / pi)."""
    return apply(_RAD2DEG, to_float(require_tensor(input, "rad2deg")), c=180 / math.pi)


def exp2(input: Tensor) -> Tensor:
    """2 ** input."""
    return apply(Exp2, to_float(require_tensor(input, "exp2")))


def _fmax(input: Tensor, other: Tensor, smallest: bool) -> Tensor:
    op = "fmin" if smallest else "fmax"
    require_tensor(input, op)
    require_tensor(other, op, "other", 2)
    a, b = promote(input, other)
    if a._data.dtype.kind != "f":
        return Tensor._wrap((np.fmin if smallest else np.fmax)(a._data, b._data))
    try:
        return apply(_FMIN if smallest else Fmax, a, b, smallest=smallest)
    except ValueError:
        raise broadcast_error(a, b) from None


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """The elementwise maximum, where a NaN loses to a number (``maximum`` propagates NaN)."""
    return _fmax(input, other, False)


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """The elementwise minimum, where a NaN loses to a number."""
    return _fmax(input, other, True)


def sinc(input: Tensor) -> Tensor:
    """The normalized sinc, sin(pi x) / (pi x), with sinc(0) = 1."""
    return apply(Sinc, to_float(require_tensor(input, "sinc")))


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input * 2 ** other."""
    require_tensor(input, "ldexp")
    require_tensor(other, "ldexp", "other", 2)
    x = to_float(input)
    if other._data.dtype.kind == "f":
        x, other = promote(x, other)
    return binary(Ldexp, x, other) if other._data.dtype.kind == "f" else apply(Ldexp, x, other)


def float_power(input, exponent) -> Tensor:
    """input ** exponent computed in float64 (either may be a number)."""
    if isinstance(input, Tensor):
        base = input.to(float64)
        return base ** (exponent.to(float64) if isinstance(exponent, Tensor) else exponent)
    require_tensor(exponent, "float_power", "exponent", 2)
    return input ** exponent.to(float64)


def rsub(input: Tensor, other, alpha=1) -> Tensor:
    """other - alpha * input (``sub`` with the operands swapped)."""
    from .arithmetic import Rsub, Sub, _check_no_bool_sub

    require_tensor(input, "rsub")
    _check_no_bool_sub(input, other)
    scaled = input if alpha == 1 else input * alpha
    if isinstance(other, Tensor):
        return binary(Sub.named("RsubBackward0"), other, scaled)
    return binary_any(Rsub, other, scaled)


def positive(input: Tensor) -> Tensor:
    """``input`` itself (+x); bool tensors are refused, as torch."""
    require_tensor(input, "positive")
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def fix(input: Tensor) -> Tensor:
    """``trunc``: rounding toward zero."""
    return require_tensor(input, "fix").trunc()


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The step function: 0 where input < 0, 1 where input > 0, ``values`` where input == 0."""
    require_tensor(input, "heaviside")
    require_tensor(values, "heaviside", "values", 2)
    if input.dtype is not values.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different dtypes (got "
                           f"{input.dtype} and {values.dtype}: convert one with .to())")
    return apply(Heaviside, input, values)


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next float after ``input`` in the direction of ``other``."""
    require_tensor(input, "nextafter")
    require_tensor(other, "nextafter", "other", 2)
    a, b = promote(input, other)
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{scalar_type(a)}'")
    try:
        return apply(Nextafter, a, b)
    except ValueError:
        raise broadcast_error(a, b) from None


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (negative numbers, and -0.0)."""
    return Tensor._wrap(np.signbit(require_tensor(input, "signbit")._data))


def _integer_pair(input: Tensor, other: Tensor, op: str) -> tuple[np.ndarray, np.ndarray]:
    require_tensor(input, op)
    require_tensor(other, op, "other", 2)
    a, b = promote(input, other)
    if a._data.dtype.kind not in "iu":
        raise NotImplementedError(f"\"{op}_cpu\" not implemented for '{scalar_type(a)}' ({op} takes integer "
                                  "tensors)")
    return a._data, b._data


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """The greatest common divisor, elementwise (non-negative)."""
    return Tensor._wrap(np.gcd(*_integer_pair(input, other, "gcd")))


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """The least common multiple, elementwise (non-negative)."""
    return Tensor._wrap(np.lcm(*_integer_pair(input, other, "lcm")))


def frexp(input: Tensor):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent, |mantissa| in [0.5, 1): return_types.frexp."""
    require_tensor(input, "frexp")
    if input._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = apply(Frexp, input)
    return return_types.frexp(mantissa, exponent)



def _attach() -> None:
    from .inplace import inplace

    names = ("copysign", "deg2rad", "rad2deg", "exp2", "fmax", "fmin", "sinc", "ldexp", "float_power", "positive",
             "fix", "heaviside", "nextafter", "signbit", "gcd", "lcm", "frexp")
    for name in names:
        setattr(Tensor, name, globals()[name])
    for name in ("copysign", "deg2rad", "rad2deg", "exp2", "sinc", "ldexp", "float_power", "fix", "heaviside",
                 "nextafter", "gcd", "lcm"):
        fn = globals()[name]

        def method_(self, *args, _fn=fn, _name=name + "_"):
            return inplace(self, lambda old: _fn(old, *args), _name, tuple(a for a in args if isinstance(a, Tensor)))

        method_.__name__ = name + "_"
        setattr(Tensor, name + "_", method_)


_attach()
