"""Adafactor: Adam-like steps with the second moment of a matrix kept as row and column averages."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, add_scaled_, bump_version, lerp_, params_with_grad, step_tensor


class Adafactor(Optimizer):
    """For a parameter of two or more dimensions the variance estimate is ``row_var @ col_var / mean(row_var)``
    (row and column means of ``g^2`` over the last two dimensions, each averaged with weight
    ``t^beta2_decay``); a vector keeps its full ``variance``. The step ``g / sqrt(var)`` is shrunk to RMS at
    most ``d`` and scaled by ``max(eps[1], RMS(p)) * min(lr, 1 / sqrt(t))``. ``weight_decay`` is decoupled
    (``p *= 1 - lr * weight_decay``). ``eps[0]`` (None: the dtype's machine epsilon) bounds the variance below.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach=None, maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, beta2_decay, d = float(group["lr"]), group["beta2_decay"], group["d"]
            (eps1, eps2), weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
            for p, g in params_with_grad(group):
                if p.is_complex():
                    raise RuntimeError("Adafactor does not support complex parameters")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_tensor()
                    if g.ndim > 1:
                        state["row_var"] = Tensor._wrap(np.zeros((*g.shape[:-1], 1), dtype=g.dtype))
                        state["col_var"] = Tensor._wrap(np.zeros((*g.shape[:-2], 1, g.shape[-1]), dtype=g.dtype))
                    else:
                        state["variance"] = Tensor._wrap(np.zeros_like(g))
                if maximize:
                    g = -g
                x = p._data
                floor = float(np.finfo(x.dtype).eps) if eps1 is None else eps1
                state["step"]._data += 1
                step = float(state["step"]._data)
                one_minus_beta2_t = step ** beta2_decay
                rho_t = min(lr, 1 / step ** 0.5)
                alpha = max(eps2, float(np.linalg.norm(x.ravel())) / x.size ** 0.5) * rho_t
                if weight_decay != 0:
                    x *= 1 - lr * weight_decay
                if g.ndim > 1:
                    row_var, col_var = state["row_var"]._data, state["col_var"]._data
                    lerp_(row_var, _mean_square(g, -1), one_minus_beta2_t)
                    lerp_(col_var, _mean_square(g, -2), one_minus_beta2_t)
                    var_estimate = row_var @ col_var
                    var_estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), floor)
                else:
                    variance = state["variance"]._data
                    lerp_(variance, g * g, one_minus_beta2_t)
                    var_estimate = variance.copy()
                update = 1 / np.sqrt(np.maximum(var_estimate, floor * floor))
                update *= g
                denom = max(1.0, float(np.linalg.norm(update.ravel())) / (update.size ** 0.5 * d))
                add_scaled_(x, update, -alpha / denom)
                bump_version(p)
        return loss


def _mean_square(g: np.ndarray, axis: int) -> np.ndarray:
    """``norm(g, dim=axis, keepdim=True)^2 / g.shape[axis]`` as torch forms it (its square of the norm)."""
    norm = np.sqrt(np.sum(g * g, axis=axis, keepdims=True, dtype=np.float64)).astype(g.dtype)
    norm *= norm
    norm /= g.shape[axis]
    return norm
