"""Rprop: resilient backpropagation, a per-coordinate step size grown or shrunk by the gradient's sign."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _check_lr, bump_version, params_with_grad, step_tensor, zeros_state


class Rprop(Optimizer):
    """Each coordinate keeps a step size: multiplied by ``etas[1]`` while the gradient keeps its sign, by
    ``etas[0]`` when it flips (and that step is skipped, the gradient taken as 0), clamped into ``step_sizes``;
    ``p -= sign(g) * step_size``. Step sizes start at ``lr``."""

    def __init__(self, params: Iterable, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            maximize = group["maximize"]
            for p, g in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_tensor()
                    state["prev"] = zeros_state(p)
                    state["step_size"] = Tensor._wrap(np.full_like(g, float(group["lr"])))
                if maximize:
                    g = -g
                state["step"]._data += 1
                prev, step_size = state["prev"]._data, state["step_size"]._data
                sign = np.sign(g * prev)
                flipped = sign < 0
                factor = np.where(sign > 0, np.asarray(etaplus, dtype=g.dtype),
                                  np.where(flipped, np.asarray(etaminus, dtype=g.dtype), np.ones((), g.dtype)))
                step_size *= factor
                np.clip(step_size, step_size_min, step_size_max, out=step_size)
                g = np.where(flipped, np.zeros((), g.dtype), g)  # no step where the sign flipped
                p._data -= np.sign(g) * step_size
                prev[...] = g
                bump_version(p)
        return loss
