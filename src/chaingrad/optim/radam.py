"""RAdam: Adam whose adaptive step is switched on gradually, when the variance estimate is trustworthy."""

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
    step_tensor,
    zeros_state,
)


class RAdam(Optimizer):
    """``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g^2``, ``m_hat = m / (1 - beta1^t)``.
    With ``rho_inf = 2 / (1 - beta2) - 1`` and ``rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)``: when
    ``rho_t > 5``, ``p -= lr * m_hat * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t`` with the rectification
    ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``; otherwise
    ``p -= lr * m_hat`` (plain momentum).

    ``weight_decay`` adds ``weight_decay * p`` to the gradient, or with ``decoupled_weight_decay`` multiplies
    ``p`` by ``1 - lr * weight_decay`` first.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg(eps, "epsilon")
        _check_betas(betas)
        _check_nonneg(weight_decay, "weight_decay")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = float(group["lr"]), group["betas"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p, g in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_tensor()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                if maximize:
                    g = -g
                x = p._data
                state["step"]._data += 1
                step = float(state["step"]._data)
                if weight_decay != 0:
                    if decoupled:
                        x *= 1 - lr * weight_decay
                    else:
                        g = g + weight_decay * x
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                lerp_(m, g, 1 - beta1)
                v *= beta2
                v += (1 - beta2) * g * g
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                m_hat = m / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    sq = np.sqrt(v)
                    sq += eps
                    adaptive = (bias_correction2 ** 0.5) / sq
                    x -= m_hat * lr * adaptive * rect
                else:
                    x -= m_hat * lr
                bump_version(p)
        return loss
