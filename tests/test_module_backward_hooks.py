"""Module backward hooks (register_full_backward_hook / register_full_backward_pre_hook) against torch: when they
fire, what they see, what their return values replace, and the node they put after the module."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg


def _layer(lib):
    lib.manual_seed(0)
    return lib.nn.Linear(3, 2)


def _shapes(gs):
    return [None if g is None else tuple(g.shape) for g in gs]


@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_hooks_see_grad_input_and_grad_output(input_requires_grad):
    out = []
    for lib in (torch, cg):
        m = _layer(lib)
        seen = []
        m.register_full_backward_pre_hook(lambda mod, go, seen=seen: seen.append(("pre", _shapes(go))))
        m.register_full_backward_hook(
            lambda mod, gi, go, seen=seen: seen.append(("hook", _shapes(gi), _shapes(go), [
                None if g is None else g.detach().numpy().copy() for g in gi])))
        x = lib.linspace(-1, 1, 12).reshape(4, 3).requires_grad_(input_requires_grad)
        y = m(x)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (y * lib.arange(8.0).reshape(4, 2)).sum().backward()
        out.append((type(y.grad_fn).__name__, seen, [str(w.message)[:40] for w in caught],
                    None if x.grad is None else x.grad.numpy().copy(), m.weight.grad.numpy().copy()))
    (t_name, t_seen, t_warn, t_xg, t_wg), (c_name, c_seen, c_warn, c_xg, c_wg) = out
    assert c_name == t_name == "BackwardHookFunctionBackward"
    assert [s[:3] if s[0] == "hook" else s for s in c_seen] == [s[:3] if s[0] == "hook" else s for s in t_seen]
    for t_s, c_s in zip(t_seen, c_seen):
        if t_s[0] == "hook":
            for a, b in zip(t_s[3], c_s[3]):
                assert (a is None and b is None) or np.allclose(a, b, rtol=1e-6)
    assert c_warn == t_warn
    assert (t_xg is None and c_xg is None) or np.allclose(c_xg, t_xg, rtol=1e-6)
    np.testing.assert_allclose(c_wg, t_wg, rtol=1e-6)


def test_returned_gradients_replace_grad_input_and_grad_output():
    out = []
    for lib in (torch, cg):
        m1, m2 = _layer(lib), _layer(lib)
        m1.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0,))
        m2.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
        x1 = lib.ones(4, 3, requires_grad=True)
        m1(x1).sum().backward()
        x2 = lib.ones(4, 3, requires_grad=True)
        m2(x2).sum().backward()
        out.append((x1.grad.numpy().copy(), m1.weight.grad.numpy().copy(), x2.grad.numpy().copy(),
                    m2.bias.grad.numpy().copy()))
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a, rtol=1e-6)


def test_removed_hooks_stop_and_the_legacy_hook_is_refused():
    m = _layer(cg)
    calls = []
    handle = m.register_full_backward_hook(lambda mod, gi, go: calls.append(1))
    m(cg.ones(2, 3, requires_grad=True)).sum().backward()
    handle.remove()
    y = m(cg.ones(2, 3, requires_grad=True))
    assert type(y.grad_fn).__name__ == "AddmmBackward0"
    y.sum().backward()
    assert calls == [1]
    with pytest.raises(NotImplementedError, match="register_full_backward_hook"):
        m.register_backward_hook(lambda *a: None)


def test_hooks_on_a_sequential_fire_from_the_last_module_to_the_first():
    out = []
    for lib in (torch, cg):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 1))
        order = []
        for i, layer in enumerate(net):
            layer.register_full_backward_hook(lambda mod, gi, go, i=i, order=order: order.append(i))
        net(lib.ones(2, 3, requires_grad=True)).sum().backward()
        out.append(order)
    assert out[0] == out[1] == [2, 1, 0]
