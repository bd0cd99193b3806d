"""Every fast path gives the same results as the plain path it short-cuts (or as PyTorch).

- ``loss.backward()`` runs ops marked ``backward_on_arrays`` on NumPy arrays; ``engine.ARRAY_MODE = False``
  forces the Tensor path, and both must give identical gradients.
- ``x ** <Python number>`` is its own node (PowScalar); it must match the general Pow and torch.
- ``t -= other`` (+=, *=, /=) with nothing recorded writes straight into the array.
- A Python number next to a float tensor keeps the tensor's dtype without running the promotion table.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.autograd import engine


def _grads(program, array_mode: bool, monkeypatch):
    monkeypatch.setattr(engine, "ARRAY_MODE", array_mode)
    leaves = program()
    return [None if t.grad is None else t.grad.numpy().copy() for t in leaves]


def _small():
    a = cg.tensor([[0.1], [0.2], [0.3]], requires_grad=True)
    c = cg.tensor([[0.5], [-0.4], [0.3]], requires_grad=True)
    ((a * c + a).tanh() ** 2 - c).exp().sum().backward()
    return [a, c]


def _seed():
    x, y = cg.tensor([[1.0], [2.0], [3.0]]), cg.tensor([[2.0], [4.0], [6.0]])
    w = cg.tensor([[0.5]], requires_grad=True)
    b = cg.tensor([0.0], requires_grad=True)
    loss = 0.5 * cg.sum((cg.matmul(x, w) + b - y) ** 2)
    loss.backward()
    return [w, b]


def _broadcasting_and_reductions():
    rng = np.random.default_rng(0)
    x = cg.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = cg.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    b = cg.tensor(rng.standard_normal((1, 5)), requires_grad=True)
    s = cg.tensor(rng.standard_normal(()), requires_grad=True)
    h = (x @ w + b).relu() * s
    out = h.sum((0, 1)).mean() + h.mean(1, keepdim=True).sum() + (h / (s * s + 1)).reshape(-1, 5).sum(0).sum()
    out = out + x.sigmoid().log1p().sum() + (x * x).sqrt().sum() + x.exp().expm1().mean() - (-x).sum()
    out.backward()
    return [x, w, b, s]


def _mlp_with_cross_entropy():
    rng = np.random.default_rng(1)
    x = cg.tensor(rng.standard_normal((8, 6)).astype(np.float32))
    target = cg.tensor(rng.integers(0, 3, 8))
    w1 = cg.tensor(rng.standard_normal((6, 5)).astype(np.float32), requires_grad=True)
    w2 = cg.tensor(rng.standard_normal((5, 3)).astype(np.float32), requires_grad=True)
    loss = cg.nn.functional.cross_entropy((x @ w1).relu() @ w2, target)
    loss.backward()
    return [w1, w2]


def _multi_output_and_shared():
    x = cg.tensor([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]], requires_grad=True)
    parts = x.split(1, dim=1)  # multi-output node, one output unused
    y = parts[0] * parts[2] + x.sum(1, keepdim=True)
    (y * y).sum().backward()
    return [x]


PROGRAMS = [_small, _seed, _broadcasting_and_reductions, _mlp_with_cross_entropy, _multi_output_and_shared]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__.strip("_"))
def test_backward_on_arrays_equals_the_tensor_path(program, monkeypatch):
    fast = _grads(program, True, monkeypatch)
    plain = _grads(program, False, monkeypatch)
    assert len(fast) == len(plain)
    for f, p in zip(fast, plain):
        assert f.dtype == p.dtype and f.shape == p.shape
        np.testing.assert_array_equal(f, p)


def test_backward_on_arrays_matches_torch_on_the_small_graph():
    a0, c0 = [[0.1], [0.2], [0.3]], [[0.5], [-0.4], [0.3]]
    a, c = torch.tensor(a0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    ((a * c + a).tanh() ** 2 - c).exp().sum().backward()
    ga, gc = _small()
    np.testing.assert_allclose(ga.grad.numpy(), a.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(gc.grad.numpy(), c.grad.numpy(), rtol=1e-6)


def test_leaf_grads_never_share_memory():
    # Add gives the same gradient array to both inputs; each leaf must get its own
    a = cg.tensor([1.0, 2.0], requires_grad=True)
    b = cg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(cg.tensor([1.0, 1.0]))
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]
    # a gradient passed by the user is never aliased by .grad
    g = cg.tensor([5.0, 6.0])
    c = cg.tensor([1.0, 1.0], requires_grad=True)
    (c + 0).backward(g)
    c.grad.zero_()
    assert g.tolist() == [5.0, 6.0]


def test_hooks_and_retain_grad_run_on_the_array_path():
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    assert h.grad.tolist() == [40.0, 80.0, 120.0]
    assert x.grad.tolist() == [80.0, 160.0, 240.0]
    assert seen == [[80.0, 160.0, 240.0]]


def test_in_place_change_of_a_saved_tensor_is_still_caught_on_the_array_path():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    with cg.no_grad():
        y += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


@pytest.mark.parametrize("n", [2, 3, 0.5, -1, 0, 1, -2.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_scalar_equals_general_pow_and_torch(n, dtype):
    x0 = np.array([0.5, 1.5, 2.0, 3.0], dtype=dtype)
    fast = cg.tensor(x0, requires_grad=True)
    general = cg.tensor(x0, requires_grad=True)
    ref = torch.tensor(x0, requires_grad=True)
    yf = fast ** n
    yg = general ** cg.tensor(np.array(n, dtype=dtype))  # a tensor exponent takes the general Pow node
    yr = ref ** n
    assert yf.grad_fn.name() == "PowBackward0" and yf.dtype == yg.dtype
    np.testing.assert_allclose(yf.detach().numpy(), yg.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(yf.detach().numpy(), yr.detach().numpy(), rtol=1e-6)
    yf.sum().backward()
    yg.sum().backward()
    yr.sum().backward()
    np.testing.assert_allclose(fast.grad.numpy(), general.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(fast.grad.numpy(), ref.grad.numpy(), rtol=1e-6)


def test_pow_scalar_second_derivative_matches_torch():
    x = cg.tensor([0.5, 2.0], dtype=cg.float64, requires_grad=True)
    xt = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    (g,) = cg.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((xt ** 3).sum(), xt, create_graph=True)
    g.sum().backward()
    gt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def _update_both_ways(op: str, other_fast, other_plain):
    """The same in-place update by the fast path and by the general path (forced by alpha=/rounding_mode=)."""
    a = cg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = cg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    v_a, v_b = a._version[0], b._version[0]
    with cg.no_grad():
        getattr(a, op)(other_fast)
        if op in ("add_", "sub_"):
            getattr(b, op)(other_plain, alpha=1)
        elif op == "div_":
            b.div_(other_plain, rounding_mode=None)
        else:
            b.copy_(b * other_plain)
    return a, b, a._version[0] - v_a, b._version[0] - v_b


@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_"])
@pytest.mark.parametrize("other", [0.5, 3, "tensor", "row"])
def test_unrecorded_in_place_update_equals_the_general_path(op, other):
    def make():
        if other == "tensor":
            return cg.tensor([[0.5, 0.25], [2.0, 4.0]])
        if other == "row":
            return cg.tensor([0.5, 2.0])
        return other

    a, b, bumped_a, bumped_b = _update_both_ways(op, make(), make())
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert a.dtype == b.dtype == cg.float32
    assert bumped_a == 1 and bumped_b >= 1
    assert a.grad_fn is None and a.requires_grad


def test_unrecorded_in_place_update_falls_back_for_what_it_does_not_handle():
    x = cg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError):
        x += cg.tensor([1.0, 2.0, 3.0])  # shapes that do not broadcast: the general path's error
    i = cg.tensor([1, 2])
    i += 1  # integer tensors take the general path
    assert i.dtype == cg.int64 and i.tolist() == [2, 3]
    d = cg.tensor([1.0, 2.0], dtype=cg.float64)
    d *= cg.tensor([2.0, 2.0])  # float32 into float64: the general path casts
    assert d.dtype == cg.float64 and d.tolist() == [2.0, 4.0]
    w = cg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w -= 1.0  # recording: a leaf that requires grad can't be updated in place


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("scalar", [2, 2.5, -1, 1e-3])
def test_python_number_keeps_a_float_tensors_dtype_like_torch(dtype, scalar):
    x = cg.tensor([1.0, 2.0], dtype=getattr(cg, dtype))
    xt = torch.tensor([1.0, 2.0], dtype=getattr(torch, dtype))
    for fn in (lambda t: t + scalar, lambda t: scalar - t, lambda t: t * scalar, lambda t: t / scalar):
        out, ref = fn(x), fn(xt)
        assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-3)


def test_sum_without_numpys_wrapper_equals_numpy_sum():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4, 5)).astype(np.float32)
    x = cg.tensor(a)
    for dim in (None, 0, (1, 2), -1):
        axes = dim if dim is None or isinstance(dim, tuple) else (dim % 3,)
        np.testing.assert_array_equal(x.sum(dim).numpy(), np.sum(a, axis=axes))
    np.testing.assert_array_equal(cg.tensor([1, 2, 3]).sum().numpy(), np.int64(6))
