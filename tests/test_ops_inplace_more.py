"""In-place shape changes (unsqueeze_, squeeze_, t_, transpose_, swapdims_, swapaxes_) and the in-place twins
of absolute, negative, sinh, cosh, tan, log2, log10, cumsum, true_divide, floor_divide and
scatter_add, against torch: the same object back, shapes, values, grad_fn names, version counters, gradients
through the changed tensor, and torch's errors (a leaf that requires grad, bad dims)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad

SHAPE_OPS = [
    ("unsqueeze_", (0,), (2, 3)), ("unsqueeze_", (-1,), (2, 3)), ("unsqueeze_", (1,), (4,)),
    ("squeeze_", (), (1, 2, 1, 3)), ("squeeze_", (0,), (1, 2, 1)), ("squeeze_", (1,), (1, 2, 1)),
    ("squeeze_", ((0, 2),), (1, 2, 1)), ("t_", (), (2, 3)), ("t_", (), (4,)), ("transpose_", (0, 2), (2, 3, 4)),
    ("swapdims_", (1, 0), (2, 3)), ("swapaxes_", (-1, 0), (2, 1, 3)),
]


@pytest.mark.parametrize("op, args, shape", SHAPE_OPS)
def test_shape_changes_in_place_record_torchs_node_and_gradient(op, args, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    results = []
    for lib in (torch, chaingrad):
        a = lib.tensor(x, requires_grad=True)
        y = a * 2
        v = y._version
        r = getattr(y, op)(*args)
        assert r is y
        bumped = (y._version - v) if lib is torch else (y._version[0] - v[0] + 1)  # chaingrad's is a cell
        w = lib.tensor(np.arange(np.prod(tuple(y.shape)), dtype=np.float64).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        results.append((tuple(y.shape), y.grad_fn.name(), y.detach().numpy().copy(), a.grad.numpy(), bumped))
    (s1, n1, v1, g1, b1), (s2, n2, v2, g2, b2) = results
    assert s2 == s1 and n2 == n1 and b1 == 1
    np.testing.assert_array_equal(v2, v1)
    np.testing.assert_array_equal(g2, g1)


def test_shape_changes_keep_memory_and_work_without_grad():
    for lib in (torch, chaingrad):
        base = lib.arange(6.0)
        v = base.view(2, 3)
        v.t_()
        assert tuple(v.shape) == (3, 2) and not v.is_contiguous()
        v[0, 1] = 100.0  # still the base's memory
        assert base[3].item() == 100.0 and tuple(base.shape) == (6,)
        target = lib.tensor([1, 4, 2])
        target.unsqueeze_(-1)
        assert tuple(target.shape) == (3, 1) and target.dtype == lib.int64


def test_shape_changes_refuse_what_torch_refuses():
    for lib in (torch, chaingrad):
        leaf = lib.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            leaf.unsqueeze_(0)
        with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
            lib.zeros(2, 3, 4).t_()
        with pytest.raises(IndexError, match="Dimension out of range"):
            lib.ones(3).unsqueeze_(2)
        with pytest.raises(IndexError, match="Dimension out of range"):
            lib.ones(3, 1).squeeze_(2)
        with lib.no_grad():
            leaf.squeeze_(0)  # (no size-1 dim: a no-op view)
        assert tuple(leaf.shape) == (2, 3)


def test_a_backward_that_saved_the_tensor_sees_the_change():
    for lib in (torch, chaingrad):
        a = lib.ones(3, requires_grad=True)
        y = a * 1
        z = y * y  # saves y
        y.unsqueeze_(0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


TWINS = [
    ("absolute_", ()), ("negative_", ()), ("sinh_", ()), ("cosh_", ()), ("tan_", ()), ("log2_", ()),
    ("log10_", ()), ("cumsum_", (1,)), ("true_divide_", ("other",)),
]


@pytest.mark.parametrize("op, args", TWINS)
def test_elementwise_twins_match_torch_values_names_and_gradients(op, args):
    rng = np.random.default_rng(1)
    x = rng.uniform(0.2, 1.2, (2, 3)) * np.array([1, -1, 1])
    if op in ("log2_", "log10_"):
        x = np.abs(x)
    other = rng.uniform(0.5, 1.5, (2, 3))
    results = []
    for lib in (torch, chaingrad):
        a = lib.tensor(x, requires_grad=True)
        b = lib.tensor(other, requires_grad=True)
        y = a * 1
        r = getattr(y, op)(*[b if arg == "other" else arg for arg in args])
        assert r is y
        w = lib.tensor(np.arange(6.0).reshape(2, 3))
        (y * w).sum().backward()
        results.append((y.grad_fn.name(), y.detach().numpy().copy(), a.grad.numpy(),
                        None if b.grad is None else b.grad.numpy()))
    (n1, v1, g1, h1), (n2, v2, g2, h2) = results
    assert n2 == n1
    np.testing.assert_allclose(v2, v1, rtol=1e-12)
    np.testing.assert_allclose(g2, g1, rtol=1e-12)
    assert (h1 is None) == (h2 is None)
    if h1 is not None:
        np.testing.assert_allclose(h2, h1, rtol=1e-12)


def test_floor_divide_and_scatter_add_in_place():
    for lib in (torch, chaingrad):
        x = lib.tensor([7, -7, 9])
        assert x.floor_divide_(2) is x and x.tolist() == [3, -4, 4]
        src = lib.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        acc = lib.zeros(1, 4) * 1
        acc.scatter_add_(1, lib.tensor([[0, 3, 0]]), src)
        assert acc.tolist() == [[4.0, 0.0, 0.0, 2.0]] and acc.grad_fn.name() == "ScatterAddBackward0"
        (acc * lib.tensor([[1.0, 2.0, 3.0, 4.0]])).sum().backward()
        assert src.grad.tolist() == [[1.0, 4.0, 1.0]]
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            lib.ones(2, requires_grad=True).tan_()
