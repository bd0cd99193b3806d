"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging in the ``ax`` state)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    _check_lr,
    _check_nonneg,
    add_scaled,
    add_scaled_,
    bump_version,
    params_with_grad,
    step_tensor,
    zeros_state,
)


class ASGD(Optimizer):
    """``p *= 1 - lambd * eta``; ``p -= eta * g``; ``ax`` averages the iterates from step ``t0`` on
    (``ax += mu (p - ax)``); then ``eta = lr / (1 + lambd lr t)^alpha`` and ``mu = 1 / max(1, t - t0)``.
    ``eta`` and ``mu`` are float32 0-d tensors in the state, as torch keeps them."""

    def __init__(self, params: Iterable, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach=None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg(weight_decay, "weight_decay")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = float(group["lr"]), group["lambd"], group["alpha"], group["t0"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p, g in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_tensor()
                    state["eta"] = Tensor._wrap(np.array(lr, dtype=np.float32))
                    state["mu"] = Tensor._wrap(np.array(1.0, dtype=np.float32))
                    state["ax"] = zeros_state(p)
                if maximize:
                    g = -g
                x = p._data
                state["step"]._data += 1
                if weight_decay != 0:
                    g = add_scaled(g, x, weight_decay)
                eta = float(state["eta"]._data)
                x *= 1 - lambd * eta  # decay
                add_scaled_(x, g, -eta)
                ax, mu = state["ax"]._data, state["mu"]._data
                if float(mu) != 1:
                    ax += (x - ax) * mu.astype(x.dtype)
                else:
                    ax[...] = x
                step = float(state["step"]._data)
                state["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
                state["mu"]._data[...] = 1 / max(1, step - t0)
                bump_version(p)
        return loss
