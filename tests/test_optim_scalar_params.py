"""Every optimizer, with every option, on 0-d, one-element and reused parameters, step for step equal to PyTorch.

A parameter used twice in a graph gets its gradient as a sum; for a 0-d parameter that sum must still be a
0-d array (not a NumPy scalar), or an optimizer's in-place state update (``buf *= momentum``) silently
does nothing. Each case runs a few steps under both libraries and compares the parameters after every
step, and the type of every state buffer.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg

# (optimizer name, options): every hyper-parameter and flag each optimizer takes, alone and combined
CONFIGS = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.1, nesterov=True, maximize=True)),
    ("SGD", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.01, momentum=0.5, foreach=True)),
    ("SGD", dict(lr=0.01, momentum=0.5, foreach=False)),
    ("SGD", dict(lr=0.01, momentum=0.5, fused=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.05, foreach=True)),
    ("Adam", dict(lr=0.05, foreach=False, amsgrad=True)),
    ("Adam", dict(lr=0.05, fused=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.2, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True, betas=(0.5, 0.6))),
    ("AdamW", dict(lr=0.05, foreach=True)),
    ("AdamW", dict(lr=0.05, fused=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
    ("Adagrad", dict(lr=0.1, foreach=True)),
    ("Adagrad", dict(lr=0.1, fused=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-4)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, foreach=True, momentum=0.5)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05, maximize=True, foreach=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, betas=(0.8, 0.9))),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=1.0, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(lr=1.0, maximize=True, foreach=True)),
    ("LBFGS", dict(lr=0.5)),
    ("LBFGS", dict(lr=0.5, history_size=3, max_iter=4)),
    ("LBFGS", dict(lr=1.0, line_search_fn="strong_wolfe", max_iter=5)),  # (the linear case runs off to -1e21 in 20)
]


def _loss_0d_used_twice(lib, w):  # the repro: a 0-d weight used by two terms
    x = lib.tensor([1.0, 2.0, 3.0])
    return (w * x).sum() + (w * x * x).sum()


def _loss_0d_used_once(lib, w):
    return (w * lib.tensor([0.5, -1.5])).sum() ** 2


def _loss_one_element(lib, w):  # shape (1,), used twice and broadcast
    x = lib.tensor([1.0, 2.0, 3.0])
    return (w * x).sum() + (w * w).sum()


def _loss_vector_reused(lib, w):
    c = lib.tensor([0.25, -2.0])
    return (w * w).sum() + (w * c).sum() + (w.sum() * 0.5) ** 2


CASES = {
    "0-d used twice": (1.0, _loss_0d_used_twice),
    "0-d used once": (0.75, _loss_0d_used_once),
    "one element": ([1.0], _loss_one_element),
    "vector reused": ([0.5, -1.0], _loss_vector_reused),
}


def _run(lib, name: str, options: dict, start, loss_fn, steps: int):
    w = lib.nn.Parameter(lib.tensor(start))
    opt = getattr(lib.optim, name)([w], **options)
    values = []
    def closure():
        opt.zero_grad()
        loss = loss_fn(lib, w)
        loss.backward()
        return loss

    for _ in range(steps):
        if name == "LBFGS":  # it re-evaluates the loss itself
            opt.step(closure)
        else:
            closure()
            opt.step()
        values.append(np.array(w.detach().numpy(), copy=True))
    return values, opt, w


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name,options", CONFIGS, ids=[f"{n}-{'-'.join(o)}" for n, o in CONFIGS])
def test_optimizer_steps_match_torch(name, options, case):
    start, loss_fn = CASES[case]
    ours, opt, w = _run(cg, name, options, start, loss_fn, 4)
    ref, _, _ = _run(torch, name, options, start, loss_fn, 4)
    for step, (a, b) in enumerate(zip(ours, ref), 1):
        assert a.shape == b.shape, f"step {step}"
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"{name}{options}, step {step}")
    assert isinstance(w.grad._data, np.ndarray) and w.grad.shape == w.shape
    for key, value in opt.state[w].items():  # state tensors hold arrays, so in-place updates stick
        if isinstance(value, cg.Tensor):
            assert isinstance(value._data, np.ndarray), key


def test_momentum_on_a_reused_0d_weight_is_not_ignored():
    ours, _, _ = _run(cg, "SGD", dict(lr=0.01, momentum=0.9), 1.0, _loss_0d_used_twice, 4)
    np.testing.assert_allclose(np.array(ours), [0.8, 0.42, -0.122, -0.8098], atol=1e-4)  # torch's values


def test_every_optimizer_is_covered():
    names = {n for n, _ in CONFIGS}
    ours = {n for n in dir(cg.optim) if isinstance(getattr(cg.optim, n), type)
            and issubclass(getattr(cg.optim, n), cg.optim.Optimizer) and n != "Optimizer"}
    missing = sorted(ours - names)
    for n in missing:  # an optimizer added later still runs here with its defaults, if torch has it
        if hasattr(torch.optim, n) and n != "SparseAdam":  # (SparseAdam steps only on sparse gradients)
            for case, (start, loss_fn) in CASES.items():
                a, _, _ = _run(cg, n, {}, start, loss_fn, 3)
                b, _, _ = _run(torch, n, {}, start, loss_fn, 3)
                np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6, err_msg=f"{n} {case}")


def test_zero_d_gradient_of_a_reused_leaf_is_a_zero_d_array():
    for shape_value in (1.0, [1.0]):
        w = cg.tensor(shape_value, requires_grad=True)
        x = cg.tensor([1.0, 2.0])
        ((w * x).sum() + (w * x).sum() + w.sum()).backward()
        assert type(w.grad._data) is np.ndarray and w.grad.shape == w.shape
        (g,) = cg.autograd.grad((w * x).sum() + (w * x).sum(), w)
        assert type(g._data) is np.ndarray
        h = w * 1.0
        h.retain_grad()
        ((h * x).sum() + h.sum()).backward()
        assert type(h.grad._data) is np.ndarray
