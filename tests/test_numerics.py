"""Numerical robustness: stable kernels stay finite and equal torch's at extreme inputs (|x| up to 1e4).

For log_softmax, cross_entropy, logsumexp, binary_cross_entropy_with_logits, sigmoid, softplus, logsigmoid
and softmax: values and gradients, float32 and float64, compared with torch on the same inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad

EXTREME = np.array([[-1e4, -1e3, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e3, 1e4],
                    [1e4, 1e4 - 1, 0.0, -1e4, 5.0, -5.0, 88.0, -88.0, 710.0, -710.0, 20.0],
                    [-1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4]])
TARGET_CLASSES = np.array([0, 3, 10])
BINARY = (np.arange(EXTREME.size).reshape(EXTREME.shape) % 2).astype(float)


def _F(M):
    return M.nn.functional


PROGRAMS = {
    "log_softmax": lambda M, x: M.log_softmax(x, dim=1),
    "softmax": lambda M, x: M.softmax(x, dim=1),
    "logsumexp": lambda M, x: M.logsumexp(x, dim=1),
    "logsumexp_all": lambda M, x: M.logsumexp(x, dim=(0, 1)),
    "cross_entropy": lambda M, x: _F(M).cross_entropy(x, M.tensor(TARGET_CLASSES), reduction="none"),
    "cross_entropy_mean": lambda M, x: _F(M).cross_entropy(x, M.tensor(TARGET_CLASSES)),
    "cross_entropy_smooth": lambda M, x: _F(M).cross_entropy(x, M.tensor(TARGET_CLASSES), label_smoothing=0.1),
    "nll_of_log_softmax": lambda M, x: _F(M).nll_loss(M.log_softmax(x, 1), M.tensor(TARGET_CLASSES)),
    "bce_with_logits": lambda M, x: _F(M).binary_cross_entropy_with_logits(
        x, M.tensor(BINARY, dtype=x.dtype), reduction="none"),
    "bce_with_logits_pos_weight": lambda M, x: _F(M).binary_cross_entropy_with_logits(
        x, M.tensor(BINARY, dtype=x.dtype), pos_weight=M.full((11,), 3.0, dtype=x.dtype)),
    "sigmoid": lambda M, x: M.sigmoid(x),
    "softplus": lambda M, x: _F(M).softplus(x),
    "softplus_beta": lambda M, x: _F(M).softplus(x, beta=2.0, threshold=5.0),
    "logsigmoid": lambda M, x: _F(M).logsigmoid(x),
    "tanh": lambda M, x: M.tanh(x),
}


def _run(M, name, dtype):
    x = M.tensor(EXTREME, dtype=getattr(M, dtype), requires_grad=True)
    y = PROGRAMS[name](M, x)
    w = M.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), dtype=getattr(M, dtype))
    (y * w).sum().backward()
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_finite_and_equal_to_torch_at_extreme_inputs(name, dtype):
    y, g = _run(chaingrad, name, dtype)
    yt, gt = _run(torch, name, dtype)
    assert y.dtype == yt.dtype and g.dtype == gt.dtype
    assert np.isfinite(yt).all() and np.isfinite(gt).all()  # the premise: torch is finite here
    assert np.isfinite(y).all(), f"{name}: non-finite output {y}"
    assert np.isfinite(g).all(), f"{name}: non-finite gradient {g}"
    rtol, atol = (1e-5, 1e-5) if dtype == "float32" else (1e-12, 1e-12)
    np.testing.assert_allclose(y, yt, rtol=rtol, atol=atol * max(1.0, np.abs(yt).max()))
    np.testing.assert_allclose(g, gt, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsumexp_of_all_minus_infinity_rows_matches_torch(dtype):
    data = np.array([[-np.inf, -np.inf], [0.0, -np.inf]])
    got = chaingrad.logsumexp(chaingrad.tensor(data, dtype=getattr(chaingrad, dtype)), dim=1).numpy()
    want = torch.logsumexp(torch.tensor(data, dtype=getattr(torch, dtype)), dim=1).numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_second_derivative_of_stable_losses_is_finite(dtype):
    for name in ("log_softmax", "cross_entropy_mean", "bce_with_logits", "softplus", "sigmoid"):
        outs = []
        for M in (chaingrad, torch):
            x = M.tensor(EXTREME / 100, dtype=getattr(M, dtype), requires_grad=True)
            y = PROGRAMS[name](M, x).sum()
            (g,) = M.autograd.grad(y, [x], create_graph=True)
            (h,) = M.autograd.grad((g * g).sum(), [x])
            outs.append(h.numpy())
        assert np.isfinite(outs[0]).all(), name
        rtol = 1e-4 if dtype == "float32" else 1e-10
        np.testing.assert_allclose(outs[0], outs[1], rtol=rtol, atol=rtol, err_msg=name)
