"""``copy.copy`` and ``copy.deepcopy`` of tensors, Parameters, Modules and optimizers behave as torch's
(matplotlib's ``plt.plot(tensor)`` copies its data; training loops keep the best model with deepcopy);
pickling a tensor stays refused (nothing runs code on load)."""

from __future__ import annotations

import copy
import pickle

import matplotlib
import numpy as np
import pytest
import torch

import chaingrad

matplotlib.use("Agg")


@pytest.mark.parametrize("lib", [chaingrad, torch], ids=["chaingrad", "torch"])
def test_copy_shares_memory_keeps_requires_grad_and_drops_grad(lib):
    a = lib.ones(3, requires_grad=True)
    a.grad = lib.ones(3)
    b = copy.copy(a)
    assert b is not a and b.requires_grad and b.is_leaf and b.grad is None
    with lib.no_grad():
        b[0] = 5
    assert a.tolist() == [5.0, 1.0, 1.0]
    y = a * 2
    c = copy.copy(y)  # torch: a leaf that requires grad, sharing y's memory
    assert c.grad_fn is None and c.requires_grad and c.tolist() == y.tolist()
    p = lib.nn.Parameter(lib.ones(2))
    q = copy.copy(p)
    assert type(q) is type(p) and q.requires_grad
    with lib.no_grad():
        q[1] = 3
    assert p.tolist() == [1.0, 3.0]


@pytest.mark.parametrize("lib", [chaingrad, torch], ids=["chaingrad", "torch"])
def test_deepcopy_copies_memory_grad_and_keeps_views_views(lib):
    a = lib.ones(3, requires_grad=True)
    a.grad = lib.full((3,), 2.0)
    d = copy.deepcopy(a)
    assert d.requires_grad and d.grad.tolist() == [2.0, 2.0, 2.0]
    with lib.no_grad():
        d[0] = 7
        d.grad[0] = 9
    assert a.tolist() == [1.0, 1.0, 1.0] and a.grad.tolist() == [2.0, 2.0, 2.0]
    t = lib.arange(6.0).reshape(2, 3)
    v = t[0]
    t2, v2 = copy.deepcopy([t, v])
    t2[0, 0] = 100
    assert v2.tolist() == [100.0, 1.0, 2.0] and t.tolist()[0] == [0.0, 1.0, 2.0]
    p = lib.nn.Parameter(lib.ones(2))
    assert type(copy.deepcopy(p)) is type(p)
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(a * 2)


@pytest.mark.parametrize("lib", [chaingrad, torch], ids=["chaingrad", "torch"])
def test_deepcopy_of_a_parameter_or_module_drops_the_grad(lib):
    # the transfer-learning pattern: copy a trained model, freeze it; its frozen weights have no grad
    m = lib.nn.Linear(2, 2)
    m(lib.ones(1, 2)).sum().backward()
    assert m.weight.grad is not None
    deep = copy.deepcopy(m)
    assert deep.weight.grad is None and deep.bias.grad is None and deep.weight.requires_grad
    p = lib.nn.Parameter(lib.ones(2), requires_grad=False)
    p.grad = lib.ones(2)
    q = copy.deepcopy(p)
    assert type(q) is type(p) and q.grad is None and not q.requires_grad and q.tolist() == [1.0, 1.0]


def test_deepcopy_of_a_module_is_independent_and_copy_shares():
    m = chaingrad.nn.Sequential(chaingrad.nn.Linear(3, 4), chaingrad.nn.BatchNorm1d(4), chaingrad.nn.Linear(4, 1))
    shallow = copy.copy(m)
    assert shallow[0].weight is m[0].weight and shallow._modules is m._modules  # as torch
    deep = copy.deepcopy(m)
    for (name, p), (name2, q) in zip(m.state_dict().items(), deep.state_dict().items()):
        assert name == name2 and np.array_equal(p.numpy(), q.numpy()) and p._data is not q._data
    assert deep[0].weight is not m[0].weight and isinstance(deep[0].weight, chaingrad.nn.Parameter)
    with chaingrad.no_grad():
        deep[0].weight.fill_(0.0)
    assert m[0].weight.abs().sum().item() > 0


def test_tied_weights_stay_tied_in_a_deepcopy():
    emb = chaingrad.nn.Embedding(5, 3)
    out = chaingrad.nn.Linear(3, 5, bias=False)
    out.weight = emb.weight
    pair = copy.deepcopy(chaingrad.nn.ModuleList([emb, out]))
    assert pair[0].weight is pair[1].weight and pair[0].weight is not emb.weight


def test_buffers_keep_persistence_through_copies():
    b = chaingrad.nn.Buffer(chaingrad.ones(2), persistent=False)
    assert copy.copy(b).persistent is False and copy.deepcopy(b).persistent is False


def _train(lib, steps_before: int, steps_after: int):
    """Keep the best model with deepcopy, train on, then load it back: the torch tutorials' pattern."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((16, 3)))
    y = lib.tensor(rng.standard_normal((16, 1)))
    lib.manual_seed(0)
    model = lib.nn.Linear(3, 1).double()
    with lib.no_grad():
        model.weight.copy_(lib.tensor([[0.1, -0.2, 0.3]], dtype=lib.float64))
        model.bias.fill_(0.05)
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps_before):
        opt.zero_grad()
        lib.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    best_model = copy.deepcopy(model)
    best_opt = copy.deepcopy(opt)
    best_weights = copy.deepcopy(model.state_dict())
    for _ in range(steps_after):
        opt.zero_grad()
        lib.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    moved = model.weight.detach().numpy().copy()
    model.load_state_dict(best_weights)
    return best_model.weight.detach().numpy(), model.weight.detach().numpy(), moved, best_opt


def test_best_model_pattern_matches_torch():
    ours = _train(chaingrad, 5, 7)
    theirs = _train(torch, 5, 7)
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_array_equal(ours[0], ours[1])
    assert not np.array_equal(ours[1], ours[2])
    best_opt = ours[3]
    buf = next(iter(best_opt.state.values()))["momentum_buffer"]
    tbuf = next(iter(theirs[3].state.values()))["momentum_buffer"]
    np.testing.assert_allclose(buf.numpy(), tbuf.numpy(), rtol=1e-12)


def test_deepcopy_of_model_and_optimizer_together_keeps_them_connected():
    m = chaingrad.nn.Linear(2, 1)
    opt = chaingrad.optim.Adam(m.parameters(), lr=0.1)
    m(chaingrad.ones(1, 2)).sum().backward()
    opt.step()
    m2, opt2 = copy.deepcopy((m, opt))
    assert opt2.param_groups[0]["params"][0] is m2.weight
    assert set(map(id, opt2.state)) == {id(m2.weight), id(m2.bias)}
    before = m.weight.detach().numpy().copy()
    m2(chaingrad.ones(1, 2)).sum().backward()
    opt2.step()
    np.testing.assert_array_equal(m.weight.detach().numpy(), before)
    shallow = copy.copy(opt)
    assert shallow.state is opt.state and shallow.param_groups is opt.param_groups  # as torch


def test_matplotlib_plots_tensors():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    x = chaingrad.arange(5.0)
    (line,) = ax.plot(x, x ** 2)
    (line2,) = ax.plot(chaingrad.tensor([3.0, 1.0, 2.0]))
    ax.scatter(x, x)
    ax.hist(chaingrad.linspace(0, 1, 20))
    ax.imshow(chaingrad.ones(3, 3))
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(line.get_ydata(), [0, 1, 4, 9, 16])
    np.testing.assert_array_equal(line2.get_ydata(), [3, 1, 2])
    w = chaingrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):  # as torch: detach a tensor that requires grad first
        ax.plot(w * 2)
    plt.close(fig)


def test_pickling_a_tensor_stays_refused():
    with pytest.raises(TypeError, match="chaingrad.save"):
        pickle.dumps(chaingrad.ones(2))
