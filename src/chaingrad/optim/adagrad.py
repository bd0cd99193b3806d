"""Adagrad: per-coordinate learning rates shrinking with the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _check_lr, _check_nonneg, bump_version, params_with_grad, regularized, step_tensor


class Adagrad(Optimizer):
    """``sum += g^2``; ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(sum) + eps)``."""

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, fused=None) -> None:
        _check_lr(lr)
        _check_nonneg(lr_decay, "lr_decay")
        _check_nonneg(weight_decay, "weight_decay")
        _check_nonneg(initial_accumulator_value, "initial_accumulator_value")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:  # torch fills the state up front
            for p in group["params"]:
                state = self.state[p]
                state["step"] = step_tensor()
                state["sum"] = Tensor._wrap(np.full_like(p._data, group["initial_accumulator_value"]))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = float(group["lr"]), group["lr_decay"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p, g in params_with_grad(group):
                state = self.state[p]
                if "sum" not in state:  # a group added after construction
                    state["step"] = step_tensor()
                    state["sum"] = Tensor._wrap(np.full_like(p._data, group["initial_accumulator_value"]))
                state["step"]._data += 1
                step = float(state["step"]._data)
                x = p._data
                g = regularized(g, x, weight_decay, maximize)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"]._data
                s += g * g
                std = np.sqrt(s)
                std += eps
                x -= clr * (g / std)
                bump_version(p)
        return loss
