"""Optimizers: same weights, data and gradients as torch -> same parameters after 20 steps (float64, tight),
for every optimizer and option combination; torch's errors for bad hyper-parameters; state dicts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import chaingrad
from chaingrad import optim

STEPS = 20


def _problem(seed: int = 0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((4, 3)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    x = rng.standard_normal((STEPS, 8, 4)).astype(dtype)
    y = rng.standard_normal((STEPS, 8, 3)).astype(dtype)
    return w, b, x, y


def _run_chaingrad(make_opt, dtype=np.float64, closure=False):
    w0, b0, xs, ys = _problem(dtype=dtype)
    w = chaingrad.tensor(w0, requires_grad=True)
    b = chaingrad.tensor(b0, requires_grad=True)
    opt = make_opt(chaingrad, [w, b])
    for x, y in zip(xs, ys):
        def loss_fn(x=x, y=y):
            opt.zero_grad()
            loss = ((chaingrad.tensor(x) @ w + b - chaingrad.tensor(y)) ** 2).mean() + (w ** 4).sum() * 0.01
            loss.backward()
            return loss
        if closure:
            opt.step(loss_fn)
        else:
            loss_fn()
            opt.step()
    return w.detach().numpy(), b.detach().numpy(), opt


def _run_torch(make_opt, dtype=np.float64):
    w0, b0, xs, ys = _problem(dtype=dtype)
    w = torch.tensor(w0, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)
    opt = make_opt(torch, [w, b])
    for x, y in zip(xs, ys):
        opt.zero_grad()
        loss = ((torch.tensor(x) @ w + b - torch.tensor(y)) ** 2).mean() + (w ** 4).sum() * 0.01
        loss.backward()
        opt.step()
    return w.detach().numpy(), b.detach().numpy(), opt


def _grid(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


CASES = (
    [("SGD", dict(lr=0.05, **o)) for o in _grid(momentum=[0, 0.9], dampening=[0, 0.3], weight_decay=[0, 0.1],
                                               nesterov=[False, True], maximize=[False, True])
     if not (o["nesterov"] and (o["momentum"] == 0 or o["dampening"] != 0))]
    + [("Adam", dict(lr=0.02, **o)) for o in _grid(amsgrad=[False, True], weight_decay=[0, 0.1],
                                                  maximize=[False, True], betas=[(0.9, 0.999), (0.5, 0.9)])]
    + [("Adam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True))]
    + [("AdamW", dict(lr=0.02, **o)) for o in _grid(amsgrad=[False, True], weight_decay=[0, 0.01, 0.3],
                                                   maximize=[False, True])]
    + [("RMSprop", dict(lr=0.01, **o)) for o in _grid(alpha=[0.99, 0.5], momentum=[0, 0.9], centered=[False, True],
                                                     weight_decay=[0, 0.1], maximize=[False, True])]
    + [("Adagrad", dict(lr=0.1, **o)) for o in _grid(lr_decay=[0, 0.05], weight_decay=[0, 0.1],
                                                    initial_accumulator_value=[0, 0.5], eps=[1e-10, 1e-3],
                                                    maximize=[False, True])]
)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_matches_torch_after_20_steps_float64(name, kwargs):
    def make(lib, params):
        return getattr(lib.optim, name)(params, **kwargs)

    w, b, _ = _run_chaingrad(make)
    tw, tb, _ = _run_torch(make)
    np.testing.assert_allclose(w, tw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b, tb, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", dict(lr=0.02)),
                                         ("AdamW", dict(lr=0.02)), ("RMSprop", dict(lr=0.01, centered=True)),
                                         ("Adagrad", dict(lr=0.1))])
def test_float32_stays_float32_and_is_close_to_torch(name, kwargs):
    def make(lib, params):
        return getattr(lib.optim, name)(params, **kwargs)

    w, b, opt = _run_chaingrad(make, dtype=np.float32)
    tw, tb, _ = _run_torch(make, dtype=np.float32)
    assert w.dtype == np.float32 and b.dtype == np.float32
    for state in opt.state.values():
        for key, value in state.items():
            if key != "step":
                assert value.dtype == chaingrad.float32, key
    np.testing.assert_allclose(w, tw, rtol=1e-4, atol=1e-5)


def test_step_with_closure_returns_the_loss_and_matches_plain_steps():
    def make(lib, params):
        return lib.optim.SGD(params, lr=0.05, momentum=0.9)

    w1, b1, _ = _run_chaingrad(make, closure=True)
    w2, b2, _ = _run_chaingrad(make)
    np.testing.assert_array_equal(w1, w2)
    p = chaingrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p ** 2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 5.0


@pytest.mark.parametrize("make,message", [
    (lambda lib, p: lib.optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda lib, p: lib.optim.SGD(p, lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda lib, p: lib.optim.SGD(p, lr=0.1, nesterov=True),
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda lib, p: lib.optim.Adam(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda lib, p: lib.optim.Adam(p, eps=-1), "Invalid epsilon value: -1"),
    (lambda lib, p: lib.optim.Adam(p, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda lib, p: lib.optim.AdamW(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda lib, p: lib.optim.Adam(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda lib, p: lib.optim.RMSprop(p, alpha=-1), "Invalid alpha value: -1"),
    (lambda lib, p: lib.optim.RMSprop(p, momentum=-1), "Invalid momentum value: -1"),
    (lambda lib, p: lib.optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda lib, p: lib.optim.Adagrad(p, initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
])
def test_invalid_hyper_parameters_raise_torchs_value_error(make, message):
    for lib in (chaingrad, torch):  # the same exception and message under torch
        p = [lib.zeros(2, requires_grad=True)]
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            make(lib, p)


def test_bad_parameter_lists_raise():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(chaingrad.zeros(2, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([1.0], lr=0.1)
    x = chaingrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([x * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [x]}, {"params": [x]}], lr=0.1)


def test_param_groups_defaults_and_add_param_group():
    a = chaingrad.zeros(2, requires_grad=True)
    b = chaingrad.zeros(3, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["params"] == [b]
    c = chaingrad.zeros(1, requires_grad=True)
    opt.add_param_group({"params": [c], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    assert "Parameter Group 1" in repr(opt) and "lr: 0.5" in repr(opt)


def test_named_parameters_are_accepted():
    a = chaingrad.ones(2, requires_grad=True)
    opt = optim.SGD([("a", a)], lr=0.5)
    (a * a).sum().backward()
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.0, 0.0])


def test_zero_grad_sets_none_by_default_or_zeros():
    p = chaingrad.ones(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(3))
    opt.zero_grad()
    assert p.grad is None


def test_parameters_without_gradient_are_left_alone():
    a = chaingrad.ones(2, requires_grad=True)
    b = chaingrad.ones(2, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * 3).sum().backward()
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), [1.0, 1.0])
    assert b not in opt.state and a in opt.state


def test_update_is_in_place_and_bumps_the_version():
    p = chaingrad.ones(2, requires_grad=True)
    array = p.detach().numpy()
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    version = p._version[0]
    opt.step()
    assert p.detach().numpy() is array and p._version[0] == version + 1


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1, amsgrad=True)),
                                         ("RMSprop", dict(lr=0.1, momentum=0.5, centered=True)),
                                         ("Adagrad", dict(lr=0.1))])
def test_state_dict_has_torchs_structure_and_round_trips(name, kwargs):
    def make(lib, params):
        return getattr(lib.optim, name)(params, **kwargs)

    _, _, ours = _run_chaingrad(make)
    _, _, theirs = _run_torch(make)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"] == [0, 1]
    assert set(sd["param_groups"][0]) == set(tsd["param_groups"][0])
    assert set(sd["state"]) == set(tsd["state"])
    for i in sd["state"]:
        assert set(sd["state"][i]) == set(tsd["state"][i])
        for key, value in sd["state"][i].items():
            np.testing.assert_allclose(value.numpy(), tsd["state"][i][key].numpy(), rtol=1e-10, atol=1e-12)


def test_torch_optimizer_state_loads_and_continues_identically():
    """A torch state dict converted with .numpy() continues exactly like torch's own optimizer."""
    def make(lib, params):
        return lib.optim.Adam(params, lr=0.02, amsgrad=True)

    _, _, theirs = _run_torch(make)
    tsd = theirs.state_dict()
    converted = {"state": {i: {k: chaingrad.tensor(v.numpy()) for k, v in s.items()} for i, s in tsd["state"].items()},
                 "param_groups": tsd["param_groups"]}
    tw = [p.detach().numpy().copy() for p in theirs.param_groups[0]["params"]]
    params = [chaingrad.tensor(a, requires_grad=True) for a in tw]
    ours = optim.Adam(params, lr=0.5)
    ours.load_state_dict(converted)
    assert ours.param_groups[0]["lr"] == 0.02 and ours.param_groups[0]["params"][0] is params[0]
    g = np.linspace(-1, 1, 12).reshape(4, 3)
    params[0].grad = chaingrad.tensor(g)
    tparams = theirs.param_groups[0]["params"]
    tparams[0].grad = torch.tensor(g)
    tparams[1].grad = None
    ours.step()
    theirs.step()
    np.testing.assert_allclose(params[0].detach().numpy(), tparams[0].detach().numpy(), rtol=1e-12)


def test_load_state_dict_resumes_exactly_and_checks_group_sizes():
    def make(lib, params):
        return lib.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True)

    w_full, _, _ = _run_chaingrad(make)
    # run 10 steps, move parameters and optimizer state into fresh objects, run 10 more
    w0, b0, xs, ys = _problem()
    w = chaingrad.tensor(w0, requires_grad=True)
    b = chaingrad.tensor(b0, requires_grad=True)
    opt = make(chaingrad, [w, b])
    for i, (x, y) in enumerate(zip(xs, ys)):
        if i == 10:
            sd = opt.state_dict()
            w = chaingrad.tensor(w.detach().numpy(), requires_grad=True)
            b = chaingrad.tensor(b.detach().numpy(), requires_grad=True)
            opt = make(chaingrad, [w, b])
            opt.load_state_dict(sd)
        opt.zero_grad()
        loss = ((chaingrad.tensor(x) @ w + b - chaingrad.tensor(y)) ** 2).mean() + (w ** 4).sum() * 0.01
        loss.backward()
        opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), w_full)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [w]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([w], lr=0.1).load_state_dict(sd)


def test_load_state_dict_casts_state_to_the_parameter_dtype():
    p64 = chaingrad.ones(2, dtype=chaingrad.float64, requires_grad=True)
    opt = optim.Adam([p64], lr=0.1)
    (p64 * p64).sum().backward()
    opt.step()
    p32 = chaingrad.ones(2, requires_grad=True)
    opt32 = optim.Adam([p32], lr=0.1)
    opt32.load_state_dict(opt.state_dict())
    state = opt32.state[p32]
    assert state["exp_avg"].dtype == chaingrad.float32 and state["step"].dtype == chaingrad.float32
    assert state["exp_avg"] is not opt.state[p64]["exp_avg"]
