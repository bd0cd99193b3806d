"""The backward engine and grad mode, with torch's semantics: accumulation, retain_graph and the released-graph
error, no_grad/enable_grad/set_grad_enabled (per thread), detach, requires_grad propagation, leaves and
in-place rules, version counters, autograd.grad, create_graph, hooks, deep graphs, and gradient memory."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.autograd import Function


def test_gradients_accumulate_across_backward_calls():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad.zero_()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    x.grad = None
    x.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_second_backward_through_a_released_graph_raises_torch_message():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    yt = (t.exp() * t).sum()
    yt.backward(retain_graph=True)
    yt.backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_graph_without_saved_values_can_be_backpropagated_twice_like_torch():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()  # torch allows it too: Add and Sum save nothing
    assert x.grad.tolist() == [2.0, 2.0]


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()
    (x * 2).backward(cg.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(cg.tensor([1.0, 2.0, 3.0]))


def test_backward_of_a_tensor_that_does_not_require_grad_raises():
    for lib in (cg, torch):
        with pytest.raises(RuntimeError):
            lib.ones(2).sum().backward()


def test_no_grad_as_context_manager_and_decorator():
    x = cg.ones(2, requires_grad=True)
    with cg.no_grad():
        y = x * 2
        assert not cg.is_grad_enabled()
    assert cg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @cg.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and cg.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_set_grad_enabled():
    x = cg.ones(2, requires_grad=True)
    with cg.no_grad():
        with cg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    with cg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    cg.set_grad_enabled(False)
    assert not cg.is_grad_enabled()
    cg.set_grad_enabled(True)
    assert cg.is_grad_enabled()

    @cg.enable_grad()
    def g(t):
        return t * 2

    with cg.no_grad():
        assert g(x).requires_grad


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError):
        with cg.no_grad():
            raise ValueError
    assert cg.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = {}

    def worker():
        seen["enabled"] = cg.is_grad_enabled()
        seen["requires_grad"] = (cg.ones(1, requires_grad=True) * 2).requires_grad

    with cg.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen == {"enabled": True, "requires_grad": True}


def test_detach_shares_data_and_cuts_the_graph():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 10.0
    assert y.tolist() == [10.0, 4.0]
    z = x * 3
    assert z.detach_() is z and not z.requires_grad and z.is_leaf
    (x * d).sum().backward()
    assert x.grad.tolist() == [10.0, 4.0]


def test_requires_grad_propagation_and_is_leaf():
    a = cg.ones(2, requires_grad=True)
    b = cg.ones(2)
    assert a.is_leaf and b.is_leaf and not b.requires_grad
    c = a + b
    assert c.requires_grad and not c.is_leaf and c.grad_fn is not None
    assert not (b * 2).requires_grad and (b * 2).is_leaf
    assert not (a > 0).requires_grad
    assert not a.argmax().requires_grad
    assert not a.long().requires_grad
    b.requires_grad_()
    assert (b * 2).requires_grad
    with pytest.raises(RuntimeError):
        c.requires_grad_(False)


def test_non_leaf_grad_is_none_unless_retained():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * 3
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad
    z.sum().backward()
    assert y.grad.tolist() == [3.0, 3.0]
    assert z.grad is None
    with pytest.raises(RuntimeError):
        cg.ones(1).retain_grad()


def test_grad_fn_names_and_next_functions():
    x = cg.ones(2, requires_grad=True)
    y = (x * 2).sum()
    assert y.grad_fn.name() == "SumBackward0" and "SumBackward0" in repr(y.grad_fn)
    (mul, _), = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    acc = mul.next_functions[0][0]
    assert acc.name() == "torch::autograd::AccumulateGrad" and type(acc).__name__ == "AccumulateGrad"
    assert acc.variable is x


def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    w = cg.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = cg.autograd.grad(y, [x, w])
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None
    (g,) = cg.autograd.grad((x * x).sum(), x)
    assert g.tolist() == [2.0, 4.0] and not g.requires_grad


def test_autograd_grad_with_respect_to_non_leaf_inputs():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = cg.autograd.grad(y, h, retain_graph=True)
    assert gh.tolist() == [6.0, 12.0]
    gx, gh2 = cg.autograd.grad(y, [x, h])
    assert gx.tolist() == [18.0, 36.0] and gh2.tolist() == [6.0, 12.0]


def test_autograd_grad_allow_unused():
    x = cg.ones(2, requires_grad=True)
    z = cg.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        cg.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = cg.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
    assert gx.tolist() == [2.0, 2.0] and gz is None
    gx, gz = cg.autograd.grad(y, [x, z], materialize_grads=True)
    assert gz.tolist() == [0.0, 0.0]


def test_autograd_grad_with_grad_outputs_and_several_outputs():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    outs_c = [x * x, x.exp()]
    outs_t = [t * t, t.exp()]
    gc = cg.autograd.grad(outs_c, x, grad_outputs=[cg.tensor([1.0, 2.0]), cg.tensor([0.5, 0.5])])
    gt = torch.autograd.grad(outs_t, t, grad_outputs=[torch.tensor([1.0, 2.0]), torch.tensor([0.5, 0.5])])
    np.testing.assert_allclose(gc[0].numpy(), gt[0].numpy(), rtol=1e-6)


def test_autograd_grad_of_an_input_that_does_not_require_grad_raises():
    for lib in (cg, torch):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError):
            lib.autograd.grad((x * 2).sum(), lib.ones(2))


def test_create_graph_gives_differentiable_gradients():
    x = cg.tensor([0.5, -1.0], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = cg.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (6 * x.detach()).numpy())
    x2 = cg.tensor([2.0], requires_grad=True)
    (x2 ** 4).sum().backward(create_graph=True)
    assert x2.grad.requires_grad and x2.grad.item() == 32.0
    (gg,) = cg.autograd.grad(x2.grad.sum(), x2)
    assert gg.item() == 48.0


def test_autograd_backward_function_and_inputs_argument():
    x = cg.ones(2, requires_grad=True)
    w = cg.ones(2, requires_grad=True)
    cg.autograd.backward([(x * w).sum(), (x * 2).sum()])
    assert x.grad.tolist() == [3.0, 3.0] and w.grad.tolist() == [1.0, 1.0]
    x.grad = w.grad = None
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.tolist() == [1.0, 1.0]


def test_tensor_hooks_see_and_replace_gradients():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert seen == [[20.0, 20.0]] and x.grad.tolist() == [20.0, 20.0]
    h.remove()
    (x * 1).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError):
        cg.ones(1).register_hook(lambda g: g)


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    w = cg.ones(2, requires_grad=True)
    for op in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.fill_(1.0),
               lambda: w.copy_(cg.zeros(2)), lambda: w.sub_(1), lambda: w.div_(2), lambda: w.clamp_(0, 1),
               lambda: w.normal_(), lambda: w.uniform_()):
        with pytest.raises(RuntimeError, match="leaf"):
            op()
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1
    with cg.no_grad():
        w -= 0.5
        w.mul_(4)
    assert w.tolist() == [2.0, 2.0] and w.is_leaf and w.requires_grad and w.grad_fn is None


IN_PLACE = {
    "add_": (lambda t: t.add_(2), lambda t: t + 2),
    "sub_": (lambda t: t.sub_(0.5), lambda t: t - 0.5),
    "mul_": (lambda t: t.mul_(3), lambda t: t * 3),
    "div_": (lambda t: t.div_(4), lambda t: t / 4),
    "iadd": (lambda t: t.__iadd__(1.5), lambda t: t + 1.5),
    "isub": (lambda t: t.__isub__(1.5), lambda t: t - 1.5),
    "imul": (lambda t: t.__imul__(2.0), lambda t: t * 2.0),
    "itruediv": (lambda t: t.__itruediv__(2.0), lambda t: t / 2.0),
    "clamp_": (lambda t: t.clamp_(0.0, 1.0), lambda t: t.clamp(0.0, 1.0)),
    "zero_": (lambda t: t.zero_(), lambda t: t * 0),
    "fill_": (lambda t: t.fill_(3.0), lambda t: t * 0 + 3.0),
    "exp_": (lambda t: t.exp_(), lambda t: t.exp()),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_op_on_a_non_leaf_matches_out_of_place_and_torch(name):
    inplace, outplace = IN_PLACE[name]
    results = []
    for lib in (cg, torch):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * 1.5
        inplace(y)
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        results.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)


def test_in_place_with_a_tensor_argument_propagates_requires_grad():
    w = cg.tensor([1.0, 2.0], requires_grad=True)
    y = cg.zeros(2)
    y += w * 2
    assert y.requires_grad and not y.is_leaf
    y.sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]


def test_modifying_a_saved_tensor_in_place_raises_version_error():
    for lib in (cg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = y * y
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()


def test_version_counter_and_views():
    x = cg.ones(3)
    v = x[1:]
    assert x._version[0] == 0
    v.add_(1)
    assert x.tolist() == [1.0, 2.0, 2.0]
    assert x._version[0] == 1


def test_a_100000_op_chain_forward_and_backward():
    x = cg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


def test_a_deep_chain_of_cat_and_indexing():
    x = cg.ones(2, requires_grad=True)
    y = x
    for _ in range(3000):
        y = cg.cat([y[:1], y[1:] * 1.0])
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_leaf_grad_never_aliases_another_tensors_memory():
    a = cg.tensor([1.0, 2.0], requires_grad=True)
    b = cg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad[0] = 100.0
    assert b.grad.tolist() == [1.0, 1.0]

    g = cg.tensor([1.0, 1.0])
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    (x * 1).backward(g)
    x.grad.mul_(5)
    assert g.tolist() == [1.0, 1.0]

    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    y.backward(g)
    x.grad += 1
    assert g.tolist() == [1.0, 1.0]

    class PassThrough(Function):
        @staticmethod
        def forward(ctx, t):
            return t.clone()

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    x = cg.tensor([1.0, 2.0], requires_grad=True)
    z = cg.tensor([1.0, 2.0], requires_grad=True)
    up = cg.tensor([1.0, 1.0])
    PassThrough.apply(x).backward(up)
    x.grad.add_(1)
    assert up.tolist() == [1.0, 1.0]
    s = PassThrough.apply(z) + PassThrough.apply(z * 1)
    s.sum().backward()
    assert z.grad.tolist() == [2.0, 2.0]

    w = cg.tensor([[1.0, 2.0]], requires_grad=True)
    v = cg.tensor([[1.0, 2.0]], requires_grad=True)
    (w.reshape(2) + v.reshape(2)).sum().backward()
    w.grad[0, 0] = 7.0
    assert v.grad.tolist() == [[1.0, 1.0]]


def test_leaf_grad_is_not_a_view_of_an_expanded_array():
    x = cg.tensor(2.0, requires_grad=True)
    x.expand(3).sum().backward()
    x.grad.add_(1)
    assert x.grad.item() == 4.0
    y = cg.ones(1, 3, requires_grad=True)
    y.expand(4, 3).sum().backward()
    y.grad.mul_(2)
    assert y.grad.tolist() == [[8.0, 8.0, 8.0]]


def test_gradient_is_unbroadcast_to_the_input_shape_and_dtype():
    a = cg.ones(3, 1, requires_grad=True)
    b = cg.ones(4, dtype=cg.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.dtype is cg.float32 and a.grad.tolist() == [[4.0]] * 3
    assert b.grad.shape == (4,) and b.grad.dtype is cg.float64 and b.grad.tolist() == [3.0] * 4


def test_using_a_tensor_twice_sums_its_gradients_like_torch():
    def prog(lib):
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        y = x * x + x.exp() * x - (x / (1 + x)).sin()
        z = y * y + y
        z.sum().backward()
        return x.grad.numpy()
    np.testing.assert_allclose(prog(cg), prog(torch), rtol=1e-6)


def test_backward_gradient_argument_as_array_and_float64_root():
    x = cg.tensor([1.0, 2.0], dtype=cg.float64, requires_grad=True)
    (x * 2).backward(cg.tensor([1.0, 1.0], dtype=cg.float64))
    assert x.grad.dtype is cg.float64


def test_detect_anomaly_names_the_op_that_produced_nan():
    x = cg.tensor([-1.0, 1.0], requires_grad=True)
    with cg.autograd.detect_anomaly():
        y = x.sqrt()
        with pytest.raises(RuntimeError, match="Sqrt"):
            (y * 0).sum().backward()
