"""The gamma family: ``lgamma`` (log |Gamma(x)|), ``digamma`` (its derivative, psi) and ``polygamma(n, x)`` (the
n-th derivative of psi). Each one's derivative is the next: lgamma' = digamma, digamma' = polygamma(1),
polygamma(n)' = polygamma(n + 1), so higher derivatives come for free. The values are scipy.special's, computed
in float64 and rounded to the input's dtype; at the edges where torch defines a value of its own (see
``_as_torch``), that value."""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor as _tensor
from ._dispatch import to_float


def _special(name: str, x: np.ndarray, *args) -> np.ndarray:
    from scipy import special  # (imported on first use: it takes longer to import than all of chaingrad)

    return getattr(special, name)(*args, x.astype(np.float64, copy=False))


def _as_torch(out: np.ndarray, x: np.ndarray, op: str, n: int = 0) -> np.ndarray:
    """torch's values where scipy's differ at the edges: lgamma(-inf) = inf (the limit of |Gamma|), and
    polygamma(n >= 2, inf) = NaN (torch's zeta at infinity)."""
    if op == "lgamma":
        out = np.where(x == -np.inf, np.inf, out)
    elif op == "polygamma" and n >= 2:
        out = np.where(x == np.inf, np.nan, out)
    return out.astype(x.dtype, copy=False)


class Lgamma(Node):
    formulas = ("dL/dx = dL/dout * digamma(x)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _as_torch(_special("gammaln", x), x, "lgamma")

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * digamma(x)


class Digamma(Node):
    formulas = ("dL/dx = dL/dout * polygamma(1, x)",)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _as_torch(_special("psi", x), x, "digamma")

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * polygamma(1, x)


class Polygamma(Node):
    formulas = ("dL/dx = dL/dout * polygamma(n + 1, x)",)

    def forward(ctx, x, n=1):
        ctx.n = n
        ctx.save_for_backward(x)
        out = _special("psi", x) if n == 0 else _special("polygamma", x, n)
        return _as_torch(out, x, "polygamma", n)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * polygamma(ctx.n + 1, x)


_POLYGAMMA_IN_PLACE = Polygamma.named("PolygammaBackward1")  # (torch's node for x.polygamma_(n))


def lgamma(input: Tensor) -> Tensor:
    """log |Gamma(x)| (inf at 0 and the negative integers); integer inputs become the default float dtype."""
    return apply(Lgamma, to_float(_tensor(input, "lgamma")))


def digamma(input: Tensor) -> Tensor:
    """psi(x) = d/dx lgamma(x): -inf at +0 and +inf at -0, NaN at the negative integers (as torch since 1.8)."""
    return apply(Digamma, to_float(_tensor(input, "digamma")))


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma (``polygamma(0, x)`` is ``digamma(x)``; 1 is the trigamma function)."""
    return _polygamma(n, input, Polygamma)


def _polygamma(n: int, input: Tensor, node: type[Node]) -> Tensor:
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    _tensor(input, "polygamma", "input", 2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return apply(node, to_float(input), n=int(n))


def _attach() -> None:
    from .inplace import inplace

    T = Tensor
    T.lgamma, T.digamma = lgamma, digamma
    T.lgamma_ = lambda self: inplace(self, lambda old: lgamma(old), "lgamma_")
    T.digamma_ = lambda self: inplace(self, lambda old: digamma(old), "digamma_")
    T.polygamma = lambda self, n: polygamma(n, self)  # (the method takes n: x.polygamma(2))
    T.polygamma_ = lambda self, n: inplace(self, lambda old: _polygamma(n, old, _POLYGAMMA_IN_PLACE), "polygamma_")


_attach()
