"""chaingrad.special, as torch.special: the error functions, logit/expit, xlogy, the gamma family and friends."""

from __future__ import annotations

import math

from . import digamma, expm1, log1p, logsumexp, polygamma, round, sigmoid  # noqa: A004 (chaingrad's own names)
from . import lgamma as gammaln
from ._arguments import checked_namespace as _checked_namespace
from .ops._out import with_out as _with_out
from .ops.nn_ops import log_softmax, softmax  # (without out=, as torch.special's)
from .ops.small_math import i0
from .ops.special import erf, erfc, erfinv, logit, xlog1py, xlogy
from .tensor import Tensor

expit = sigmoid
psi = digamma


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF, (1 + erf(x / sqrt(2))) / 2."""
    return (1 + erf(input * (1 / math.sqrt(2)))) * 0.5


def ndtri(input: Tensor) -> Tensor:
    """The inverse of ndtr: sqrt(2) * erfinv(2p - 1)."""
    return erfinv(input * 2 - 1) * math.sqrt(2)


# the functions torch.special gives out= that are not chaingrad's own (which have it already: ops/_out.py)
for _name in ("erf", "erfc", "erfinv", "i0", "logit", "ndtr", "ndtri", "xlog1py", "xlogy"):
    globals()[_name] = _with_out(globals()[_name], "special." + _name)
del _name
_checked_namespace(globals())  # special.erf([1.0]) is torch's TypeError (chaingrad/_arguments.py)

__all__ = ["digamma", "erf", "erfc", "erfinv", "expit", "expm1", "gammaln", "i0", "log1p", "log_softmax", "logit",
           "logsumexp", "ndtr", "ndtri", "polygamma", "psi", "round", "softmax", "xlog1py", "xlogy"]
