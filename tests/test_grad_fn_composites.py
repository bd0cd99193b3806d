"""soft_margin_loss, multi_margin_loss, multilabel_margin_loss, pdist, channel_shuffle and embedding_bag record one
node each, as torch does: the same node names and next_functions walked down to the leaves (AccumulateGrad at
leaves, None for an input that needs no gradient), the same values and gradients as torch, gradients equal to
finite differences, and second derivatives equal to torch's where torch has them (to finite differences where
torch has none)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import compare_with_torch, leaves
from test_grad_fn_graphs import graph, show


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def signs(*shape, seed=3):
    return np.where(np.random.default_rng(seed).standard_normal(shape) > 0, 1.0, -1.0)


CLASSES = np.array([1, 0, 3, 3, 2])
LABELS = np.array([[1, 2, -1, 0], [0, -1, 1, 1], [3, 2, 1, 0], [2, 2, -1, 3], [-1, 0, 1, 2]])
CLASS_WEIGHT = np.array([0.5, 1.5, 1.0, 2.0])
FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0, 7])
OFFSETS = np.array([0, 4, 4, 8])  # an empty bag (4, 4)
W = rnd(10, 3, seed=5)
PSW = np.random.default_rng(6).uniform(0.1, 2, FLAT.shape)
DUPLICATE_ROWS = np.concatenate([rnd(3, 4, seed=7), rnd(1, 4, seed=7)])  # rows 0 and 3 equal: a distance of 0


def _bag(m, w, **kw):
    return m.nn.functional.embedding_bag(m.tensor(FLAT), w, m.tensor(OFFSETS), **kw)


# name -> (fn(lib, *leaves) -> tensor, float arrays that become leaves requiring grad)
CASES = {}
for _r in ("mean", "sum", "none"):
    CASES[f"soft_margin_{_r}"] = (lambda m, x, r=_r: m.nn.functional.soft_margin_loss(
        x, m.tensor(signs(3, 4)), reduction=r), [rnd(3, 4)])
    CASES[f"soft_margin_3d_{_r}"] = (lambda m, x, r=_r: m.nn.functional.soft_margin_loss(
        x, m.tensor(signs(2, 3, 4)), reduction=r), [rnd(2, 3, 4)])
    CASES[f"soft_margin_broadcast_target_{_r}"] = (lambda m, x, r=_r: m.nn.functional.soft_margin_loss(
        x, m.tensor(signs(4)), reduction=r), [rnd(3, 4)])
    CASES[f"multilabel_margin_{_r}"] = (lambda m, x, r=_r: m.nn.functional.multilabel_margin_loss(
        x, m.tensor(LABELS), reduction=r), [rnd(5, 4)])
    CASES[f"multilabel_margin_1d_{_r}"] = (lambda m, x, r=_r: m.nn.functional.multilabel_margin_loss(
        x, m.tensor(LABELS[3]), reduction=r), [rnd(4)])
    CASES[f"multi_margin_1d_{_r}"] = (lambda m, x, r=_r: m.nn.functional.multi_margin_loss(
        x, m.tensor([2]), reduction=r), [rnd(4)])
    CASES[f"multi_margin_1d_scalar_target_p2_{_r}"] = (lambda m, x, r=_r: m.nn.functional.multi_margin_loss(
        x, m.tensor(1), p=2, reduction=r), [rnd(4)])
    for _p in (1, 2):
        CASES[f"multi_margin_p{_p}_{_r}"] = (lambda m, x, r=_r, p=_p: m.nn.functional.multi_margin_loss(
            x, m.tensor(CLASSES), p=p, reduction=r), [rnd(5, 4)])
        CASES[f"multi_margin_p{_p}_margin_weight_{_r}"] = (lambda m, x, r=_r, p=_p: m.nn.functional.multi_margin_loss(
            x, m.tensor(CLASSES), p=p, margin=0.7, weight=m.tensor(CLASS_WEIGHT, dtype=x.dtype), reduction=r),
            [rnd(5, 4)])
CASES["nn_SoftMarginLoss"] = (lambda m, x: m.nn.SoftMarginLoss(reduction="sum")(x, m.tensor(signs(3, 4))),
                              [rnd(3, 4)])
CASES["nn_MultiMarginLoss"] = (lambda m, x: m.nn.MultiMarginLoss(p=2, margin=1.5)(x, m.tensor(CLASSES)),
                               [rnd(5, 4)])
CASES["nn_MultiLabelMarginLoss"] = (lambda m, x: m.nn.MultiLabelMarginLoss()(x, m.tensor(LABELS)), [rnd(5, 4)])
CASES["multi_margin_of_an_expression"] = (lambda m, x: m.nn.functional.multi_margin_loss(
    x.tanh() * 2, m.tensor(CLASSES)), [rnd(5, 4)])
for _p in (0, 0.5, 1, 1.5, 2, 3, float("inf")):
    CASES[f"pdist_p{_p}"] = (lambda m, x, p=_p: m.nn.functional.pdist(x, p), [rnd(5, 3, seed=2)])
CASES["pdist_two_rows"] = (lambda m, x: m.nn.functional.pdist(x, 2.5), [rnd(2, 6)])
CASES["pdist_one_row"] = (lambda m, x: m.nn.functional.pdist(x), [rnd(1, 3)])
CASES["pdist_of_an_expression"] = (lambda m, x: m.nn.functional.pdist(x * 2 + 1), [rnd(4, 3)])
CASES["channel_shuffle_3d"] = (lambda m, x: m.nn.functional.channel_shuffle(x, 3), [rnd(2, 6, 3)])
CASES["channel_shuffle_4d"] = (lambda m, x: m.nn.functional.channel_shuffle(x, 2), [rnd(2, 6, 2, 3)])
CASES["channel_shuffle_5d_one_group"] = (lambda m, x: m.nn.functional.channel_shuffle(x, 1), [rnd(1, 4, 2, 2, 2)])
CASES["channel_shuffle_as_many_groups_as_channels"] = (lambda m, x: m.nn.functional.channel_shuffle(x, 4),
                                                       [rnd(3, 4, 2)])
CASES["nn_ChannelShuffle"] = (lambda m, x: m.nn.ChannelShuffle(2)(x.exp()), [rnd(2, 4, 3, 3)])
for _mode in ("sum", "mean", "max"):
    CASES[f"embedding_bag_{_mode}"] = (lambda m, w, mode=_mode: _bag(m, w, mode=mode), [W])
    CASES[f"embedding_bag_{_mode}_padding"] = (lambda m, w, mode=_mode: _bag(m, w, mode=mode, padding_idx=4), [W])
    CASES[f"embedding_bag_{_mode}_2d"] = (lambda m, w, mode=_mode: m.nn.functional.embedding_bag(
        m.tensor(FLAT[:8].reshape(2, 4)), w, mode=mode), [W])
    CASES[f"embedding_bag_{_mode}_include_last_offset"] = (lambda m, w, mode=_mode: m.nn.functional.embedding_bag(
        m.tensor(FLAT), w, m.tensor([0, 3, 3, 11]), mode=mode, include_last_offset=True), [W])
CASES["embedding_bag_per_sample_weights"] = (lambda m, w, p: _bag(m, w, mode="sum", per_sample_weights=p),
                                             [W, PSW])
CASES["embedding_bag_per_sample_weights_padding"] = (
    lambda m, w, p: _bag(m, w, mode="sum", per_sample_weights=p, padding_idx=2), [W, PSW])
CASES["embedding_bag_constant_per_sample_weights"] = (
    lambda m, w: _bag(m, w, mode="sum", per_sample_weights=m.tensor(PSW, dtype=w.dtype)), [W])
CASES["embedding_bag_constant_weight"] = (
    lambda m, p: _bag(m, m.tensor(W, dtype=p.dtype), mode="sum", per_sample_weights=p), [PSW])
CASES["embedding_bag_2d_per_sample_weights"] = (lambda m, w, p: m.nn.functional.embedding_bag(
    m.tensor(FLAT[:10].reshape(2, 5)), w, mode="sum", per_sample_weights=p.reshape(2, 5)), [W, PSW[:10]])
CASES["embedding_bag_of_an_expression"] = (lambda m, w: _bag(m, w * 3, mode="max"), [W])

#: where a derivative has a kink at the point, so finite differences do not apply
NO_FINITE_DIFFERENCES = {"pdist_p0"}  # (0 almost everywhere, and torch's 0 at the jumps)
#: torch has no second derivative of these (it raises); chaingrad's is checked against finite differences
TORCH_HAS_SECOND = ("soft_margin", "nn_SoftMarginLoss", "channel_shuffle", "nn_ChannelShuffle")


def _run(lib, name):
    fn, arrays = CASES[name]
    lib.manual_seed(0)
    xs = leaves(arrays, lib)
    return fn(lib, *xs), xs


@pytest.mark.parametrize("name", sorted(CASES))
def test_graph_is_torchs(name):
    results = []
    for lib in (torch, cg):
        out, xs = _run(lib, name)
        results.append((graph(out.grad_fn, xs), out.output_nr))
    theirs, ours = results
    assert ours == theirs, f"torch:     {show(theirs[0])}\nchaingrad: {show(ours[0])}"


def test_the_nodes_carry_torchs_names():
    names = {}
    for lib in (torch, cg):
        names[lib] = [type(_run(lib, n)[0].grad_fn).__name__ for n in
                      ("soft_margin_mean", "multi_margin_p1_sum", "multilabel_margin_none", "pdist_p2",
                       "channel_shuffle_3d", "embedding_bag_max", "embedding_bag_per_sample_weights")]
    assert names[cg] == names[torch] == [
        "SoftMarginLossBackward0", "MultiMarginLossBackward0", "MultilabelMarginLossBackward0", "PdistBackward0",
        "ChannelShuffleBackward0", "EmbeddingBagBackward0", "EmbeddingBagBackward0"]
    out, _ = _run(cg, "embedding_bag_constant_weight")
    assert out.grad_fn.name() == "EmbeddingBagBackward0" and out.grad_fn.next_functions[0] == (None, 0)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_and_gradients_are_torchs(name, dtype):
    fn, arrays = CASES[name]
    compare_with_torch(fn, arrays, dtype=dtype)


def test_pdist_of_equal_rows_has_torchs_zero_gradient():
    for p in (0.5, 1, 1.5, 2, 3, float("inf")):
        compare_with_torch(lambda m, x, p=p: m.nn.functional.pdist(x, p), [DUPLICATE_ROWS])


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_FINITE_DIFFERENCES))
def test_gradcheck(name):
    fn, arrays = CASES[name]
    xs = leaves(arrays, cg)
    assert cg.autograd.gradcheck(lambda *a: fn(cg, *a), xs)


def _second(lib, name, seed=1):
    """d/d(leaves) of sum(r * d(sum(out^2 u))/d(leaves)) for random u and r, and the first gradients' node
    names."""
    out, xs = _run(lib, name)
    rng = np.random.default_rng(seed)
    u = lib.tensor(rng.standard_normal(tuple(out.shape)))
    grads = lib.autograd.grad((out * out * u).sum(), xs, create_graph=True)
    total = sum((g * lib.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in grads)
    names = [type(g.grad_fn).__name__ if g.grad_fn is not None else None for g in grads]
    second = lib.autograd.grad(total, xs, allow_unused=True)
    return names, [None if s is None else s.detach().numpy() for s in second]


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith(TORCH_HAS_SECOND)))
def test_second_derivatives_are_torchs(name):
    (t_names, theirs), (c_names, ours) = _second(torch, name), _second(cg, name)
    for t, c in zip(theirs, ours):
        if t is None:
            assert c is None or not c.any()
        else:
            np.testing.assert_allclose(c, t, rtol=1e-10, atol=1e-12)
    assert c_names == t_names
    if name.startswith(("soft_margin", "channel_shuffle")):
        assert c_names == ["SoftMarginLossBackwardBackward0" if name.startswith("soft") else "ChannelShuffleBackward0"]


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith(TORCH_HAS_SECOND)))
def test_the_graph_of_the_gradient_is_torchs(name):
    """With create_graph=True, the gradient's own graph: SoftMarginLossBackwardBackward0 (edges to the incoming
    gradient and the input), ChannelShuffleBackward0 again."""
    results = []
    for lib in (torch, cg):
        out, xs = _run(lib, name)
        grads = lib.autograd.grad((out * out).sum(), xs, create_graph=True)
        results.append([graph(g.grad_fn, xs) for g in grads])
    theirs, ours = results
    assert ours == theirs, f"torch:     {show(theirs[0])}\nchaingrad: {show(ours[0])}"


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_FINITE_DIFFERENCES))
def test_second_derivatives_equal_finite_differences(name):
    fn, arrays = CASES[name]
    xs = leaves(arrays, cg)
    assert cg.autograd.gradgradcheck(lambda *a: fn(cg, *a), xs)


@pytest.mark.parametrize("name", ["multi_margin_p2_mean", "multilabel_margin_mean", "pdist_p3", "embedding_bag_sum"])
def test_torch_has_no_second_derivative_of_the_others(name):
    """(so that the second derivatives above are compared with finite differences only)"""
    out, xs = _run(torch, name)
    grads = torch.autograd.grad((out * out).sum(), xs, create_graph=True)
    with pytest.raises((RuntimeError, NotImplementedError), match="not implemented"):
        torch.autograd.grad(sum(g.sum() for g in grads), xs)


def test_backward_through_the_nodes_twice_needs_retain_graph():
    for name in ("soft_margin_mean", "multi_margin_p2_sum", "pdist_p2", "embedding_bag_per_sample_weights"):
        out, _ = _run(cg, name)
        out.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out.sum().backward()


def test_pdist_inf_gives_every_tied_entry_the_gradient_as_torch():
    ties = np.array([[0.0, 0.0, 0.5], [1.0, -1.0, 0.0], [2.0, 1.0, 1.0]])  # |d| ties within rows 0-1 and 1-2
    compare_with_torch(lambda m, x: m.nn.functional.pdist(x, float("inf")), [ties])


EDGES = [  # (no empty batch of multi_margin_loss: torch's result is whatever its output's memory held)
    "F.multilabel_margin_loss(m.zeros(0, 3, requires_grad=True), m.zeros(0, 3, dtype=m.int64), reduction='none')",
    "F.soft_margin_loss(m.zeros(0, requires_grad=True), m.zeros(0))",
    "F.pdist(m.zeros(3, 0, requires_grad=True))",
    "F.embedding_bag(m.tensor([], dtype=m.int64), w, m.tensor([0, 0]), mode='mean')",
    "F.embedding_bag(m.tensor([2, 2]), w, m.tensor([0, 1]), mode='max', padding_idx=2)",
    "F.embedding_bag(m.tensor([1, 2, 3], dtype=m.int32), w, m.tensor([0, 1], dtype=m.int32), mode='sum')",
]


#: torch's backward fails on these (pdist: a crash; channel_shuffle: it divides the channels by 0 groups): values only
EDGES_FORWARD = ["F.pdist(m.zeros(0, 3, requires_grad=True))",
                 "F.channel_shuffle(m.zeros(2, 0, 3, requires_grad=True), 2)"]


@pytest.mark.parametrize("expr", EDGES + EDGES_FORWARD)
def test_empty_inputs_and_int32_indices_as_torch(expr):
    results = []
    for m in (torch, cg):
        w = m.tensor(W, requires_grad=True)
        out = eval(expr, {"F": m.nn.functional, "m": m, "w": w})  # noqa: S307 - the tests' own expressions
        if expr in EDGES:
            out.sum().backward()
        results.append((type(out.grad_fn).__name__, tuple(out.shape), out.detach().numpy(), w.grad))
    (t_name, t_shape, t_out, t_grad), (c_name, c_shape, c_out, c_grad) = results
    assert c_name == t_name and c_shape == t_shape
    np.testing.assert_allclose(c_out, t_out)
    assert (c_grad is None) == (t_grad is None)
    if t_grad is not None:
        np.testing.assert_allclose(c_grad.numpy(), t_grad.numpy())


def _step(W, X, Z, P, idx, offsets, signs, classes, labels):
    F = cg.nn.functional
    loss = (F.soft_margin_loss(X, signs) + F.multi_margin_loss(X, classes, p=2, margin=0.5)
            + F.multilabel_margin_loss(X, labels) + F.pdist(X, 3).sum() + F.channel_shuffle(Z, 3).square().sum()
            + F.embedding_bag(idx, W, offsets, mode="max").sum()
            + F.embedding_bag(idx, W, offsets, mode="sum", per_sample_weights=P).square().sum())
    loss.backward()
    return loss


def test_compiled_replays_read_the_targets_and_indices_of_each_call():
    rng = np.random.default_rng(4)
    params = [cg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((10, 3), (5, 4), (2, 6, 3), (8,))]
    compiled = cg.compile(_step, fullgraph=True)
    for call in range(3):
        r = np.random.default_rng(call)
        labels = np.where(r.random((5, 4)) < 0.3, -1, r.integers(0, 4, (5, 4)))
        data = [cg.tensor(r.integers(0, 10, 8)), cg.tensor([0, 3, 3 + call]), cg.tensor(signs(5, 4, seed=call)),
                cg.tensor(r.integers(0, 4, 5)), cg.tensor(labels)]
        results = []
        for fn in (compiled, _step):
            for p in params:
                p.grad = None
            loss = fn(*params, *data)
            results.append((loss.item(), [p.grad.numpy().copy() for p in params]))
        assert results[0][0] == results[1][0]
        for a, b in zip(results[0][1], results[1][1]):
            np.testing.assert_array_equal(a, b)
    assert "def " in compiled.code
    with pytest.raises(RuntimeError, match="target out of range"):
        compiled(*params, *data[:3], cg.tensor([0, 1, 2, 3, 4]), data[4])
