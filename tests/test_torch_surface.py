"""Parts of torch's surface that textbook programs use, each against torch itself: NumPy's ``axis=``/``keepdims=``
names, ``out=``, ``finfo``/``iinfo``, ``index_add``, histogram's default bins, and the fused loss, variance and
batch-norm nodes (their gradients, and their second derivatives by finite differences)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.autograd.gradcheck import gradcheck, gradgradcheck
from helpers import compare_with_torch

X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


# -- axis= and keepdims= -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "var", "std",
                                  "logsumexp", "all", "any"])
def test_numpy_names_of_dim_and_keepdim_as_torch(name):
    for lib_x in ((torch, torch.tensor(X)), (cg, cg.tensor(X))):
        lib, x = lib_x
        if name in ("all", "any"):
            x = x > 0
        method = getattr(x, name)(axis=1, keepdims=True)
        function = getattr(lib, name)(x, 1, keepdims=True)
        assert tuple(method.shape) == (3, 1) == tuple(function.shape)
    ours = getattr(cg.tensor(X) if name not in ("all", "any") else cg.tensor(X) > 0, name)(axis=0, keepdims=True)
    theirs = getattr(torch.tensor(X) if name not in ("all", "any") else torch.tensor(X) > 0, name)(axis=0,
                                                                                                 keepdims=True)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.cat([x, x], axis=1), lambda lib, x: lib.stack((x, x), axis=-1),
    lambda lib, x: lib.softmax(x, axis=0), lambda lib, x: x.log_softmax(axis=1), lambda lib, x: x.unsqueeze(axis=0),
    lambda lib, x: lib.squeeze(x[:1], axis=0), lambda lib, x: lib.sort(x, axis=0, descending=True).values,
    lambda lib, x: x.topk(2, axis=0).indices, lambda lib, x: lib.index_select(x, axis=1, index=lib.tensor([2, 0])),
    lambda lib, x: x.gather(axis=1, index=lib.tensor([[0], [1], [2]])), lambda lib, x: lib.unbind(x, axis=1)[3],
    lambda lib, x: x.chunk(2, axis=1)[1], lambda lib, x: x.narrow(axis=1, start=1, length=2),
    lambda lib, x: lib.cumprod(x, axis=1), lambda lib, x: lib.concat([x, x], axis=0),
    lambda lib, x: x.repeat_interleave(2, axis=0), lambda lib, x: x.argsort(axis=1),
], ids=["cat", "stack", "softmax", "log_softmax", "unsqueeze", "squeeze", "sort", "topk", "index_select", "gather",
        "unbind", "chunk", "narrow", "cumprod", "concat", "repeat_interleave", "argsort"])
def test_torch_ops_with_a_dim_take_axis(call):
    # d2l writes torch.stack((cx, cy, w, h), axis=-1) and torch.cat([a, b], axis=1)
    ours, theirs = call(cg, cg.tensor(X)), call(torch, torch.tensor(X))
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_python_level_functions_refuse_axis_as_torch_does():
    for lib in (cg, torch):
        with pytest.raises(TypeError):
            lib.nn.functional.softmax(lib.tensor(X), axis=1)
        with pytest.raises(TypeError):
            lib.split(lib.tensor(X), 2, axis=1)


def test_max_and_min_take_axis_and_keepdims_and_give_values_and_indices():
    ours, theirs = cg.tensor(X).max(axis=1, keepdims=True), torch.tensor(X).max(axis=1, keepdims=True)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    ours, theirs = cg.min(cg.tensor(X), axis=0), torch.min(torch.tensor(X), axis=0)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min"])
def test_keepdim_without_dim_is_a_type_error_as_in_torch(name):
    with pytest.raises(TypeError):
        getattr(torch.tensor(X), name)(keepdim=True)
    with pytest.raises(TypeError, match="keepdim"):
        getattr(cg.tensor(X), name)(keepdim=True)
    assert tuple(cg.tensor(X).amax(keepdim=True).shape) == tuple(torch.tensor(X).amax(keepdim=True).shape)


def test_an_alias_beside_its_name_and_keepdims_where_there_is_no_keepdim_are_errors():
    with pytest.raises(TypeError, match="both 'keepdim' and its alias 'keepdims'"):
        cg.tensor(X).sum(1, keepdim=True, keepdims=True)
    with pytest.raises(TypeError):
        torch.tensor(X).cumsum(1, keepdims=True)
    with pytest.raises(TypeError, match="keepdims"):
        cg.tensor(X).cumsum(1, keepdims=True)
    np.testing.assert_allclose(cg.tensor(X).cumsum(axis=1).numpy(), torch.tensor(X).cumsum(axis=1).numpy(),
                               rtol=1e-6)


# -- out= ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda L, a, b, out: L.matmul(a, b.T, out=out),
    lambda L, a, b, out: L.add(a, b, out=out),
    lambda L, a, b, out: L.mul(a, 2.0, out=out),
    lambda L, a, b, out: L.cat([a, b], 0, out=out),
    lambda L, a, b, out: L.sum(a, 1, keepdims=True, out=out),
    lambda L, a, b, out: L.exp(a, out=out),
])
def test_out_is_filled_and_returned_as_torch(call):
    results = []
    for L in (torch, cg):
        a, b = L.tensor(X), L.tensor(X[::-1].copy())
        out = L.empty(0)
        returned = call(L, a, b, out)
        assert returned is out
        results.append(out.numpy().copy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_out_of_another_shape_is_resized_with_torchs_warning_and_writes_through_a_view():
    for L in (torch, cg):
        out = L.zeros(3)
        with pytest.warns(UserWarning, match="was resized since it had shape \\[3\\]"):
            L.add(L.ones(2, 2), 1, out=out)
        assert tuple(out.shape) == (2, 2) and float(out.sum()) == 8.0
        base = L.zeros(4)
        L.add(L.ones(2), 1, out=base[:2])
        assert base.tolist() == [2.0, 2.0, 0.0, 0.0]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            L.add(L.ones(2), 1, out=L.empty(0))  # no elements: resized silently


def test_out_refuses_what_torch_refuses():
    for L in (torch, cg):
        a = L.ones(2, 2, requires_grad=True)
        with pytest.raises(RuntimeError, match="functions with out=... arguments don't support automatic"):
            L.add(a, 1, out=L.empty(2, 2))
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            L.add(L.ones(2), 1.5, out=L.empty(2, dtype=L.int64))
        with L.no_grad():
            assert L.add(a, 1, out=L.empty(2, 2)).sum().item() == 8.0
        out = L.empty(2, dtype=L.float64)
        L.add(L.tensor([1, 2]), 1, out=out)  # an int result goes into a float tensor
        assert out.tolist() == [2.0, 3.0] and out.dtype == L.float64
    with pytest.raises(TypeError, match="argument 'out' must be Tensor"):
        cg.add(cg.ones(2), 1, out=3)


def test_creation_functions_make_outs_dtype():
    for L in (torch, cg):
        out = L.empty(1, dtype=L.int64)
        L.arange(4, out=out)
        assert out.tolist() == [0, 1, 2, 3] and out.dtype == L.int64
        L.zeros(2, 2, out=out)
        assert out.tolist() == [[0, 0], [0, 0]] and out.dtype == L.int64


# -- finfo and iinfo -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_as_torch(name):
    ours, theirs = cg.finfo(getattr(cg, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert repr(cg.finfo()) == repr(torch.finfo())


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_as_torch(name):
    ours, theirs = cg.iinfo(getattr(cg, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.max, ours.min, ours.dtype) == (theirs.bits, theirs.max, theirs.min, theirs.dtype)
    assert repr(ours) == repr(theirs)


def test_finfo_and_iinfo_refuse_the_other_kind_as_torch():
    for L in (torch, cg):
        with pytest.raises(TypeError, match="requires a floating point input type"):
            L.finfo(L.int32)
        with pytest.raises(TypeError, match="requires an integer input type"):
            L.iinfo(L.float32)
        with pytest.raises(TypeError, match="torch.bool is not supported by torch.iinfo"):
            L.iinfo(L.bool)


# -- index_add ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim, index, alpha", [(0, [0, 2, 0], 1), (1, [3, 3, 0], 2.5), (-1, [1, 0, 2], -1)])
def test_index_add_values_and_gradients_as_torch(dim, index, alpha):
    src_shape = (3, 4) if dim == 0 else (3, 3)
    src = np.random.default_rng(1).standard_normal(src_shape)
    compare_with_torch(lambda L, x, s: x.index_add(dim, L.tensor(index), s, alpha=alpha), [X.astype(np.float64), src])


def test_index_add_in_place_records_the_op_and_returns_the_tensor():
    for L in (torch, cg):
        w = L.ones(3, requires_grad=True)
        x = L.zeros(4) * w.sum()
        y = x.index_add_(0, L.tensor([1, 1]), w[:2])
        assert y is x and x.tolist() == [0.0, 2.0, 0.0, 0.0] and x.grad_fn.name() == "IndexAddBackward0"
        x.sum().backward()
        assert w.grad.tolist() == [1.0, 1.0, 0.0]


def test_index_add_errors_as_torch():
    cases = [
        (lambda L: L.zeros(3, 2).index_add(0, L.tensor([[0, 0]]), L.ones(2, 2)), IndexError, "supposed to be a vector"),
        (lambda L: L.zeros(3, 2).index_add(0, L.tensor([0, 5]), L.ones(2, 2)), RuntimeError, "index 5 is out of"),
        (lambda L: L.zeros(3, 2).index_add(0, L.tensor([0, 1]), L.ones(2, 2).double()), RuntimeError,
         "same scalar type"),
        (lambda L: L.zeros(3, 2).index_add(0, L.tensor([0, 1, 2]), L.ones(2, 2)), RuntimeError, "Number of indices"),
        (lambda L: L.zeros(3, 2).index_add(0, L.tensor([0.0, 1.0]), L.ones(2, 2)), RuntimeError, "int32/int64"),
    ]
    for make, error, text in cases:
        for L in (torch, cg):
            with pytest.raises(error, match=text):
                make(L)


# -- histogram ---------------------------------------------------------------------------------------------------
def test_histogram_has_torchs_100_bins_by_default():
    data = np.random.default_rng(2).standard_normal(500).astype(np.float32)
    ours, theirs = cg.histogram(cg.tensor(data), density=True), torch.histogram(torch.tensor(data), density=True)
    assert ours.hist.shape[0] == 100 == theirs.hist.shape[0]
    np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.bin_edges.numpy(), theirs.bin_edges.numpy(), rtol=1e-6, atol=1e-6)


# -- the fused nodes: gradients as torch's, second derivatives by finite differences ------------------------------
A = np.random.default_rng(3).standard_normal((4, 3))
Y = np.random.default_rng(4).standard_normal((4, 3))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_node_as_torch(reduction):
    compare_with_torch(lambda L, a, y: L.nn.functional.mse_loss(a, y, reduction=reduction), [A, Y])
    assert gradgradcheck(lambda a, y: cg.nn.functional.mse_loss(a, y, reduction=reduction),
                         [cg.tensor(A, requires_grad=True), cg.tensor(Y, requires_grad=True)])


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"}, {"weight": [1.0, 2.0, 0.5]},
                                {"ignore_index": 1}])
def test_nll_loss_and_cross_entropy_as_torch(kw):
    target = [0, 1, 2, 1]
    w = kw.get("weight")

    def loss(L, a):
        extra = {**kw, **({"weight": L.tensor(w, dtype=L.float64)} if w else {})}
        return L.nn.functional.cross_entropy(a, L.tensor(target), **extra)

    compare_with_torch(loss, [A])
    assert gradgradcheck(lambda a: loss(cg, a), [cg.tensor(A, requires_grad=True)])


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"pos_weight": True}, {"weight": True}])
def test_binary_cross_entropy_with_logits_node_as_torch(kw):
    p = 1 / (1 + np.exp(-Y))

    def loss(L, a, t):
        extra = {"reduction": kw.get("reduction", "mean")}
        if "pos_weight" in kw:
            extra["pos_weight"] = L.tensor([1.0, 3.0, 0.5], dtype=L.float64)
        if "weight" in kw:
            extra["weight"] = L.tensor([[2.0], [1.0], [0.5], [1.0]], dtype=L.float64)
        return L.nn.functional.binary_cross_entropy_with_logits(a, t, **extra)

    compare_with_torch(loss, [A, p])
    assert gradcheck(lambda a, t: loss(cg, a, t), [cg.tensor(A, requires_grad=True), cg.tensor(p, requires_grad=True)])
    assert gradgradcheck(lambda a: loss(cg, a, cg.tensor(p)), [cg.tensor(A, requires_grad=True)])


def test_binary_cross_entropy_node_with_weight_as_torch():
    p, t = 1 / (1 + np.exp(-A)), 1 / (1 + np.exp(-Y))
    compare_with_torch(lambda L, x, y: L.nn.functional.binary_cross_entropy(
        x, y, weight=L.tensor([1.0, 2.0, 0.5], dtype=L.float64)), [p, t])


@pytest.mark.parametrize("fn", [lambda x: x.var(), lambda x: x.var(0, keepdim=True), lambda x: x.std(1),
                                lambda x: x.std(correction=0), lambda x: x.var((0, 1), unbiased=False)])
def test_var_and_std_nodes_as_torch(fn):
    compare_with_torch(lambda L, a: fn(a), [A])
    assert gradgradcheck(fn, [cg.tensor(A, requires_grad=True)])


def test_std_of_constant_rows_has_zero_gradient_as_torch():
    compare_with_torch(lambda L, a: a.std(1), [np.array([[1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])])


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_node_as_torch(training):
    x = np.random.default_rng(5).standard_normal((4, 3, 2))

    def bn(L, x, w, b):
        rm, rv = L.tensor([0.1, -0.2, 0.3], dtype=L.float64), L.tensor([1.5, 0.5, 2.0], dtype=L.float64)
        return L.nn.functional.batch_norm(x, rm, rv, w, b, training=training)

    compare_with_torch(bn, [x, np.array([1.0, 2.0, -0.5]), np.array([0.1, 0.0, 0.3])])
    second = []  # the gradient of a function of the gradient (create_graph), as torch's
    for L in (torch, cg):
        xt, wt = L.tensor(x, requires_grad=True), L.tensor([1.0, 2.0, -0.5], dtype=L.float64, requires_grad=True)
        (gx,) = L.autograd.grad(bn(L, xt, wt, None), xt, L.tensor(np.arange(24.0).reshape(4, 3, 2) / 10),
                                create_graph=True)
        second.append([g.numpy() for g in L.autograd.grad((gx ** 3).sum(), [xt, wt], allow_unused=True,
                                                          materialize_grads=True)])
    for ours, theirs in zip(second[1], second[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_batch_norm_updates_running_statistics_as_torch():
    x = np.random.default_rng(6).standard_normal((5, 3))
    stats = []
    for L in (torch, cg):
        m = L.nn.BatchNorm1d(3).double()
        m(L.tensor(x))
        stats.append((m.running_mean.numpy().copy(), m.running_var.numpy().copy()))
    np.testing.assert_allclose(stats[1][0], stats[0][0], rtol=1e-12)
    np.testing.assert_allclose(stats[1][1], stats[0][1], rtol=1e-12)


@pytest.mark.parametrize("name", ["tan", "sinh", "cosh", "log2", "log10", "reciprocal"])
def test_one_input_nodes_as_torch_to_the_second_derivative(name):
    x = np.random.default_rng(7).uniform(0.3, 1.2, (2, 3))
    compare_with_torch(lambda L, a: getattr(L, name)(a), [x])
    assert gradgradcheck(lambda a: getattr(cg, name)(a), [cg.tensor(x, requires_grad=True)])
    assert type(getattr(cg, name)(cg.tensor(x, requires_grad=True)).grad_fn).__name__ == \
        type(getattr(torch, name)(torch.tensor(x, requires_grad=True)).grad_fn).__name__


@pytest.mark.parametrize("kw", [{}, {"p": "fro"}, {"p": 1, "dim": 1}, {"p": float("inf")}, {"p": 3, "dim": 0},
                                {"p": "nuc"}, {"dim": 1, "keepdim": True}])
def test_norm_as_torch(kw):
    compare_with_torch(lambda L, a: a.norm(**kw), [A])
