"""Regression tests: one per bug the differential fuzzer (tests/test_fuzz.py) or the safety review found.

Each states what used to go wrong and checks the fixed behaviour against PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad


def _both(fn):
    """Run ``fn(M)`` with M = chaingrad and M = torch; return both results as NumPy (or the exception type)."""
    out = []
    for M in (chaingrad, torch):
        try:
            r = fn(M)
        except Exception as e:  # noqa: BLE001 - compared below
            out.append(type(e))
            continue
        out.append(None if r is None else np.asarray(r.detach().numpy(), dtype=float))
    return out


def _assert_same(fn, rtol=1e-7, atol=1e-10):
    got, want = _both(fn)
    if isinstance(want, type) or isinstance(got, type):
        assert got == want
        return
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _second_derivative(f, arr):
    def run(M):
        x = M.tensor(arr, dtype=M.float64, requires_grad=True)
        (g,) = M.autograd.grad(f(M, x).sum(), [x], create_graph=True)
        (h,) = M.autograd.grad(g.sum(), [x])
        return h
    return run


def test_mean_does_not_call_the_module_max():
    # Mean.forward used `max(out.size, 1)`, which in reduce.py is chaingrad's max reduction: every mean() raised.
    _assert_same(lambda M: M.tensor([[1.0, 2.0], [3.0, 5.0]]).mean(1))
    _assert_same(lambda M: M.tensor([[1.0, 2.0], [3.0, 5.0]]).mean())


@pytest.mark.parametrize("name", ["exp", "expm1", "sqrt", "tanh", "rsqrt", "sigmoid", "norm", "amax", "sum"])
def test_second_derivative_through_a_zero_dim_result(name):
    # NumPy returns scalars (not arrays) for 0-d results; the saved output then no longer matched the returned
    # output and was saved as a constant: create_graph gave a zero (or missing) second derivative.
    def f(M, x):
        y = x.sum() * 0.3
        if name == "norm":
            return (x.norm() * 1.5).exp()
        if name == "amax":
            return M.expm1(x.amax(dim=0))
        if name == "sum":
            return M.exp(y)
        return getattr(M, name)(y + 1.0)
    _assert_same(_second_derivative(f, np.array([0.4, 0.7, 1.1])))


def test_logsumexp_second_derivative():
    # LogSumExp saved its keepdim array but returned a reshaped one, so d/dx of the gradient missed a term.
    _assert_same(_second_derivative(lambda M, x: M.logsumexp(x, dim=0) * x[0], np.array([0.7, 0.5, 2.0])))
    _assert_same(_second_derivative(lambda M, x: M.logsumexp(x, dim=1, keepdim=True) ** 2,
                                    np.arange(6.0).reshape(2, 3) / 4))


def test_prod_with_zeros_second_derivative():
    # Prod's backward with zeros built the products of the other elements in NumPy: a constant for create_graph.
    _assert_same(_second_derivative(lambda M, x: x.prod(), np.array([0.7, 0.0, 2.0])))
    _assert_same(_second_derivative(lambda M, x: x.prod(1), np.array([[0.7, 0.0, 2.0], [1.0, 0.0, 0.0]])))


def test_nll_loss_none_keeps_the_spatial_shape():
    # With (N, C, d) input and reduction='none' the loss came back flattened to (N*d,) instead of (N, d).
    tgt = np.array([[0, 2, 1, 1], [2, 2, 0, 1]])
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    _assert_same(lambda M: M.nn.functional.nll_loss(M.tensor(x), M.tensor(tgt), reduction="none"))


def test_view_made_outside_the_graph_shares_the_version_counter():
    # A view of a tensor that does not require grad got its own counter: modifying it in place after the base
    # was saved for backward went unnoticed and the gradient was silently computed from the new values.
    def f(M):
        w = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = M.ones(3)
        y = (w * x).sum()
        x[0:2].add_(1)
        y.backward()
        return w.grad
    got, want = _both(f)
    assert got is RuntimeError and want is RuntimeError


def test_setitem_through_a_view_of_a_plain_tensor_records_the_graph():
    # `out[0][1] = w[0] * 2` on a zeros tensor: out never joined the graph, so backward found nothing to do.
    def f(M):
        w = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        out = M.zeros(2, 3)
        out[0][1] = w[0] * 2
        out[1] = w * w
        (out * M.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        return w.grad
    _assert_same(f)


def test_in_place_on_a_view_of_a_graph_tensor():
    # This used to raise; torch rebases the graph (CopySlices) and so does chaingrad now.
    def f(M):
        w = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = w * 1
        b[0:2].mul_(w[1:])
        b.t().sub_(1)
        (b * b).sum().backward()
        return w.grad
    _assert_same(f)


def test_view_used_after_its_base_was_modified():
    # v = b[0:2]; b.mul_(2): v's grad_fn still described the old b, so its gradient missed the factor 2.
    def f(M):
        w = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = w * 1
        v = b[0:2]
        b.mul_(2)
        (v * v).sum().backward()
        return w.grad
    _assert_same(f)


def test_overlapping_sibling_views():
    def f(M):
        w = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = w * 1
        a, c = b[0:2], b[1:]
        c.mul_(5)
        (a * M.tensor([1.0, 10.0])).sum().backward()
        return w.grad
    _assert_same(f)


def test_single_element_index_is_a_view():
    # x[1] of a 1-D tensor was a NumPy scalar copy, so `x[1] += 5` through a name did not change x.
    def f(M):
        x = M.zeros(3)
        v = x[1]
        v += 5
        return x
    _assert_same(f)


def test_view_of_a_leaf_that_requires_grad_cannot_be_modified_in_place():
    def f(M):
        w = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w[0:2].mul_(2)
        return w
    got, want = _both(f)
    assert got is RuntimeError and want is RuntimeError


def test_std_gradient_is_zero_where_the_std_is_zero():
    # std = sqrt(var) gave nan (0 * inf) for rows of equal values; torch's std gradient is 0 there.
    def f(M):
        x = M.tensor([[1.0, 1.0], [2.0, 3.0]], dtype=M.float64, requires_grad=True)
        (x.std(1) * M.tensor([2.0, 3.0], dtype=M.float64)).sum().backward()
        return x.grad
    _assert_same(f)
