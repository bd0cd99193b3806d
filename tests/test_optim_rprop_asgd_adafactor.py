"""Rprop, ASGD and Adafactor against torch: the same seeded gradients fed to both, every parameter and state
value compared after each step (float32 bit-exact for the elementwise updates), state dicts, defaults,
reprs and torch's errors; SparseAdam's checks and its refusal to step on dense gradients."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import chaingrad

STEPS = 25
SHAPES = [(5, 4), (7,), (2, 3, 4)]


def _grid(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


def _run(lib, name, kwargs, dtype, shapes=SHAPES, steps=STEPS):
    """Parameters, and per step every state value, with gradients drawn the same for both libraries."""
    rng = np.random.default_rng(1)
    params = [lib.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]
    opt = getattr(lib.optim, name)(params, **kwargs)
    history = []
    for t in range(steps):
        for p in params:
            g = rng.standard_normal(tuple(p.shape)).astype(dtype)
            if t % 3 == 2:
                g = -g * 0.5  # sign flips for Rprop
            p.grad = lib.tensor(g)
        opt.step()
        snap = [p.detach().numpy().copy() for p in params]
        for i, p in enumerate(params):
            for key, value in sorted(opt.state[p].items()):
                snap.append((i, key, value.detach().numpy().copy()))
        history.append(snap)
    return history, opt


def _compare(ours, theirs, exact, rtol=1e-12, atol=1e-14):
    assert len(ours) == len(theirs)
    for a_step, b_step in zip(ours, theirs):
        assert len(a_step) == len(b_step)
        for a, b in zip(a_step, b_step):
            if isinstance(a, tuple):
                assert a[:2] == b[:2]
                a, b = a[2], b[2]
            assert a.dtype == b.dtype and a.shape == b.shape
            if exact:
                np.testing.assert_array_equal(a, b)
            else:
                np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


RPROP = [dict(**o) for o in _grid(lr=[0.05], etas=[(0.5, 1.2), (0.3, 1.7)],
                                  step_sizes=[(1e-6, 50), (1e-3, 0.05)], maximize=[False, True])]
ASGD = [dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=wd, maximize=mx)
        for (lr, lambd, alpha), (t0, wd, mx) in itertools.product(
            [(0.01, 1e-4, 0.75), (0.3, 0.05, 0.3)], itertools.product([1e6, 5.0], [0, 0.1], [False, True]))]
ADAFACTOR = [dict(lr=lr, beta2_decay=b, eps=eps, d=d, weight_decay=wd, maximize=mx)
             for (lr, b, eps), (d, wd, mx) in itertools.product(
                 [(0.01, -0.8, (None, 1e-3)), (0.5, -0.3, (1e-4, 0.5))],
                 [(1.0, 0.0, False), (3.0, 0.1, False), (1.0, 0.1, True), (3.0, 0.0, True)])]


@pytest.mark.parametrize("kwargs", RPROP)
def test_rprop_float32_exact_and_float64(kwargs):
    for dtype in (np.float32, np.float64):
        _compare(_run(chaingrad, "Rprop", kwargs, dtype)[0], _run(torch, "Rprop", kwargs, dtype)[0], exact=True)


@pytest.mark.parametrize("kwargs", ASGD)
def test_asgd_float32_exact_and_float64_close(kwargs):
    _compare(_run(chaingrad, "ASGD", kwargs, np.float32)[0], _run(torch, "ASGD", kwargs, np.float32)[0], exact=True)
    _compare(_run(chaingrad, "ASGD", kwargs, np.float64)[0], _run(torch, "ASGD", kwargs, np.float64)[0], exact=False)


@pytest.mark.parametrize("kwargs", ADAFACTOR)
def test_adafactor_matches_torch(kwargs):
    # (its norms are reductions, summed in another order than torch's: close, not bit-exact)
    _compare(_run(chaingrad, "Adafactor", kwargs, np.float64)[0], _run(torch, "Adafactor", kwargs, np.float64)[0],
             exact=False, rtol=1e-10, atol=1e-12)
    _compare(_run(chaingrad, "Adafactor", kwargs, np.float32)[0], _run(torch, "Adafactor", kwargs, np.float32)[0],
             exact=False, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name,kwargs", [("Rprop", {}), ("ASGD", {"t0": 3.0}), ("Adafactor", {}),
                                         ("Adafactor", {"lr": torch.tensor(0.02)})])
def test_state_dicts_defaults_reprs_and_loading_both_ways(name, kwargs):
    ckw = {k: chaingrad.tensor(v.item()) if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}
    ours, opt = _run(chaingrad, name, ckw, np.float32, steps=6)
    theirs, topt = _run(torch, name, kwargs, np.float32, steps=6)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"][0].keys() == tsd["param_groups"][0].keys()
    assert {k: v for k, v in sd["param_groups"][0].items() if k != "lr"} == \
        {k: v for k, v in tsd["param_groups"][0].items() if k != "lr"}
    for i in tsd["state"]:
        assert list(sd["state"][i]) == list(tsd["state"][i])
        for key, value in tsd["state"][i].items():
            assert sd["state"][i][key].dtype == chaingrad.float32
            assert tuple(sd["state"][i][key].shape) == tuple(value.shape)
    if not kwargs:
        assert repr(opt) == repr(topt)
        assert opt.defaults == topt.defaults
    # torch's state dict loaded into chaingrad continues as torch does
    rng = np.random.default_rng(5)
    w = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    cparams = [chaingrad.tensor(a, requires_grad=True) for a in w]
    tparams = [torch.tensor(a, requires_grad=True) for a in w]
    c2, t2 = getattr(chaingrad.optim, name)(cparams, **ckw), getattr(torch.optim, name)(tparams, **kwargs)
    torch_sd = {"state": {i: {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in s.items()}
                          for i, s in tsd["state"].items()}, "param_groups": tsd["param_groups"]}
    torch_sd["param_groups"] = [{**g, "lr": float(g["lr"])} for g in tsd["param_groups"]]
    c2.load_state_dict(torch_sd)
    t2.load_state_dict(tsd)
    for _ in range(3):
        g = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
        for p, q, a in zip(cparams, tparams, g):
            p.grad, q.grad = chaingrad.tensor(a), torch.tensor(a)
        c2.step()
        t2.step()
    exact = name != "Adafactor"
    for p, q in zip(cparams, tparams):
        if exact:
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
        else:
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("name,kwargs", [
    ("Rprop", dict(lr=-1.0)), ("Rprop", dict(etas=(1.2, 0.5))), ("Rprop", dict(etas=(0.0, 1.2))),
    ("ASGD", dict(lr=-0.1)), ("ASGD", dict(weight_decay=-1.0)),
    ("Adafactor", dict(lr=-0.1)), ("Adafactor", dict(beta2_decay=0.5)), ("Adafactor", dict(eps=(-1.0, 1e-3))),
    ("Adafactor", dict(eps=(None, -1.0))), ("Adafactor", dict(d=0.5)), ("Adafactor", dict(weight_decay=-1.0)),
    ("SparseAdam", dict(lr=0.0)), ("SparseAdam", dict(eps=0.0)), ("SparseAdam", dict(betas=(1.0, 0.9))),
    ("SparseAdam", dict(betas=(0.9, -0.1))),
])
def test_invalid_hyper_parameters_raise_torchs_errors(name, kwargs):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(chaingrad.optim, name)([chaingrad.zeros(2, requires_grad=True)], **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_sparse_adam_has_torchs_defaults_and_refuses_dense_gradients():
    p, q = chaingrad.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    ours, theirs = chaingrad.optim.SparseAdam([p]), torch.optim.SparseAdam([q])
    assert ours.defaults == theirs.defaults and repr(ours) == repr(theirs)
    ours.step()  # no gradients: nothing to do
    p.grad, q.grad = chaingrad.ones(3), torch.ones(3)
    with pytest.raises(RuntimeError, match="does not support dense gradients"):
        theirs.step()
    with pytest.raises(NotImplementedError, match="does not support dense gradients, please consider Adam"):
        ours.step()


def test_new_optimizers_train_a_model_as_torch():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((16, 3)).astype(np.float32), rng.standard_normal((16, 1)).astype(np.float32)
    for name in ("Rprop", "ASGD", "Adafactor"):
        results = []
        for lib in (chaingrad, torch):
            lib.manual_seed(0)
            model = lib.nn.Linear(3, 1)
            opt = getattr(lib.optim, name)(model.parameters())
            for _ in range(10):
                opt.zero_grad()
                loss = ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
                loss.backward()
                opt.step()
            results.append(model.weight.detach().numpy())
        np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)
