"""Adamax: Adam with the infinity norm of past gradients in place of their root mean square."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import (
    Optimizer,
    _check_betas,
    _check_lr,
    _check_nonneg,
    bump_version,
    lerp_,
    params_with_grad,
    regularized,
    step_tensor,
    zeros_state,
)


class Adamax(Optimizer):
    """``m = lerp(m, g, 1 - beta1)``, ``u = max(beta2 u, |g| + eps)``, ``p -= lr / (1 - beta1^t) * m / u``.

    ``weight_decay`` adds ``weight_decay * p`` to the gradient.
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg(eps, "epsilon")
        _check_betas(betas)
        _check_nonneg(weight_decay, "weight_decay")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = float(group["lr"]), group["betas"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p, g in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_tensor()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_inf"] = zeros_state(p)
                state["step"]._data += 1
                x = p._data
                g = regularized(g, x, weight_decay, maximize)
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                lerp_(m, g, 1 - beta1)
                u *= beta2
                np.maximum(u, np.abs(g) + eps, out=u)
                clr = lr / (1 - beta1 ** float(state["step"]._data))
                x -= clr * (m / u)
                bump_version(p)
        return loss
