"""``quantile`` and ``nanquantile``: the q-th quantiles of a tensor (or along a dim), from its sorted values, with
NumPy's and torch's five ways of falling between two samples. Differentiable through sort and gather."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _check_dim
from ._checks import require_tensor

_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _q_values(input: Tensor, q, op: str) -> tuple[np.ndarray, bool]:
    """The quantiles asked for as a 1-d array, and whether q was a scalar (then the result has no q dim)."""
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        values = q._data.reshape(-1)
        if values.size and (values.min() < 0 or values.max() > 1):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
        return values, q.ndim == 0
    if not isinstance(q, (int, float)) or isinstance(q, bool):
        raise TypeError(f"{op}() received an invalid combination of arguments - got (Tensor, {type(q).__name__}): "
                        "q must be a float or a tensor")
    if not 0 <= q <= 1:
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
    return np.array([float(q)], input._data.dtype), True


def _quantile(input: Tensor, q, dim, keepdim: bool, interpolation: str, ignore_nan: bool) -> Tensor:
    require_tensor(input, "nanquantile" if ignore_nan else "quantile")
    op = "quantile"  # (torch's messages name quantile for both)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    qs, scalar_q = _q_values(input, q, op)
    if interpolation not in _MODES:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    if input.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if dim is None:
        rows = input.reshape(-1)
        d = None
    else:
        d = _check_dim(dim, max(input.ndim, 1), op)
        rows = input.reshape(1) if input.ndim == 0 else input.movedim(d, -1)
    ordered = rows.sort(-1).values  # (NaN last)
    nan = np.isnan(rows._data)
    n = rows.shape[-1]
    count = (n - nan.sum(-1)) if ignore_nan else np.full(rows.shape[:-1], n)
    # positions in the sorted row, one per (q, row): q * (count - 1), in the input's dtype as torch computes them
    dt = input._data.dtype
    pos = qs.astype(dt).reshape((-1,) + (1,) * (rows.ndim - 1)) * np.maximum(count - 1, 0).astype(dt)
    if interpolation == "nearest":
        pos = np.round(pos)  # (half to even, as torch)
    # a row with NaN reads its last sorted value, a NaN (nanquantile, a row of NaN only: its first), as torch does,
    # so that NaN's own gradient is the incoming one
    undefined = np.broadcast_to((count == 0) if ignore_nan else nan.any(-1), pos.shape)
    where = 0 if ignore_nan else n - 1
    pos = np.where(undefined, where, pos).astype(dt)
    lo = np.floor(pos).astype(np.int64)
    hi = np.where(undefined, where, np.minimum(np.ceil(pos).astype(np.int64), np.maximum(count - 1, 0)))
    frac = pos - lo
    table = ordered.unsqueeze(0).expand((len(qs),) + tuple(ordered.shape))

    def at(index: np.ndarray) -> Tensor:
        return table.gather(-1, Tensor._wrap(index[..., None])).squeeze(-1)

    if interpolation in ("lower", "nearest"):
        out = at(lo)
    elif interpolation == "higher":
        out = at(hi)
    elif interpolation == "midpoint":
        out = (at(lo) + at(hi)) * 0.5
    else:
        low = at(lo)
        out = low + (at(hi) - low) * Tensor._wrap(frac.astype(dt))
    if keepdim:
        if d is None:
            out = out.reshape((len(qs),) + (1,) * input.ndim)
        elif input.ndim:
            out = out.unsqueeze(d + 1)
    return out.squeeze(0) if scalar_q else out


def quantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles (q a number or a 1-d tensor in [0, 1]) of all elements, or along ``dim``; between two
    samples: ``linear`` (interpolated), ``lower``, ``higher``, ``midpoint`` or ``nearest``. A row holding NaN
    gives NaN. A tensor q puts its dim first."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """``quantile`` ignoring NaN values (NaN only where a row has no other values)."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True)


def _attach() -> None:
    Tensor.quantile = quantile
    Tensor.nanquantile = nanquantile


_attach()
