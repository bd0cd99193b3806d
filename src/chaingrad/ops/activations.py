"""The activation functions torch computes as one node each (``SiluBackward0``, ``EluBackward0``,
``HardtanhBackward0`` ...): forward as torch's CPU kernels compute it, derivative beside it, with torch's
conventions at the kinks (hardtanh passes no gradient at its bounds, threshold none at the threshold).

Each backward is written with tensor operations on the saved input, so it can itself be differentiated.
"""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from ..tensor import Tensor

_SIXTH = float(np.float32(1 / 6))  # hardsigmoid's gradient: torch multiplies by the float32 1/6, in double too


def _c(x: np.ndarray, value: float):
    """A constant in x's dtype (so float32 stays float32)."""
    return x.dtype.type(value)


def _mask(condition: np.ndarray, like: Tensor) -> Tensor:
    return Tensor._wrap(condition.astype(like._data.dtype))


class Silu(Node):
    """x * sigmoid(x), computed as torch's kernel: x / (1 + exp(-x))."""

    formulas = ("dL/dx = dL/dout * sigmoid(x) * (1 + x * (1 - sigmoid(x)))",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return x / (_c(x, 1) + np.exp(-x))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return g * s * (1 + x * (1 - s))


class Mish(Node):
    """x * tanh(softplus(x))."""

    formulas = ("dL/dx = dL/dout * (tanh(softplus(x)) + x * sigmoid(x) * (1 - tanh(softplus(x))^2))",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return x * np.tanh(np.log1p(np.exp(x)))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        from ..nn.functional import softplus

        t = softplus(x).tanh()
        return g * (t + x * x.sigmoid() * (1 - t * t))


class Elu(Node):
    """``scale * x`` above 0, ``scale * alpha * (exp(input_scale * x) - 1)`` at and below (selu and celu are
    elus with other constants)."""

    formulas = ("dL/dx = dL/dout * (scale if x > 0 else scale * alpha * input_scale * exp(input_scale * x))",)

    def forward(ctx, x, alpha=1.0, scale=1.0, input_scale=1.0, backward_input_scale=None, from_result=False):
        # (torch's celu gradient takes input_scale as 1 / alpha with alpha rounded to float32; its value does not)
        ctx.alpha, ctx.scale = alpha, scale
        ctx.input_scale = input_scale if backward_input_scale is None else backward_input_scale
        neg = np.expm1(x * _c(x, input_scale)) * _c(x, alpha * scale)
        out = np.where(x > 0, x * _c(x, scale) if scale != 1 else x, neg)
        # the in-place forms (EluBackward1 ...) keep the result instead: the input is overwritten
        ctx.from_result = from_result
        ctx.save_for_backward(Tensor._wrap(out.copy()) if from_result else x)
        return out

    def backward(ctx, g):
        (saved,) = ctx.saved_tensors
        positive = _mask(saved._data > 0, g)
        if ctx.from_result:  # exp(input_scale * x) * alpha * scale = out + alpha * scale where x <= 0
            slope = (saved + ctx.scale * ctx.alpha) * ctx.input_scale
        else:
            # (exp of the non-positive part only: exp of a large x is inf, and inf * 0 would be nan)
            slope = (saved.clamp(max=0) * ctx.input_scale).exp() * (ctx.scale * ctx.alpha * ctx.input_scale)
        return g * (positive * ctx.scale + (1 - positive) * slope)


class Hardsigmoid(Node):
    """min(max(x + 3, 0), 6) / 6."""

    formulas = ("dL/dx = dL/dout / 6 where -3 < x < 3, else 0",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(np.maximum(x + _c(x, 3), _c(x, 0)), _c(x, 6)) / _c(x, 6)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _mask((x._data > -3) & (x._data < 3), g) * _SIXTH


class Hardswish(Node):
    """x * min(max(x + 3, 0), 6) / 6."""

    formulas = ("dL/dx = dL/dout * (0 if x <= -3 else x / 3 + 0.5 if x < 3 else 1)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.minimum(np.maximum(x + _c(x, 3), _c(x, 0)), _c(x, 6)) / _c(x, 6)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        middle, upper = _mask((a > -3) & (a < 3), g), _mask(a >= 3, g)
        return g * (middle * (x / 3 + 0.5) + upper)


class Hardtanh(Node):
    """min(max(x, min_val), max_val) (relu6 is hardtanh(0, 6))."""

    formulas = ("dL/dx = dL/dout where min_val < x < max_val, else 0",)

    def forward(ctx, x, min_val=-1.0, max_val=1.0):
        ctx.save_for_backward(x)
        ctx.min_val, ctx.max_val = min_val, max_val
        return np.minimum(np.maximum(x, _c(x, min_val)), _c(x, max_val))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _mask((x._data > ctx.min_val) & (x._data < ctx.max_val), g)


class LogSigmoid(Node):
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), without overflow."""

    formulas = ("dL/dx = dL/dout * (1 - sigmoid(x))",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(x, _c(x, 0)) - np.log1p(np.exp(-np.abs(x)))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (-x).sigmoid()


class Softshrink(Node):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""

    formulas = ("dL/dx = dL/dout where |x| > lambd, else 0",)

    def forward(ctx, x, lambd=0.5):
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        lam = _c(x, lambd)
        return np.where(x > lam, x - lam, np.where(x < -lam, x + lam, _c(x, 0)))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _mask(np.abs(x._data) > ctx.lambd, g)


class Hardshrink(Node):
    """x where |x| > lambd, else 0."""

    formulas = ("dL/dx = dL/dout where |x| > lambd, else 0",)

    def forward(ctx, x, lambd=0.5):
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        lam = _c(x, lambd)
        return np.where((x >= -lam) & (x <= lam), _c(x, 0), x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lam = ctx.lambd
        return g * _mask((x._data < -lam) | (x._data > lam), g)


class Threshold(Node):
    """x where x > threshold, else value."""

    formulas = ("dL/dx = dL/dout where x > threshold, else 0",)

    def forward(ctx, x, threshold=0.0, value=0.0):
        ctx.save_for_backward(x)
        ctx.threshold = threshold
        return np.where(x <= _c(x, threshold), _c(x, value), x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _mask(x._data > ctx.threshold, g)


class Glu(Node):
    """The first half of x along ``dim`` times the sigmoid of the second half."""

    formulas = ("dL/dx = [dL/dout * sigmoid(b), dL/dout * a * sigmoid(b) * (1 - sigmoid(b))] along dim",)

    def forward(ctx, x, dim=-1):
        ctx.save_for_backward(x)
        ctx.dim = dim
        a, b = np.split(x, 2, axis=dim)
        with np.errstate(over="ignore"):
            return a * (_c(x, 1) / (_c(x, 1) + np.exp(-b)))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        from .shape import cat

        a, b = x.chunk(2, ctx.dim)
        s = b.sigmoid()
        return cat([g * s, g * a * s * (1 - s)], ctx.dim)


class PreluKernel(Node):
    """x above 0, weight * x at and below; ``weight`` holds one slope, or one per channel (dim 1)."""

    input_names = ("x", "weight")
    formulas = ("dL/dx = dL/dout * (1 if x > 0 else weight)", "dL/dweight = sum(dL/dout * x where x <= 0)")

    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return np.where(x > 0, x, weight * x)

    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        positive = _mask(x._data > 0, g)
        gx = g * (positive + (1 - positive) * weight)
        from .reduce import sum_to

        return gx, sum_to(g * x * (1 - positive), tuple(weight.shape))


class RreluWithNoise(Node):
    """Randomized leaky ReLU: in training each non-positive element gets its own slope drawn from
    U(lower, upper) (the "noise"); in evaluation the slope is (lower + upper) / 2."""

    formulas = ("dL/dx = dL/dout * (1 if x > 0 else noise)",)

    def forward(ctx, x, noise):
        ctx.noise = noise
        return np.where(x > 0, x, x * noise)

    def backward(ctx, g):
        return g * Tensor._wrap(ctx.noise)


def rrelu_noise(gen, x: np.ndarray, lower: float, upper: float, training: bool) -> np.ndarray:
    """The slopes torch's ``rrelu_with_noise`` uses, in x's type, with lower and upper first rounded to it: in
    training, element by element in memory order, one double uniform U(lower, upper) for each element <= 0
    (1 elsewhere); otherwise the mean slope (lower + upper) / 2."""
    lo, hi = _c(x, lower), _c(x, upper)
    if not training:
        return np.where(x > 0, _c(x, 1), (lo + hi) / _c(x, 2))
    from ..random.uniform import unit_float64

    flat = np.ascontiguousarray(x).reshape(-1)
    neg = flat <= 0
    noise = np.ones(flat.shape, x.dtype)
    noise[neg] = unit_float64(gen.random64(int(neg.sum()))) * (float(hi) - float(lo)) + float(lo)
    return noise.reshape(x.shape)
