"""Nodes named as torch names them, found by calling every Tensor method and functional on a float tensor and
comparing grad_fn names with torch's: adaptive average pooling, cross-entropy with probability targets,
floor_divide, tile's arguments."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg


@pytest.mark.parametrize("size", [1, 2, 4, (1, 1), (2, 1), 3, (None, 2), 7])
@pytest.mark.parametrize("batched", [True, False])
def test_adaptive_avg_pool2d_node_values_and_gradient(size, batched):
    data = np.random.default_rng(0).standard_normal((2, 3, 5, 7) if batched else (3, 5, 7))
    out = []
    for lib in (torch, cg):
        x = lib.tensor(data, requires_grad=True)
        base = x * 1
        y = lib.nn.functional.adaptive_avg_pool2d(base, size)
        (y * y).sum().backward()
        out.append((type(y.grad_fn).__name__, y.detach().numpy(), x.grad.numpy(), y is base))
    assert out[1][0] == out[0][0] and not out[1][3]
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out[1][2], out[0][2], rtol=1e-12, atol=1e-15)


def test_cross_entropy_with_probabilities_divides_as_torch():
    out = []
    for lib in (torch, cg):
        x = lib.tensor([[0.1, 2.0, -1.0], [0.5, 0.2, 0.3]], requires_grad=True)
        p = lib.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
        loss = lib.nn.functional.cross_entropy(x, p)
        loss.backward()
        out.append((type(loss.grad_fn).__name__, loss.item(), x.grad.numpy()))
    assert out[0][0] == out[1][0] == "DivBackward1"
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-6)
    np.testing.assert_allclose(out[1][2], out[0][2], rtol=1e-6)


def test_floor_divide_is_not_differentiable_and_tile_takes_counts():
    for lib in (torch, cg):
        x = lib.tensor([1.5, 2.5], requires_grad=True)
        y = lib.floor_divide(x, 2)
        assert type(y.grad_fn).__name__ == "NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
            y.sum().backward()
        t = lib.tensor([1.0, 2.0])
        assert t.tile(2).tolist() == [1.0, 2.0, 1.0, 2.0] and tuple(t.tile(2, 3).shape) == (2, 6)
        assert tuple(lib.tile(t, dims=(3,)).shape) == (6,) and tuple(lib.tile(lib.ones(2, 3), (2,)).shape) == (2, 6)
