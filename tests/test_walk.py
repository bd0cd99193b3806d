"""The one backward walk: every caller (backward, backward(inputs=), autograd.grad, create_graph, hooks,
retain_grad, explain's observer) gets the same gradients; node hooks, mark_dirty, set_materialize_grads and
once_differentiable behave as in torch; and every gradient the engine hands out is an array, never a NumPy
scalar.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.autograd.engine import run_backward


def _program(lib, x, w):
    return ((x * w).sum() + (w * w * 0.5).sum() + (x.exp() * 2).mean()) ** 2


@pytest.mark.parametrize("caller", ["backward", "inputs", "grad", "create_graph", "observer"])
def test_every_caller_of_the_walk_gets_torchs_gradients(caller):
    x0, w0 = np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([1.5, -0.5])
    xt, wt = torch.tensor(x0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    _program(torch, xt, wt).backward()
    x, w = cg.tensor(x0, requires_grad=True), cg.tensor(w0, requires_grad=True)
    out = _program(cg, x, w)
    if caller == "backward":
        out.backward()
        got = [x.grad, w.grad]
    elif caller == "inputs":
        out.backward(inputs=[w])
        got = [None, w.grad]
        assert x.grad is None
    elif caller == "grad":
        got = list(cg.autograd.grad(out, (x, w)))
        assert x.grad is None and w.grad is None
    elif caller == "create_graph":
        got = list(cg.autograd.grad(out, (x, w), create_graph=True))
        assert all(g.requires_grad for g in got)
    else:
        seen = []
        got = run_backward([out], [cg.ones_like(out)], inputs=[x, w], accumulate=False,
                           observer=lambda node, *grads: seen.append((node.name(), grads)))
        got = [cg.tensor(g) for g in got]
        assert {name for name, _ in seen} >= {"PowBackward0", "MulBackward0", "SumBackward0", "ExpBackward0"}
        for _, (grads_out, grads_in, fitted) in seen:
            assert all(g is None or type(g) is np.ndarray for g in grads_out + grads_in + fitted)
    for g, ref in zip(got, (xt.grad, wt.grad)):
        if g is not None:
            np.testing.assert_allclose(g.detach().numpy(), ref.numpy(), rtol=1e-12)


def test_backward_with_inputs_of_a_leaf_output_accumulates_like_torch():
    x = cg.tensor(1.0, requires_grad=True)
    x.backward(inputs=[x])
    assert x.grad is not None and x.grad.item() == 1.0
    x.backward(inputs=[x])
    assert x.grad.item() == 2.0
    y = cg.tensor([1.0, 2.0], requires_grad=True)
    y.backward(cg.tensor([3.0, 4.0]), inputs=[y])
    assert y.grad.tolist() == [3.0, 4.0]


def test_leaf_hooks_apply_to_autograd_grad_as_in_torch():
    for lib in (cg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g * 10)
        (g,) = lib.autograd.grad((x * x).sum(), x)
        assert g.tolist() == [20.0, 40.0]
        h = x * 3
        h.register_hook(lambda g: g * 100)
        (g,) = lib.autograd.grad((h * h).sum(), h)
        assert g.tolist() == [600.0, 1200.0]


def test_retain_grad_sees_the_gradient_after_tensor_hooks_as_in_torch():
    results = []
    for lib in (cg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        m = x * 1
        m.retain_grad()
        m.register_hook(lambda g: g * 5)
        (m * 1).sum().backward()
        results.append((m.grad.tolist(), x.grad.tolist()))
    assert results[0] == results[1] == ([5.0, 5.0], [5.0, 5.0])


def test_node_pre_and_post_hooks_are_called_like_torchs():
    logs = []
    for lib in (cg, torch):
        log = []
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2

        def pre(go, log=log):
            log.append(("pre", [g.tolist() for g in go]))
            return (go[0] * 2,)

        def post(gi, go, log=log):
            log.append(("post", [None if g is None else g.tolist() for g in gi], [g.tolist() for g in go]))
            return (gi[0] * 0 + 7, gi[1])

        b.grad_fn.register_prehook(pre)
        b.grad_fn.register_hook(post)
        b.sum().backward()
        log.append(a.grad.tolist())
        logs.append(log)
    assert logs[0] == logs[1]
    assert logs[0][-1] == [7.0, 7.0]


def test_node_post_hook_sees_gradients_in_the_inputs_shapes_and_handles_remove():
    for lib in (cg, torch):
        p = lib.tensor([[1.0], [2.0]], requires_grad=True)
        q = lib.tensor([3.0, 4.0, 5.0], requires_grad=True)
        r = p * q
        shapes = []
        handle = r.grad_fn.register_hook(lambda gi, go, shapes=shapes: shapes.append([tuple(g.shape) for g in gi]))
        r.sum().backward(retain_graph=True)
        handle.remove()
        r.sum().backward()
        assert shapes == [[(2, 1), (3,)]]


class _AddOne(cg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


class _AddOneTorch(torch.autograd.Function):
    forward = staticmethod(_AddOne.forward)
    backward = staticmethod(_AddOne.backward)


def test_mark_dirty_continues_the_inputs_history_like_torch():
    for lib, fn in ((cg, _AddOne), (torch, _AddOneTorch)):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1
        c = fn.apply(b)
        assert c is b and c.grad_fn is b.grad_fn and not c.is_leaf
        assert (b._version[0] if lib is cg else b._version) == 2  # once by add_, once by mark_dirty
        c.sum().backward()
        assert a.grad.tolist() == [2.0, 2.0]
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fn.apply(a)
        d = lib.tensor([1.0, 2.0])
        assert fn.apply(d) is d and d.tolist() == [2.0, 3.0] and not d.requires_grad


def test_mark_dirty_of_a_view_rebases_its_base():
    graphs = []
    for lib, fn in ((cg, _AddOne), (torch, _AddOneTorch)):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        base = a * 1
        v = base[0:2]
        r = fn.apply(v)
        assert r is v
        assert base.tolist() == [2.0, 3.0, 3.0]
        graphs.append((type(base.grad_fn).__name__, base.grad_fn.name(),
                       [type(f).__name__ for f, _ in base.grad_fn.next_functions]))
        (base * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
        assert a.grad.tolist() == [2.0, 20.0, 100.0]
    assert graphs[0] == graphs[1] == ("CopySlices", "torch::autograd::CopySlices", ["MulBackward0"])


def test_a_dirty_tensor_must_be_returned():
    class Bad(cg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="marked as dirty .* were not returned"):
        Bad.apply(cg.tensor([1.0], requires_grad=True) * 1)


def test_set_materialize_grads_false_gives_none_for_unused_outputs_like_torch():
    for lib in (cg, torch):
        seen = []

        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, materialize):
                ctx.set_materialize_grads(materialize)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2, seen=seen):
                seen.append(None if g2 is None else g2.tolist())
                return g1, None

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        for materialize in (False, True):
            a, _ = Two.apply(x, materialize)
            a.sum().backward()
        assert seen == [None, [0.0, 0.0]]


def test_once_differentiable_makes_a_second_derivative_fail_clearly():
    from chaingrad.autograd import once_differentiable

    class Sq(cg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = cg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = cg.autograd.grad(Sq.apply(x).sum(), x)
    assert g.tolist() == [2.0, 4.0]
    y = Sq.apply(x).sum()
    (g,) = cg.autograd.grad(y, x, create_graph=True)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        g.sum().backward()  # as torch: the root gradient does not require grad, so nothing is recorded
    (g2,) = cg.autograd.grad(y * y, x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g2.sum().backward()


def test_autograd_grad_rejects_batched_grads_clearly():
    x = cg.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="is_grads_batched"):
        cg.autograd.grad(x * 2, x, cg.ones(2, 1), is_grads_batched=True)


def test_gradients_of_0d_tensors_are_arrays_everywhere():
    w = cg.tensor(2.0, requires_grad=True)
    (g,) = cg.autograd.grad(w * w + w * 3, w)
    assert type(g._data) is np.ndarray
    (g,) = cg.autograd.grad(w * w + w * 3, w, create_graph=True)
    assert type(g._data) is np.ndarray
    (w * w + (w * 3).sum()).backward()
    assert type(w.grad._data) is np.ndarray and w.grad.item() == 7.0
