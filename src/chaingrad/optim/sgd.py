"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay (torch's SGD)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _check_lr, _check_nonneg, bump_version, params_with_grad


class SGD(Optimizer):
    """``p -= lr * d`` where ``d`` is the gradient (plus ``weight_decay * p``), smoothed by momentum:

    ``buf = momentum * buf + (1 - dampening) * d`` (the first step starts ``buf = d``), then ``d = buf``
    or, with ``nesterov=True``, ``d = d + momentum * buf``.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False, foreach=None,
                 differentiable: bool = False, fused=None) -> None:
        _check_lr(lr)
        _check_nonneg(momentum, "momentum")
        _check_nonneg(weight_decay, "weight_decay")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum, dampening = float(group["lr"]), group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p, g in params_with_grad(group):
                d = -g if maximize else g
                if weight_decay != 0:
                    d = d + weight_decay * p._data
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._wrap(np.array(d, copy=True))  # never a NumPy scalar
                    else:
                        b = buf._data
                        b *= momentum
                        b += (1 - dampening) * d
                    d = d + momentum * buf._data if nesterov else buf._data
                p._data -= lr * d
                bump_version(p)
        return loss
