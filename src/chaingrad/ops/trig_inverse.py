"""The inverse trigonometric and hyperbolic functions: asin, acos, atan, asinh, acosh, atanh (and NumPy's
arcsin ... names), with their in-place twins (asinh_, acosh_ and atanh_ have no derivative in torch: their
backward raises, as torch's does). Integer inputs become the default float dtype first; outside the domain
(asin(2), acosh(0.5)) the value is nan, as in torch."""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from ..tensor import Tensor
from ._checks import require_tensor
from .inplace import _unary as _inplace
from .unary import _unary


class Asin(Node):
    formulas = ("dL/dx = dL/dout / sqrt(1 - x^2)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (1 - x * x).rsqrt()


class Acos(Node):
    formulas = ("dL/dx = -dL/dout / sqrt(1 - x^2)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * (1 - x * x).rsqrt()


class Atan(Node):
    formulas = ("dL/dx = dL/dout / (1 + x^2)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x * x)


class Asinh(Node):
    formulas = ("dL/dx = dL/dout / sqrt(x^2 + 1)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x * x + 1).rsqrt()


class Acosh(Node):
    formulas = ("dL/dx = dL/dout / sqrt((x - 1)(x + 1))",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccosh(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x - 1) * (x + 1)).rsqrt()


class Atanh(Node):
    formulas = ("dL/dx = dL/dout / (1 - x^2)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctanh(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 - x * x)


def asin(input: Tensor) -> Tensor:
    require_tensor(input, "asin")
    return _unary(Asin, input)


def acos(input: Tensor) -> Tensor:
    require_tensor(input, "acos")
    return _unary(Acos, input)


def atan(input: Tensor) -> Tensor:
    require_tensor(input, "atan")
    return _unary(Atan, input)


def asinh(input: Tensor) -> Tensor:
    require_tensor(input, "asinh")
    return _unary(Asinh, input)


def acosh(input: Tensor) -> Tensor:
    require_tensor(input, "acosh")
    return _unary(Acosh, input)


def atanh(input: Tensor) -> Tensor:
    require_tensor(input, "atanh")
    return _unary(Atanh, input)


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh", "acosh": "arccosh",
          "atanh": "arctanh"}


def _no_inplace_derivative(name: str):
    def backward(ctx, g):
        raise NotImplementedError(f"the derivative for 'inplace version of {name}' is not implemented.")

    return backward


# torch has no derivative for asinh_, acosh_ and atanh_ (their nodes raise in backward): the same here
_INPLACE_ONLY_FORWARD = {name: op.named(op.torch_name[:-1] + "1", backward=_no_inplace_derivative(name))
                         for name, op in (("asinh", Asinh), ("acosh", Acosh), ("atanh", Atanh))}


def _attach() -> None:
    for name, numpy_name in _NAMES.items():
        fn = globals()[name]
        if name in _INPLACE_ONLY_FORWARD:
            fn_ = lambda x, _op=_INPLACE_ONLY_FORWARD[name]: _unary(_op, x)  # noqa: E731
        else:
            fn_ = fn
        twin = _inplace(name + "_", fn_)
        setattr(Tensor, name, fn)
        setattr(Tensor, numpy_name, fn)
        setattr(Tensor, name + "_", twin)
        setattr(Tensor, numpy_name + "_", twin)


_attach()
