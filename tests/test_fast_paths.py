"""Every fast path gives the same results as the plain path it short-cuts (or as PyTorch).

- Without ``create_graph`` the backward walk carries gradients as NumPy arrays and runs ops marked
  ``backward_on_arrays`` on them; ``create_graph=True`` carries Tensors through every op. Both must give
  identical gradients.
- ``x ** <Python number>`` records Pow with the number itself; it must match Pow with a tensor exponent and torch.
- ``t -= other`` (+=, *=, /=) with nothing recorded writes straight into the array.
- ``x[key] = v`` with nothing recorded writes straight into the array (no views, no copy node).
- A Python number next to a float tensor keeps the tensor's dtype without running the promotion table.
- Operators, ``loss.backward()``, ``matmul`` of two matrices and ``x.T`` skip checks that cannot fail in their
  common case; each must equal the general path (and torch), and keep its errors.
- A gradient that only the walk holds becomes ``.grad`` without a copy; no ``.grad`` shares memory with anything.
- ``apply`` spells out the calls with one or two inputs; the general case must record the same node.
- conv2d computes with batch-last NumPy kernels (forward and ``Conv2dBackward``); they must equal im2col
  (``Unfold``) followed by a matrix product, in value and gradient.
"""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest
import torch

import chaingrad as cg

_CREATE_GRAPH = [False]  # how the programs below call backward: on arrays (False) or on Tensors (True)


def _backward(loss) -> None:
    loss.backward(create_graph=_CREATE_GRAPH[0])


def _grads(program, create_graph: bool):
    _CREATE_GRAPH[0] = create_graph
    try:
        leaves = program()
    finally:
        _CREATE_GRAPH[0] = False
    return [None if t.grad is None else t.grad.detach().numpy().copy() for t in leaves]


def _small():
    a = cg.tensor([[0.1], [0.2], [0.3]], requires_grad=True)
    c = cg.tensor([[0.5], [-0.4], [0.3]], requires_grad=True)
    _backward(((a * c + a).tanh() ** 2 - c).exp().sum())
    return [a, c]


def _seed():
    x, y = cg.tensor([[1.0], [2.0], [3.0]]), cg.tensor([[2.0], [4.0], [6.0]])
    w = cg.tensor([[0.5]], requires_grad=True)
    b = cg.tensor([0.0], requires_grad=True)
    loss = 0.5 * cg.sum((cg.matmul(x, w) + b - y) ** 2)
    _backward(loss)
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
    _backward(out)
    return [x, w, b, s]


def _mlp_with_cross_entropy():
    rng = np.random.default_rng(1)
    x = cg.tensor(rng.standard_normal((8, 6)).astype(np.float32))
    target = cg.tensor(rng.integers(0, 3, 8))
    w1 = cg.tensor(rng.standard_normal((6, 5)).astype(np.float32), requires_grad=True)
    w2 = cg.tensor(rng.standard_normal((5, 3)).astype(np.float32), requires_grad=True)
    loss = cg.nn.functional.cross_entropy((x @ w1).relu() @ w2, target)
    _backward(loss)
    return [w1, w2]


def _log_softmax_and_nll_loss():
    """LogSoftmax and NllLoss on arrays (every reduction, class weights, an ignored row, dim 0)."""
    rng = np.random.default_rng(2)
    x = cg.tensor(rng.standard_normal((6, 4)).astype(np.float32), requires_grad=True)
    target = cg.tensor(np.array([0, 3, 1, -100, 2, 3]))
    weight = cg.tensor(np.array([0.5, 2.0, 1.0, 1.5], np.float32))
    logp = cg.nn.functional.log_softmax(x, dim=1)
    f = cg.nn.functional
    loss = f.nll_loss(logp, target, weight=weight) + f.nll_loss(logp, target, reduction="sum") * 0.3
    loss = loss + (f.nll_loss(logp, target, reduction="none") * cg.arange(6.0)).sum()
    loss = loss + f.log_softmax(x, dim=0)[1:3].sum() * 0.7 + f.log_softmax(x, dim=-1)[:, 0].sum()
    _backward(loss)
    return [x]


def _multi_output_and_shared():
    x = cg.tensor([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]], requires_grad=True)
    parts = x.split(1, dim=1)  # multi-output node, one output unused
    y = parts[0] * parts[2] + x.sum(1, keepdim=True)
    _backward((y * y).sum())
    return [x]


PROGRAMS = [_small, _seed, _broadcasting_and_reductions, _mlp_with_cross_entropy, _log_softmax_and_nll_loss,
            _multi_output_and_shared]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__.strip("_"))
def test_backward_on_arrays_equals_the_tensor_path(program):
    fast = _grads(program, False)
    plain = _grads(program, True)
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


_WRITES = [
    (1, "row"), ((0, 2), 5.0), ((slice(None), 1), "column"), (Ellipsis, "row"), (None, "row"), (2, "leading_one"),
    ((1, [3, 0]), "pair"), ([0, 2], "row"), ("mask", 0.0), ((slice(1, None), slice(None, None, 2)), 7), (0, "scalar"),
]


@pytest.mark.parametrize("key,value", _WRITES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_unrecorded_setitem_equals_the_general_path_and_torch(key, value, dtype):
    """The same write with nothing recorded (the direct path) and with a value that requires grad (the general
    path through views and a recorded node), and in torch: the same values and one version bump."""
    values = {"row": [1.5, -2.0, 3.0, 4.5], "column": [7.0, 8.0, 9.0], "leading_one": [[1.0, 2.0, 3.0, 4.0]],
              "pair": [10.0, 20.0], "scalar": 2.5}
    results = []
    for lib, recorded in ((cg, False), (cg, True), (torch, False)):
        x = lib.arange(12.0).reshape(3, 4).to(getattr(lib, dtype))
        k = (x > 5) if key == "mask" else key
        v = lib.tensor(values[value]).to(x.dtype) if value in values else value
        if recorded and dtype == "float32":
            v = (v if isinstance(v, lib.Tensor) else lib.tensor(float(v))).requires_grad_() * 1
        before = x._version if lib is torch else x._version[0]
        x[k] = v
        assert (x._version if lib is torch else x._version[0]) == before + 1
        assert x.requires_grad == (recorded and dtype == "float32")
        results.append(x.detach().numpy())
    for r in results[1:]:
        np.testing.assert_array_equal(results[0], r)


def test_unrecorded_setitem_falls_back_for_what_it_does_not_handle():
    x = cg.zeros(3, 4)
    with pytest.raises(RuntimeError):
        x[0] = cg.ones(3)  # a value that does not broadcast: the general path's error
    with pytest.raises(IndexError, match="shape"):
        x[5] = 1.0  # out of range: the general path's message
    e = cg.zeros(4).expand(3, 4)
    with pytest.raises(RuntimeError, match="expanded"):
        e[0] = 1.0  # a read-only (broadcast) array
    assert x.tolist() == [[0.0] * 4] * 3


def test_setitem_with_tensor_indices_refuses_a_value_of_another_dtype_like_torch():
    for lib in (cg, torch):
        x = lib.zeros(3, 4, dtype=lib.int64)
        with pytest.raises(RuntimeError, match="dtypes match"):
            x[[0, 2]] = lib.ones(4)
        x[[0, 2]] = 2.7  # a Python number is converted
        x[0] = lib.ones(4) * 1.5  # so is a tensor written through a view (a copy)
        assert x[:, 0].tolist() == [1, 0, 2]


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


# -- a tensor and a Python number: the ordinary ops record the number itself (Add, Sub, Rsub, Mul, Div) ----------
_SCALAR_FORMS = {
    "x + n": (lambda t, n: t + n, lambda t, n: t + n),
    "n + x": (lambda t, n: n + t, lambda t, n: n + t),
    "x - n": (lambda t, n: t - n, lambda t, n: t - n),
    "n - x": (lambda t, n: n - t, lambda t, n: n - t),
    "x * n": (lambda t, n: t * n, lambda t, n: t * n),
    "n * x": (lambda t, n: n * t, lambda t, n: n * t),
    "x / n": (lambda t, n: t / n, lambda t, n: t / n),
}
_PLAIN = {  # the same op with the number as a 0-d tensor of x's dtype: the general two-input node
    "x + n": lambda t, c: t + c, "n + x": lambda t, c: c + t, "x - n": lambda t, c: t - c,
    "n - x": lambda t, c: c - t, "x * n": lambda t, c: t * c, "n * x": lambda t, c: c * t,
    "x / n": lambda t, c: t / c,
}


@pytest.mark.parametrize("form", list(_SCALAR_FORMS))
@pytest.mark.parametrize("n", [0.5, 3, -1e-3, 0.1])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("shape", [(), (3, 1)])
def test_scalar_operand_node_equals_the_two_tensor_node_and_torch(form, n, dtype, shape):
    x0 = np.linspace(-1.5, 2.0, int(np.prod(shape))).reshape(shape).astype(dtype)
    fast = cg.tensor(x0, requires_grad=True)
    plain = cg.tensor(x0, requires_grad=True)
    ref = torch.tensor(x0, requires_grad=True)
    f, t = _SCALAR_FORMS[form]
    yf = f(fast, n)
    yp = _PLAIN[form](plain, cg.tensor(np.array(n, dtype=dtype)))
    yr = t(ref, n)
    assert yf.grad_fn.name() == type(yr.grad_fn).__name__  # torch's node name
    # the number is no input of the graph: x is the one tensor the gradient flows to
    assert [f for f, _ in yf.grad_fn.next_functions if f is not None][0].variable is fast
    assert sum(f is not None for f, _ in yf.grad_fn.next_functions) == 1 and yf.dtype == yp.dtype
    np.testing.assert_array_equal(yf.detach().numpy(), yp.detach().numpy())  # bit for bit
    (yf * yf).sum().backward()
    (yp * yp).sum().backward()
    (yr * yr).sum().backward()
    np.testing.assert_array_equal(fast.grad.numpy(), plain.grad.numpy())
    np.testing.assert_allclose(fast.grad.numpy(), ref.grad.numpy(), rtol=1e-2 if dtype == "float16" else 1e-5)


@pytest.mark.parametrize("form", list(_SCALAR_FORMS))
def test_scalar_operand_node_second_derivative_matches_torch(form):
    x = cg.tensor([0.5, 2.0], dtype=cg.float64, requires_grad=True)
    xt = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    f, t = _SCALAR_FORMS[form]
    (g,) = cg.autograd.grad((f(x, 1.5) ** 3).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((t(xt, 1.5) ** 3).sum(), xt, create_graph=True)
    g.sum().backward()
    gt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_scalar_operand_node_is_not_used_where_the_dtype_would_change():
    i = cg.tensor([1, 2])
    assert (i * 2).dtype == cg.int64 and (i * 2.5).dtype == cg.float32  # promotion: the general path
    assert (i / 2).tolist() == [0.5, 1.0]
    assert (cg.tensor([1.0]) + True).tolist() == [2.0]  # bool is not an int here: the general path


def test_scalar_chain_matches_torch():
    x = cg.tensor(1.0, requires_grad=True)
    xt = torch.tensor(1.0, requires_grad=True)
    y, yt = x, xt
    for _ in range(200):
        y = y * 1.0001 + 0.0001
        yt = yt * 1.0001 + 0.0001
    y.backward()
    yt.backward()
    assert y.item() == pytest.approx(yt.item(), rel=1e-6)
    assert x.grad.item() == pytest.approx(xt.grad.item(), rel=1e-6)


# -- no-grad calls: the forward's ctx is dropped with the call ---------------------------------------------------
_BINARY = (lambda p, q: p + q, lambda p, q: p - q, lambda p, q: p * q, lambda p, q: p / q, lambda p, q: p @ q,
           lambda p, q: p.exp() * q.tanh(), lambda p, q: cg.maximum(p, q).relu().sigmoid())


@pytest.mark.parametrize("fn", _BINARY)
def test_unrecorded_ops_keep_nothing_and_equal_recorded_ones(fn):
    a0 = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
    b = cg.tensor([[0.25, 2.0], [4.0, -1.0]])
    a = cg.tensor(a0.copy())
    alive = weakref.ref(a.numpy())
    with cg.no_grad():
        out = fn(a, b)
    rec = fn(cg.tensor(a0, requires_grad=True), b)
    np.testing.assert_array_equal(out.numpy(), rec.detach().numpy())
    assert out.grad_fn is None and not out.requires_grad
    del a
    gc.collect()
    assert alive() is None  # nothing of the unrecorded call holds its input


# -- x.T skips permute()'s checks --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (3,), (3, 2), (2, 3, 4)])
def test_dot_T_equals_permute_with_reversed_dims(shape):
    x0 = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    x = cg.tensor(x0, requires_grad=True)
    y = x.T
    np.testing.assert_array_equal(y.detach().numpy(), x0.T)
    np.testing.assert_array_equal(y.detach().numpy(), x.permute(*reversed(range(len(shape)))).detach().numpy())
    (y * cg.tensor(np.arange(y.numel(), dtype=np.float32).reshape(y.shape))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(y.numel(), dtype=np.float32).reshape(x0.T.shape).T)
    c = cg.tensor(x0)
    v = c.T  # still a view: an in-place change shows through and bumps the shared version counter
    if len(shape):
        v.mul_(2)
        np.testing.assert_array_equal(c.numpy(), x0 * 2)
        assert c._version[0] == v._version[0] == 1


# -- the engine's array loop: un-broadcasting and freeing -----------------------------------------------------------
@pytest.mark.parametrize("shapes", [((3, 1), (1,)), ((2, 3, 4), (3, 1)), ((2, 3), ()), ((4, 1, 5), (1, 3, 1)),
                                    ((2, 3), (2, 3))])
def test_unbroadcast_on_arrays_equals_the_tensor_path_and_torch(shapes):
    rng = np.random.default_rng(3)
    a0, b0 = (rng.standard_normal(s) for s in shapes)

    def program():
        a, b = cg.tensor(a0, requires_grad=True), cg.tensor(b0, requires_grad=True)
        _backward(((a + b) * (a - b)).sum())
        return [a, b]

    fast = _grads(program, False)
    plain = _grads(program, True)
    at, bt = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    ((at + bt) * (at - bt)).sum().backward()
    for f, p, r in zip(fast, plain, (at.grad, bt.grad)):
        assert f.shape == p.shape == tuple(r.shape)
        np.testing.assert_array_equal(f, p)
        np.testing.assert_allclose(f, r.numpy(), rtol=1e-6)


def test_second_backward_through_a_freed_graph_still_says_what_to_do():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    for fn in (lambda t: t * 3, lambda t: t / 3):  # scalar nodes: freed like torch's, though they keep no array
        z = fn(x).sum()
        z.backward()
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            z.backward()
    z = (x + 3).sum()  # torch's AddBackward0 saves nothing: a second backward works there and here
    z.backward()
    z.backward()


def test_naming_an_output_gives_its_node_its_own_names():
    x = cg.tensor([1.0], requires_grad=True)
    y, z = x * 2, x * 3
    y.name = "y"
    assert y.grad_fn._output_names == {0: "y"} and dict(z.grad_fn._output_names) == {}


# -- convolution, pooling and sigmoid for CNNs ----------------------------------------------------------------
# Conv2d computes on batch-last arrays (row columns, batched GEMM; full columns for H dilation or groups) and
# its loss.backward() runs on arrays; with create_graph=True it uses differentiable ops. Average pooling with
# stride == kernel and no padding is AvgPoolBlocks/AvgUnpoolBlocks (slices, no im2col); nn.Sigmoid uses an
# in-place kernel. Each is checked against torch on both backward paths and through a second derivative.
_CONV_CASES = [  # (input shape, weight shape, stride, padding, dilation, groups): rows, strided, "cols" paths
    ((3, 1, 12, 12), (4, 1, 5, 5), 1, 2, 1, 1),
    ((2, 3, 9, 8), (5, 3, 3, 2), (2, 1), (1, 0), (1, 2), 1),
    ((2, 3, 9, 8), (4, 3, 3, 3), 1, "same", 1, 1),
    ((2, 4, 9, 9), (4, 2, 3, 3), 1, 1, 1, 2),
    ((2, 3, 11, 10), (4, 3, 3, 2), (1, 2), 2, (2, 1), 1),
]


def _conv_inputs(case, dtype, bias=True):
    xs, ws, stride, padding, dilation, groups = case
    rng = np.random.default_rng(sum(xs) + 10 * sum(ws))
    arrays = [rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype),
              rng.standard_normal(ws[0]).astype(dtype)][:3 if bias else 2]
    return arrays, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


@pytest.mark.parametrize("case", _CONV_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_array_backward_equals_the_tensor_path_and_torch(case, dtype, bias):
    arrays, kw = _conv_inputs(case, dtype, bias)
    ours = [cg.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = cg.nn.functional.conv2d(*ours, **kw)
    expected = torch.nn.functional.conv2d(*ref, **kw)
    g = np.random.default_rng(1).standard_normal(expected.shape).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    assert out.dtype == ours[0].dtype and out.is_contiguous()
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tol)
    tensor_path = cg.autograd.grad(out, ours, cg.tensor(g), create_graph=True)  # differentiable ops
    (out * cg.tensor(g)).sum().backward()  # arrays
    (expected * torch.tensor(g)).sum().backward()
    for t, by_ops, r in zip(ours, tensor_path, ref):
        assert t.grad.dtype == t.dtype
        np.testing.assert_allclose(t.grad.numpy(), r.grad.numpy(), **tol)
        np.testing.assert_allclose(by_ops.detach().numpy(), r.grad.numpy(), **tol)


@pytest.mark.parametrize("case", _CONV_CASES[:4])
def test_conv2d_second_derivative_matches_torch(case):
    arrays, kw = _conv_inputs(case, np.float64)
    ours = [cg.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    results = []
    for lib, ts in ((cg, ours), (torch, ref)):
        out = lib.nn.functional.conv2d(*ts, **kw).sigmoid()
        grads = lib.autograd.grad(out.sum(), ts[:2], create_graph=True)
        (grads[0] ** 2).sum().__add__((grads[1] ** 3).sum()).backward()
        results.append([t.grad.detach().numpy() for t in ts])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_conv2d_input_gradient_is_skipped_when_the_input_does_not_require_it():
    arrays, kw = _conv_inputs(_CONV_CASES[0], np.float32)
    x = cg.tensor(arrays[0])
    w, b = (cg.tensor(a, requires_grad=True) for a in arrays[1:])
    cg.nn.functional.conv2d(x, w, b, **kw).sum().backward()
    assert x.grad is None and w.grad is not None and b.grad is not None


_POOL_CASES = [((2, 3, 8, 8), 2, None, False, None), ((2, 3, 9, 7), (2, 3), None, False, None),
               ((2, 3, 9, 9), 3, None, True, None), ((2, 3, 8, 6), 2, 2, False, 3), ((3, 5, 6), 2, None, False, None)]


@pytest.mark.parametrize("case", _POOL_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool_blocks_match_torch_both_backward_paths(case, dtype):
    shape, k, s, ceil, div = case
    x0 = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    ref = torch.tensor(x0, requires_grad=True)
    expected = torch.nn.functional.avg_pool2d(ref, k, s, 0, ceil, True, div)
    g = np.random.default_rng(3).standard_normal(expected.shape).astype(dtype)
    (expected * torch.tensor(g)).sum().backward()
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for create_graph in (False, True):
        x = cg.tensor(x0, requires_grad=True)
        out = cg.nn.functional.avg_pool2d(x, k, s, 0, ceil, True, div)
        node = out.grad_fn if len(shape) == 4 else out.grad_fn.next_functions[0][0]  # 3-D: squeezed after
        assert node.name() == "AvgPool2DBackward0" and out.is_contiguous()
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tol)
        (out * cg.tensor(g)).sum().backward(create_graph=create_graph)
        assert x.grad.dtype == x.dtype
        np.testing.assert_allclose(x.grad.detach().numpy(), ref.grad.numpy(), **tol)
    assert out.view(-1).shape[0] == out.numel()  # contiguous like torch's: view works after pooling


def test_avg_pool_blocks_second_derivative_matches_torch():
    x0 = np.random.default_rng(4).standard_normal((2, 3, 9, 8))
    results = []
    for lib in (cg, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = lib.nn.functional.avg_pool2d(x * x, 2)
        (gx,) = lib.autograd.grad((y.sigmoid() * y).sum(), (x,), create_graph=True)
        (gx ** 2).sum().backward()
        results.append(x.grad.detach().numpy())
    np.testing.assert_allclose(*results, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nn_sigmoid_kernel_equals_tensor_sigmoid_and_torch(dtype):
    x0 = np.concatenate([np.random.default_rng(5).standard_normal(50) * 10,
                         [-1000, -100, -40, -20, 0, 20, 40, 100, 1000]]).astype(dtype)
    g = np.random.default_rng(6).standard_normal(x0.shape).astype(dtype)
    ref = torch.tensor(x0, requires_grad=True)
    expected = torch.sigmoid(ref)
    (expected * torch.tensor(g)).sum().backward()
    # equal up to rounding; where exp(-x) overflows the kernel gives 0 for a subnormal sigmoid (as torch)
    tol = dict(rtol=2e-6, atol=1e-38) if dtype == np.float32 else dict(rtol=1e-14, atol=1e-300)
    for create_graph in (False, True):
        x, x_plain = cg.tensor(x0, requires_grad=True), cg.tensor(x0, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # exp overflow is silent, as in torch
            out = cg.nn.Sigmoid()(x)
        plain = x_plain.sigmoid()
        assert out.dtype == x.dtype
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tol)
        np.testing.assert_allclose(out.detach().numpy(), plain.detach().numpy(), **tol)
        (out * cg.tensor(g)).sum().backward(create_graph=create_graph)
        (plain * cg.tensor(g)).sum().backward(create_graph=create_graph)
        np.testing.assert_allclose(x.grad.detach().numpy(), ref.grad.numpy(), **tol)
        np.testing.assert_allclose(x.grad.detach().numpy(), x_plain.grad.detach().numpy(), **tol)
    x = cg.tensor(x0[:50].astype(np.float64), requires_grad=True)
    (gx,) = cg.autograd.grad(cg.nn.Sigmoid()(x).sum(), (x,), create_graph=True)
    (gx2,) = cg.autograd.grad(gx.sum(), (x,))
    s = 1 / (1 + np.exp(-x0[:50].astype(np.float64)))
    np.testing.assert_allclose(gx2.numpy(), s * (1 - s) * (1 - 2 * s), rtol=1e-9, atol=1e-15)


def test_lenet_training_steps_match_torch():
    rng = np.random.default_rng(7)
    x0 = rng.standard_normal((6, 1, 28, 28)).astype(np.float32)
    y0 = rng.integers(0, 10, 6)
    start, params = None, []
    for lib in (cg, torch):
        nn = lib.nn
        model = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
            nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
        if start is None:
            start = [p.detach().numpy().copy() for p in model.parameters()]
        else:  # the same starting weights
            with torch.no_grad():
                for p, q in zip(model.parameters(), start):
                    p.copy_(torch.from_numpy(q))
        opt = lib.optim.SGD(model.parameters(), lr=0.5)
        for _ in range(3):
            opt.zero_grad()
            nn.CrossEntropyLoss()(model(lib.from_numpy(x0)), lib.from_numpy(y0)).backward()
            opt.step()
        params.append([p.detach().numpy().copy() for p in model.parameters()])
    for a, b in zip(*params):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


# -- operators go straight to apply for same-dtype tensors and Python numbers ------------------------------------
@pytest.mark.parametrize("op", ["add", "radd", "sub", "mul", "rmul"])
@pytest.mark.parametrize("other", ["same", "broadcast", "float", "int", "float64", "int_tensor"])
@pytest.mark.parametrize("grad", [False, True])
def test_operator_fast_paths_equal_the_general_binary_and_torch(op, other, grad):
    from chaingrad.ops import elementwise as ew
    from chaingrad.ops._dispatch import binary

    node, reverse = {"add": (ew.Add, False), "radd": (ew.Add, True), "sub": (ew.Sub, False),
                     "mul": (ew.Mul, False), "rmul": (ew.Mul, True)}[op]
    x0 = np.array([[0.5], [-1.25], [2.0]], dtype=np.float32)
    o0 = {"same": np.array([[1.5], [0.25], [-3.0]], np.float32), "broadcast": np.array([0.75], np.float32),
          "float": 0.1, "int": 3, "float64": np.array([[1.5], [0.25], [-3.0]]),
          "int_tensor": np.array([1, 2, 3])}[other]

    def run(lib, fast):
        x = lib.tensor(x0, requires_grad=grad)
        o = lib.tensor(o0) if isinstance(o0, np.ndarray) else o0
        if lib is cg and not fast:
            y = binary(node, x, o, reverse)
        else:
            y = getattr(x, f"__{op}__")(o)
        if grad:
            y.sum().backward()
        return y.detach().numpy(), (x.grad.numpy() if grad else None), str(y.dtype).split(".")[-1]

    fast, plain, ref = run(cg, True), run(cg, False), run(torch, True)
    np.testing.assert_array_equal(fast[0], plain[0])
    assert fast[2] == plain[2] == ref[2]
    np.testing.assert_allclose(fast[0], ref[0], rtol=1e-6)
    if grad:
        np.testing.assert_array_equal(fast[1], plain[1])
        np.testing.assert_allclose(fast[1], ref[1], rtol=1e-6)


def test_operator_fast_paths_keep_the_errors():
    a, b = cg.tensor([1.0, 2.0, 3.0]), cg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="must match the size"):
        a + b
    with pytest.raises(RuntimeError, match="must match the size"):
        a.__rmul__(b)
    t = cg.tensor([True, False])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        t - t
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        cg.tensor([1.0, 2.0]) - True
    np.testing.assert_array_equal((t + t).numpy(), (torch.tensor([True, False]) * 2).bool().numpy())


# -- loss.backward() of a one-element tensor goes straight to the array walk --------------------------------------
def _seed_epoch(w0=0.5, hooks=False):
    x, y = cg.tensor([[1.0], [2.0], [3.0]]), cg.tensor([[2.0], [4.0], [6.0]])
    w = cg.tensor([[w0]], requires_grad=True)
    b = cg.tensor([0.25], requires_grad=True)
    seen = []
    if hooks:
        w.register_hook(lambda g: seen.append(g.numpy().copy()))
    pred = cg.matmul(x, w) + b
    if hooks:
        pred.retain_grad()
    loss = 0.5 * cg.sum((pred - y) ** 2)
    return loss, (w, b), pred, seen


@pytest.mark.parametrize("hooks", [False, True])
def test_scalar_backward_entry_equals_the_general_entry(hooks):
    loss, leaves, pred, seen = _seed_epoch(hooks=hooks)
    loss.backward()  # the short entry
    loss2, leaves2, pred2, seen2 = _seed_epoch(hooks=hooks)
    cg.autograd.backward([loss2], [cg.ones_like(loss2)])  # the general entry
    for t, u in zip(leaves, leaves2):
        np.testing.assert_array_equal(t.grad.numpy(), u.grad.numpy())
    if hooks:
        np.testing.assert_array_equal(pred.grad.numpy(), pred2.grad.numpy())
        np.testing.assert_array_equal(seen[0], seen2[0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()  # the graph was freed, as after the general entry
    loss3, *_ = _seed_epoch()
    loss3.backward(retain_graph=True)
    loss3.backward()  # retained once, then freed


def test_scalar_backward_entry_leaves_other_cases_to_the_general_path():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        cg.tensor(1.0).backward()
    leaf = cg.tensor(3.0, requires_grad=True)
    leaf.backward()  # a leaf: its own gradient is 1
    assert leaf.grad.item() == 1.0
    a, _ = (x * 1.0).max(0)  # a node with two outputs
    a.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


# -- x.sum() skips the checks, and takes axis= itself ------------------------------------------------------------
def test_sum_fast_path_and_axis_alias():
    a0 = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = cg.tensor(a0)
    np.testing.assert_array_equal(x.sum().numpy(), cg.sum(x, dim=(0, 1)).numpy())
    np.testing.assert_array_equal(x.sum(axis=1).numpy(), x.sum(1).numpy())
    np.testing.assert_array_equal(cg.sum(x, axis=0, keepdim=True).numpy(), a0.sum(0, keepdims=True))
    with pytest.raises(TypeError, match="both 'dim' and its alias 'axis'"):
        x.sum(dim=0, axis=1)
    assert cg.tensor([1, 2, 3]).sum().dtype == cg.int64
    x.requires_grad_()
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones_like(a0))


# -- matmul of two matrices skips the checks; x.T reuses its dims and still links the view ---------------------
def test_matmul_of_two_matrices_equals_torch_and_keeps_the_errors():
    a0 = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    b0 = np.array([[0.5], [-1.0]], np.float32)
    a, b = cg.tensor(a0, requires_grad=True), cg.tensor(b0, requires_grad=True)
    at, bt = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    (cg.matmul(a, b) ** 2).sum().backward()
    (torch.matmul(at, bt) ** 2).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        cg.matmul(a, a)
    with pytest.raises(RuntimeError, match="same dtype"):
        cg.matmul(a, b.double())


def test_T_is_a_view_that_sees_in_place_changes():
    x = cg.tensor([[1.0, 2.0, 3.0]])
    xt = x.T
    assert xt.shape == (3, 1)
    x.add_(1.0)
    np.testing.assert_array_equal(xt.numpy(), [[2.0], [3.0], [4.0]])
    assert xt._version is x._version and xt._base is x
    r = cg.tensor([[1.0, 2.0], [3.0, 4.0]]).T.reshape(4)  # reshape of a transpose copies: no view
    assert r._base is None


@pytest.mark.parametrize("fn", [lambda p: p * 0.5, lambda p: 2 - p, lambda p: p / 4, lambda p: p ** 2,
                                lambda p: p.sum(), lambda p: p.sum(0)])
def test_number_ops_and_sum_unrecorded_keep_nothing_and_equal_recorded_ones(fn):
    a = cg.tensor([[1.0, -2.0], [0.5, 3.0]])
    rec = fn(a.clone().requires_grad_())
    alive = weakref.ref(a.numpy())
    with cg.no_grad():
        out = fn(a)
    np.testing.assert_array_equal(out.numpy(), rec.detach().numpy())
    del a
    gc.collect()
    assert alive() is None


def test_view_link_shortcut_links_empty_and_nested_views_as_torch():
    x, tx = cg.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.T._base is x and x[0]._base is x and x[0].T._base is x  # a view of a view links to the base
    # an empty slice shares no memory (NumPy's may_share_memory says False) but is a view all the same, as in
    # torch: an in-place op on it is recorded on the base
    assert (x[2:]._base is x) == (tx[2:]._base is tx) is True
    assert x.reshape(4)[4:]._base is x


# -- apply spells out one and two inputs; the general case (_arguments) must record the same node ----------------
def _one_two_inputs():
    x = cg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    y = cg.tensor([0.25, 2.0])
    h = x * 2
    from chaingrad.ops import arithmetic as ar
    from chaingrad.ops import unary as un
    return [(ar.Mul, (x, y)), (ar.Add, (h, x)), (ar.Mul, (x, 0.5)), (ar.Pow, (h, 2)), (un.Tanh, (h,)),
            (ar.Rsub, (1.0, x)), (ar.Where, (cg.tensor([True, False]), x, h))]


@pytest.mark.parametrize("case", range(7))
def test_spelled_out_inputs_record_what_the_general_case_records(case):
    from chaingrad.autograd import node as function

    op, inputs = _one_two_inputs()[case]
    out = function.apply(op, *inputs)
    node = out.grad_fn
    plain = object.__new__(op)
    plain._saved = None
    given = function._arguments(plain, inputs)
    assert node.needs_input_grad == plain.needs_input_grad
    assert node.next_edges == plain.next_edges and node.input_meta == plain.input_meta
    assert node.numbers == plain.numbers
    np.testing.assert_array_equal(out.detach().numpy(), op.forward(plain, *given))
    with cg.no_grad():
        np.testing.assert_array_equal(function.apply(op, *inputs).numpy(), out.detach().numpy())


# -- conv2d's array kernels against the plain path: im2col (Unfold) and one matrix product ------------------------
@pytest.mark.parametrize("case", _CONV_CASES)
def test_conv2d_kernels_equal_im2col_and_a_matrix_product(case):
    from chaingrad.ops.conv import conv_padding
    from chaingrad.ops.pool import unfold_windows

    arrays, kw = _conv_inputs(case, np.float64)
    x, w, b = (cg.tensor(a, requires_grad=True) for a in arrays)
    x2, w2, b2 = (cg.tensor(a, requires_grad=True) for a in arrays)
    out = cg.nn.functional.conv2d(x, w, b, **kw)
    k = tuple(w2.shape[2:])
    s = kw["stride"] if isinstance(kw["stride"], tuple) else (kw["stride"],) * 2
    d = kw["dilation"] if isinstance(kw["dilation"], tuple) else (kw["dilation"],) * 2
    pad = conv_padding(kw["padding"], k, d, s)
    cols = unfold_windows(x2, k, s, pad, d)  # (N, OH, OW, C, KH, KW)
    n, oh, ow = cols.shape[:3]
    g, o = kw["groups"], w2.shape[0]
    cols = cols.reshape(n * oh * ow, g, -1).permute(1, 0, 2)  # (G, N*OH*OW, C/G*KH*KW)
    plain = (cols @ w2.reshape(g, o // g, -1).permute(0, 2, 1))  # (G, N*OH*OW, O/G)
    plain = plain.permute(1, 0, 2).reshape(n, oh, ow, o).permute(0, 3, 1, 2) + b2.reshape(1, -1, 1, 1)
    np.testing.assert_allclose(out.detach().numpy(), plain.detach().numpy(), rtol=1e-12, atol=1e-12)
    up = cg.tensor(np.random.default_rng(0).standard_normal(out.shape))
    (out * up).sum().backward()
    (plain * up).sum().backward()
    for t, p in ((x, x2), (w, w2), (b, b2)):
        np.testing.assert_allclose(t.grad.numpy(), p.grad.numpy(), rtol=1e-11, atol=1e-12)


# -- a first gradient becomes .grad without a copy only when nothing else holds it --------------------------------
def test_no_grad_shares_memory_with_anything_else():
    x = cg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = cg.tensor([[0.5, 0.5], [0.5, 0.5]], requires_grad=True)
    kept = []
    z = cg.tensor([1.0, 2.0], requires_grad=True)
    z.register_hook(lambda g: kept.append(g * 1) or kept[-1])  # the user keeps what the hook returns
    user = cg.tensor([[1.0, 1.0], [1.0, 1.0]])
    h = x + y  # Add sends the same array to both inputs
    h.retain_grad()
    out = h.reshape(4) * 1.0  # a reshape hands back views
    out = out.reshape(2, 2) + (z * 1.0).reshape(1, 2) + x.T
    out.backward(user)
    arrays = [x.grad.numpy(), y.grad.numpy(), h.grad.numpy(), z.grad.numpy(), user.numpy(), kept[0].numpy()]
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            assert not np.shares_memory(a, b)
    for t in (x, y, z, h):
        assert t.grad.numpy().flags.writeable and t.grad.numpy().base is None


def test_the_plain_walk_keeps_no_state_between_calls():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    w = cg.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = cg.autograd.grad((x * w).sum(), x)  # a walk with inputs=
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.tolist() == [1.0, 2.0]
    (x * w).sum().backward()  # the plain walk: every leaf
    assert x.grad.tolist() == [3.0, 4.0] and w.grad.tolist() == [2.0, 4.0] and gx.tolist() == [3.0, 4.0]


# -- a transposed matrix's gradient in its own layout (MatMul, AddMatmul): Linear's weight gets a row-major .grad ----
@pytest.mark.parametrize("bias", [True, False])
def test_linear_weight_gradient_is_row_major_and_equals_the_plain_product(bias):
    rng = np.random.default_rng(0)
    x, w, b, g = (rng.standard_normal(s) for s in ((6, 5), (3, 5), (3,), (6, 3)))
    lin = cg.nn.Linear(5, 3, bias=bias).double()
    with cg.no_grad():
        lin.weight.copy_(cg.tensor(w))
        if bias:
            lin.bias.copy_(cg.tensor(b))
    lin(cg.tensor(x)).backward(cg.tensor(g))
    grad = lin.weight.grad._data
    assert grad.flags.c_contiguous
    np.testing.assert_allclose(grad, g.T @ x, rtol=1e-13)  # the plain product, dL/dW = g^T x
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.linear(torch.tensor(x), tw, torch.tensor(b) if bias else None).backward(torch.tensor(g))
    np.testing.assert_allclose(grad, tw.grad.numpy(), rtol=1e-13)
