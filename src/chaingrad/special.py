"""chaingrad.special, as torch.special: the error functions, logit/expit, xlogy and friends."""

from __future__ import annotations

import math

from . import expm1, log1p, log_softmax, logsumexp, round, sigmoid, softmax  # noqa: A004 (chaingrad's own names)
from .ops.special import erf, erfc, erfinv, logit, xlog1py, xlogy
from .tensor import Tensor

expit = sigmoid


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF, (1 + erf(x / sqrt(2))) / 2."""
    return (1 + erf(input * (1 / math.sqrt(2)))) * 0.5


def ndtri(input: Tensor) -> Tensor:
    """The inverse of ndtr: sqrt(2) * erfinv(2p - 1)."""
    return erfinv(input * 2 - 1) * math.sqrt(2)


__all__ = ["erf", "erfc", "erfinv", "expit", "expm1", "log1p", "log_softmax", "logit", "logsumexp", "ndtr", "ndtri",
           "round", "softmax", "xlog1py", "xlogy"]
