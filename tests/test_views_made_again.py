"""Views made again after an in-place change (AsStridedBackward0, ops/as_strided.py): gradients, second
derivatives and node names equal torch's, for chains of view ops, sibling views and expanded views."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg


def _base_mul_(x):
    t = x * 1
    u = t[1:, ::2][0]  # a chain of three view ops
    t.mul_(x[2:3])
    return (u * u * x[0, :2]).sum()


def _own_mul_(x):
    t = x * 1
    u = t[0]
    u.mul_(x[1])
    return (t * t).sum() + (u ** 3).sum()


def _sibling_setitem(x):
    t = x * 1
    u = t[0]
    t[:, 1:][0] = x[2, :3] * 2
    return (u.exp() * x[1]).sum()


def _transposed(x):
    t = x * 1
    u = t.t()
    t.add_(x)
    return (u * x.t()).sum()


def _expanded(x):
    t = x[1] * 1
    u = t.expand(2, 4)  # reads each element twice: the gradient adds up
    t.mul_(x[0])
    return (u * u).sum()


# (x a leaf (3, 4)) -> a loss that reads a view after its base, itself or a sibling view changed in place
CASES = {f.__name__[1:]: f for f in (_base_mul_, _own_mul_, _sibling_setitem, _transposed, _expanded)}


def _run(lib, case, create_graph):
    x = lib.tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    loss = CASES[case](x)
    (g,) = lib.autograd.grad(loss, x, create_graph=create_graph)
    if not create_graph:
        return [g.detach().numpy()]
    (gg,) = lib.autograd.grad((g * g).sum(), x)
    return [g.detach().numpy(), gg.numpy()]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_through_a_view_made_again_are_torchs(case, create_graph):
    for ours, theirs in zip(_run(cg, case, create_graph), _run(torch, case, create_graph)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_view_made_again_is_one_as_strided_node(case):
    """The loss's graph reaches an AsStridedBackward0 in both libraries."""
    def names(lib):
        x = lib.tensor(np.ones((3, 4)), requires_grad=True)
        seen, stack, out, kept = set(), [CASES[case](x).grad_fn], [], []
        while stack:
            fn = stack.pop()
            if fn is None or fn in seen:  # (torch's nodes compare equal when they are the same node)
                continue
            seen.add(fn)
            kept.append(fn)
            out.append(type(fn).__name__)
            stack += [f for f, _ in fn.next_functions]
        return sorted(out)

    ours, theirs = names(cg), names(torch)
    assert "AsStridedBackward0" in theirs
    assert ours == theirs
