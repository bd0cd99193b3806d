"""``cov`` and ``corrcoef``: the covariance and correlation matrices of the variables in a tensor's rows (its
columns are the observations), with torch's frequency and importance weights. Both are compositions of
differentiable ops (mean, matrix product, division), as in torch, so their gradients come from those."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..tensor import Tensor
from ._checks import require_tensor as _tensor
from ._checks import scalar_type


def _check_weights(w: Tensor | None, name: str, observations: int, integral: bool) -> None:
    if w is None:
        return
    _tensor(w, "cov", name)
    a = w._data
    if a.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with {a.ndim} "
                           "dimensions")
    if integral and a.dtype.kind not in "iu":
        raise RuntimeError(f"cov(): expected {name} to have integral dtype but got {name} with {scalar_type(a.dtype)} "
                           "dtype")
    if not integral and a.dtype.kind != "f":
        raise RuntimeError(f"cov(): expected {name} to have floating point dtype but got {name} with "
                           f"{scalar_type(a.dtype)} dtype")
    if a.size != observations:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the input but "
                           f"got {a.size} != {observations}")
    if observations and (a < 0).any():
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """The covariance matrix of the variables in ``input``'s rows (a 1-D input is one variable), dividing by
    ``observations - correction`` (Bessel's correction by default); ``fweights`` are integer counts of each
    observation, ``aweights`` floating importance weights. A single variable gives a 0-d tensor."""
    _tensor(input, "cov")
    if input._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input._data.ndim} dimensions")
    if input._data.dtype.kind == "b":
        raise RuntimeError("cov(): bool dtype is not supported for input")
    if not isinstance(correction, numbers.Integral) or isinstance(correction, bool):
        raise TypeError(f"cov(): argument 'correction' must be int, not {type(correction).__name__}")
    x = input if input._data.ndim == 2 else input.view(1, -1)  # (an integer x becomes float through the mean)
    observations = x._data.shape[1]
    _check_weights(fweights, "fweights", observations, integral=True)
    _check_weights(aweights, "aweights", observations, integral=False)
    w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    w_sum = Tensor._wrap(np.array(observations, np.int64)) if w is None else w.sum()
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is None or correction == 0:
        norm = w_sum - correction if correction else w_sum
    elif aweights is None:
        norm = w_sum - correction
    else:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    if float(norm._data) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm = norm * 0
    x = x - avg.unsqueeze(1)
    c = x.mm((x if w is None else x * w).t())
    return (c / norm).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """Pearson's correlation coefficients of the variables in ``input``'s rows: cov scaled by the standard
    deviations, clipped to [-1, 1]; NaN for a variable that does not vary."""
    _tensor(input, "corrcoef")
    if input._data.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{input._data.ndim} dimensions")
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.view(-1, 1)
    c = c / std.view(1, -1)
    return c.clip(-1, 1)


def _attach() -> None:
    Tensor.cov, Tensor.corrcoef = cov, corrcoef


_attach()
