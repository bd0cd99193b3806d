"""gumbel_softmax: a softmax of logits plus Gumbel noise, drawn from the default generator as torch draws it
(``-log`` of an exponential_ fill of an empty tensor like the logits), so a seed gives torch's sample."""

from __future__ import annotations

import warnings

import numpy as np

from .._memory_format import contiguous_format
from ..tensor import Tensor, _check_dim


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1); ``hard``: the one-hot of its argmax in the forward
    pass, with the soft sample's gradient (straight through: y_hard - y_soft.detach() + y_soft)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    from .. import empty_like  # (the checked one: a non-tensor gets torch's TypeError from empty_like)

    gumbels = -empty_like(logits, memory_format=contiguous_format).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    d = _check_dim(dim, y_soft.ndim, "gumbel_softmax")
    index = np.argmax(y_soft._data, axis=d)
    y_hard = (np.expand_dims(index, d) == np.arange(y_soft.shape[d]).reshape(
        [-1 if i == d else 1 for i in range(y_soft.ndim)])).astype(y_soft._data.dtype)
    return Tensor._wrap(y_hard) - y_soft.detach() + y_soft
