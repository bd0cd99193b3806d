"""Adadelta: steps scaled by the ratio of running RMS of past updates to running RMS of gradients."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import (
    Optimizer,
    _check_lr,
    _check_nonneg,
    bump_version,
    params_with_grad,
    regularized,
    step_tensor,
    zeros_state,
)


class Adadelta(Optimizer):
    """``v = rho v + (1 - rho) g^2``, ``delta = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho u + (1 - rho) delta^2``, ``p -= lr * delta``; ``weight_decay`` adds ``weight_decay * p`` to g."""

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg(eps, "epsilon")
        _check_nonneg(weight_decay, "weight_decay")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), group["rho"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p, g in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_tensor()
                    state["square_avg"] = zeros_state(p)
                    state["acc_delta"] = zeros_state(p)
                state["step"]._data += 1
                x = p._data
                g = regularized(g, x, weight_decay, maximize)
                v, u = state["square_avg"]._data, state["acc_delta"]._data
                v *= rho
                v += (1 - rho) * g * g
                std = np.sqrt(v + eps)
                delta = np.sqrt(u + eps)
                delta /= std
                delta *= g
                u *= rho
                u += (1 - rho) * delta * delta
                x -= lr * delta
                bump_version(p)
        return loss
