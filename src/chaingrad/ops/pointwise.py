"""More elementwise math from the textbooks: ``fmod`` (C's remainder, the sign of the dividend), ``frac``, ``sgn``,
``logaddexp`` and ``logaddexp2`` (log of a sum of exponentials of two tensors, without overflow)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_float, scalar_type
from ._checks import require_tensor as _tensor
from ._dispatch import binary, broadcast_error, promote
from .unary import Step

_LN2 = math.log(2.0)


class Fmod(Node):
    """a - b * trunc(a / b): the remainder with the sign of a (torch.remainder's has the sign of b)."""

    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout", "dL/db = -dL/dout * trunc(a / b)")
    takes_numbers = True
    lists_numbers = False  # (torch's FmodBackward0 of fmod(x, 2) has one edge)

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.fmod(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, (-g * (a / b).trunc() if ctx.needs_input_grad[1] else None)


class Frac(Node):
    formulas = ("dL/dx = dL/dout (x - trunc(x) has slope 1 between the integers)",)
    backward_on_arrays = True

    def forward(ctx, x):
        return x - np.trunc(x)

    def backward(ctx, g):
        return g


class LogAddExp(Node):
    """log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)); with ``base2``, log2(2^a + 2^b)."""

    torch_name = "LogaddexpBackward0"

    input_names = ("a", "b")
    formulas = ("dL/da = dL/dout / (1 + exp(b - a)) (base 2: 1 + 2^(b - a))",
                "dL/db = dL/dout / (1 + exp(a - b)) (base 2: 1 + 2^(a - b))")

    def forward(ctx, a, b, base2=False):
        ctx.base2 = base2
        ctx.save_for_backward(a, b)
        return np.logaddexp2(a, b) if base2 else np.logaddexp(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        diff = b - a
        ea = (diff * _LN2).exp() if ctx.base2 else diff.exp()  # exp(b - a): a's share is 1 / (1 + ea)
        share = 1 / (1 + ea)
        return (g * share if ctx.needs_input_grad[0] else None,
                g * (1 - share) if ctx.needs_input_grad[1] else None)


class Sgn(Step):
    """The sign, 0 for NaN as torch's; a step function like sign (its derivative, Step's, is 0)."""

    torch_name = "SgnBackward0"

    def forward(ctx, x):
        if x.dtype.kind == "b":
            return x.copy()
        out = np.sign(x)
        return np.where(np.isnan(out), np.zeros((), out.dtype), out) if out.dtype.kind == "f" else out


SIGN = Sgn.named("SignBackward0")
_FMOD_TENSOR = Fmod.named("FmodBackward1")
_LOGADDEXP2 = LogAddExp.named("Logaddexp2Backward0")


def _no_bool(x: Tensor, kernel: str) -> None:
    if x._data.dtype.kind == "b":
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool' (convert with .long() or .float() first)")


def fmod(input: Tensor, other) -> Tensor:
    """The elementwise remainder of input / other with the sign of ``input`` (C's fmod); ``other`` a tensor or a
    number. Integer division by zero is an error, as in torch."""
    _tensor(input, "fmod")
    a = input
    if isinstance(other, Tensor):
        a, b = promote(input, other)
    elif isinstance(other, (int, float)) and not isinstance(other, bool):
        a, b = promote(input, other)
    else:
        raise TypeError(f"fmod(): argument 'other' (position 2) must be Tensor or Number, not {type(other).__name__}")
    _no_bool(a, "fmod_cpu")
    if a._data.dtype.kind in "iu" and not np.all(b._data):
        raise RuntimeError("ZeroDivisionError (fmod of integer tensors by 0: use float tensors to get NaN)")
    if isinstance(other, Tensor):
        return binary(_FMOD_TENSOR, a, b)
    return apply(Fmod, a, b if a._data.dtype != input._data.dtype or a._data.dtype.kind != "f" else other)


def frac(input: Tensor) -> Tensor:
    """The fractional part, ``input - trunc(input)`` (with input's sign)."""
    _tensor(input, "frac")
    require_float(input, "frac", "frac_cpu", "takes floating point tensors")
    return apply(Frac, input)


def sgn(input: Tensor) -> Tensor:
    """The sign (-1, 0 or 1; 0 for NaN, as torch); for real tensors the same as ``sign``."""
    return apply(Sgn, _tensor(input, "sgn"))


def _logaddexp(input: Tensor, other: Tensor, base2: bool) -> Tensor:
    op = "logaddexp2" if base2 else "logaddexp"
    _tensor(input, op)
    _tensor(other, op, "other", 2)
    a, b = promote(input, other)
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{op}_cpu\" not implemented for '{scalar_type(a)}' ({op} takes floating point "
                                  "tensors: call .float() on the inputs first)")
    try:
        return apply(_LOGADDEXP2 if base2 else LogAddExp, a, b, base2=base2)
    except ValueError:
        raise broadcast_error(a, b) from None


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(exp(input) + exp(other)), computed without overflow (a softmax's denominator of two terms)."""
    return _logaddexp(input, other, base2=False)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """log2(2^input + 2^other), computed without overflow."""
    return _logaddexp(input, other, base2=True)


def _attach() -> None:
    from .inplace import inplace

    T = Tensor
    for name in ("fmod", "frac", "sgn", "logaddexp", "logaddexp2"):
        setattr(T, name, globals()[name])
    for name in ("fmod", "frac", "sgn"):  # (torch has no logaddexp_)
        fn = globals()[name]

        def method_(self, *args, _fn=fn, _name=name + "_"):
            return inplace(self, lambda old: _fn(old, *args), _name, tuple(a for a in args if isinstance(a, Tensor)))

        method_.__name__ = name + "_"
        setattr(T, name + "_", method_)


_attach()
