"""Second (and third) derivatives with ``create_graph=True`` equal PyTorch's: gradients of gradients,
Hessian-vector products and mixed partials, for elementwise functions, matmul chains and nn ops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import to_numpy

LABELS = [2, 0, 1]
FUNCTIONS = {
    "tanh": lambda m, x, w: x.tanh(),
    "sigmoid": lambda m, x, w: m.sigmoid(x),
    "cube": lambda m, x, w: x ** 3,
    "pow_tensor": lambda m, x, w: x.abs() ** w,
    "exp": lambda m, x, w: x.exp(),
    "log": lambda m, x, w: (x * x + 1).log(),
    "sin": lambda m, x, w: x.sin() * x.cos(),
    "div": lambda m, x, w: x / (w * w + 1),
    "sqrt": lambda m, x, w: (x * x + 0.5).sqrt(),
    "rsqrt": lambda m, x, w: (x * x + 0.5).rsqrt(),
    "log1p_expm1": lambda m, x, w: (x * x).log1p() + x.expm1(),
    "matmul_chain": lambda m, x, w: (x @ w.T).tanh() @ w,
    "matmul_vec": lambda m, x, w: x.reshape(-1) @ (w.reshape(-1) * x.reshape(-1)),
    "softmax": lambda m, x, w: m.softmax(x * w, dim=1),
    "log_softmax": lambda m, x, w: m.log_softmax(x * w, dim=-1),
    "cross_entropy": lambda m, x, w: (m.nn.functional.cross_entropy(x * w, m.tensor(LABELS))),
    "cross_entropy_sum": lambda m, x, w: m.nn.functional.cross_entropy(x @ w.T, m.tensor(LABELS), reduction="sum"),
    "mse": lambda m, x, w: m.nn.functional.mse_loss(x * w, x.detach() * 0.5),
    "norm": lambda m, x, w: (x * w).norm(),
    "norm_dim": lambda m, x, w: x.norm(dim=1) * w.sum(),
    "logsumexp": lambda m, x, w: m.logsumexp(x * w, dim=1),
    "mean_var_std": lambda m, x, w: x.mean() * w.var() + (x * w).std(0),
    "relu_square": lambda m, x, w: m.relu(x) ** 2 * w,
    "abs_mul": lambda m, x, w: x.abs() * x * w,
    "max_min": lambda m, x, w: (x * w).max(1).values ** 2 + (x * x).amin(0).sum(),
    "prod": lambda m, x, w: (x * w).prod(1),
    "clamp": lambda m, x, w: (x * w).clamp(-0.5, 0.5) ** 2,
    "where_maximum": lambda m, x, w: m.where(x > 0, x * x, w * x) + m.maximum(x, w) ** 2,
    "indexing": lambda m, x, w: (x[m.tensor([0, 0, 2])] * w[:, :2].T.reshape(3, 2)[:, :1]) ** 2,
    "shape_ops": lambda m, x, w: m.cat([x, w]).reshape(2, -1).T.flip(0).sum(1) ** 3,
    "einsum": lambda m, x, w: m.einsum("ij,kj->ik", x.sin(), w) ** 2,
    "sum_to_broadcast": lambda m, x, w: (x * w[0]) ** 2 + (x.sum(0, keepdim=True) * w) ** 2,
}


def _second_order(lib, fn, x0, w0, v0):
    x = lib.tensor(x0, requires_grad=True)
    w = lib.tensor(w0, requires_grad=True)
    out = fn(lib, x, w)
    y = (out * lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)))).sum()
    gx, gw = lib.autograd.grad(y, [x, w], create_graph=True, allow_unused=True)
    # a Hessian-vector product and the mixed partials, all through create_graph
    z = (gx * lib.tensor(v0)).sum() + ((gw * gw).sum() if gw is not None else 0)
    hx, hw = lib.autograd.grad(z, [x, w], allow_unused=True)
    return [to_numpy(t) if t is not None else np.zeros_like(x0) for t in (gx, gw, hx, hw)]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_second_derivatives_match_torch(name):
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1.5, 1.5, (3, 4))
    w0 = rng.uniform(-1.5, 1.5, (3, 4))
    v0 = rng.standard_normal((3, 4))
    got = _second_order(cg, FUNCTIONS[name], x0, w0, v0)
    expected = _second_order(torch, FUNCTIONS[name], x0, w0, v0)
    for g, e, what in zip(got, expected, ["dy/dx", "dy/dw", "d2/dx", "d2/dw"]):
        np.testing.assert_allclose(g, e, rtol=1e-7, atol=1e-10, err_msg=what)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "cube", "exp", "sin", "log"])
def test_third_derivative_matches_torch(name):
    results = []
    for lib in (cg, torch):
        x = lib.tensor([0.3, -0.8, 1.2], dtype=lib.float64, requires_grad=True)
        y = FUNCTIONS[name](lib, x, x).sum()
        (g1,) = lib.autograd.grad(y, x, create_graph=True)
        (g2,) = lib.autograd.grad(g1.sum(), x, create_graph=True)
        (g3,) = lib.autograd.grad(g2.sum(), x)
        results.append([to_numpy(g) for g in (g1, g2, g3)])
    for g, e in zip(*results):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)


def test_backward_with_create_graph_then_backward_of_the_grad():
    results = []
    for lib in (cg, torch):
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        (x.tanh() * x ** 2).sum().backward(create_graph=True)
        g = x.grad
        x.grad = None
        g.sum().backward()
        results.append(to_numpy(x.grad))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_first_order_backward_records_nothing():
    x = cg.tensor([0.5, 2.0], requires_grad=True)
    (x.tanh() * x).sum().backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None
