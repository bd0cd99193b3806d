"""Adamax, NAdam, RAdam, Adadelta and LBFGS against torch: the same parameters after many steps in float64
(every option combination), float32 close, state dicts with torch's structure that load both ways and
continue identically, and torch's ValueError texts for bad hyper-parameters."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import chaingrad

STEPS = 40


def _grid(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


def _problem(dtype=np.float64, steps=STEPS):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    x = rng.standard_normal((STEPS, 8, 4)).astype(dtype)
    y = rng.standard_normal((STEPS, 8, 3)).astype(dtype)
    return w, b, x[:steps], y[:steps]


def _loss(lib, w, b, x, y):
    return ((lib.tensor(x) @ w + b - lib.tensor(y)) ** 2).mean() + (w ** 4).sum() * 0.01


def _run(lib, make, dtype=np.float64, steps=STEPS, start=None):
    w0, b0, xs, ys = _problem(dtype, steps)
    w = lib.tensor(w0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    opt = make(lib, [w, b])
    if start is not None:
        start(opt)
    for x, y in zip(xs, ys):
        opt.zero_grad()
        _loss(lib, w, b, x, y).backward()
        opt.step()
    return w.detach().numpy(), b.detach().numpy(), opt


CASES = (
    [("Adamax", dict(lr=0.02, **o)) for o in _grid(betas=[(0.9, 0.999), (0.5, 0.8)], eps=[1e-8, 1e-2],
                                                  weight_decay=[0, 0.1], maximize=[False, True])]
    + [("NAdam", dict(lr=0.02, **o)) for o in _grid(betas=[(0.9, 0.999), (0.6, 0.9)], weight_decay=[0, 0.1],
                                                   momentum_decay=[4e-3, 0.1],
                                                   decoupled_weight_decay=[False, True], maximize=[False, True])]
    + [("RAdam", dict(lr=0.02, **o)) for o in _grid(betas=[(0.9, 0.999), (0.5, 0.6)], weight_decay=[0, 0.1],
                                                   decoupled_weight_decay=[False, True], maximize=[False, True],
                                                   eps=[1e-8, 1e-3])]
    + [("Adadelta", dict(**o)) for o in _grid(lr=[1.0, 0.3], rho=[0.9, 0.5, 1.0], eps=[1e-6, 1e-2],
                                              weight_decay=[0, 0.1], maximize=[False, True])]
)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_matches_torch_after_many_steps_float64(name, kwargs):
    def make(lib, params):
        return getattr(lib.optim, name)(params, **kwargs)

    w, b, _ = _run(chaingrad, make)
    tw, tb, _ = _run(torch, make)
    np.testing.assert_allclose(w, tw, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(b, tb, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", ["Adamax", "NAdam", "RAdam", "Adadelta"])
def test_defaults_and_param_groups_equal_torchs(name):
    ours = getattr(chaingrad.optim, name)([chaingrad.zeros(2, requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert ours.defaults == theirs.defaults
    assert list(ours.param_groups[0]) == list(theirs.param_groups[0])


@pytest.mark.parametrize("name,kwargs", [("Adamax", dict(lr=0.05)), ("NAdam", dict(lr=0.05)),
                                         ("RAdam", dict(lr=0.05)), ("Adadelta", dict(lr=0.5))])
def test_float32_stays_float32_and_is_close_to_torch(name, kwargs):
    def make(lib, params):
        return getattr(lib.optim, name)(params, **kwargs)

    w, b, opt = _run(chaingrad, make, dtype=np.float32)
    tw, tb, topt = _run(torch, make, dtype=np.float32)
    assert w.dtype == np.float32
    for state, tstate in zip(opt.state.values(), topt.state.values()):
        for key, value in state.items():
            assert str(value.dtype).split(".")[-1] == str(tstate[key].dtype).split(".")[-1], key
    np.testing.assert_allclose(w, tw, rtol=1e-5, atol=1e-6)


def _to_torch_state(sd):
    def conv(v):
        if isinstance(v, chaingrad.Tensor):
            return torch.tensor(v.numpy())
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v
    return {"state": {i: {k: conv(v) for k, v in s.items()} for i, s in sd["state"].items()},
            "param_groups": sd["param_groups"]}


def _to_chaingrad_state(sd):
    def conv(v):
        if isinstance(v, torch.Tensor):
            return chaingrad.tensor(v.numpy())
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v
    return {"state": {i: {k: conv(v) for k, v in s.items()} for i, s in sd["state"].items()},
            "param_groups": sd["param_groups"]}


def _same_structure(sd, tsd):
    assert sd["param_groups"] == [{**g} for g in tsd["param_groups"]]
    assert set(sd["state"]) == set(tsd["state"])
    for i, s in sd["state"].items():
        assert list(s) == list(tsd["state"][i])
        for key, value in s.items():
            other = tsd["state"][i][key]
            if isinstance(value, chaingrad.Tensor):
                assert isinstance(other, torch.Tensor) and tuple(value.shape) == tuple(other.shape), key
                assert str(value.dtype).split(".")[-1] == str(other.dtype).split(".")[-1], key
                np.testing.assert_allclose(value.numpy(), other.numpy(), rtol=1e-10, atol=1e-13)
            elif isinstance(value, list):
                assert len(value) == len(other), key
            else:
                assert type(value) is type(other) and value == pytest.approx(other, rel=1e-10), key


@pytest.mark.parametrize("name,kwargs", [("Adamax", dict(lr=0.02)), ("NAdam", dict(lr=0.02, weight_decay=0.1)),
                                         ("RAdam", dict(lr=0.02)), ("Adadelta", dict(lr=0.5))])
def test_state_dicts_have_torchs_structure_and_load_both_ways(name, kwargs):
    def make(lib, params):
        return getattr(lib.optim, name)(params, **kwargs)

    _, _, ours = _run(chaingrad, make, steps=10)
    _, _, theirs = _run(torch, make, steps=10)
    _same_structure(ours.state_dict(), theirs.state_dict())
    # torch's state into chaingrad, chaingrad's into torch: both continue as the uninterrupted run
    full, _, _ = _run(torch, make, steps=20)
    for lib, sd in ((chaingrad, _to_chaingrad_state(theirs.state_dict())), (torch, _to_torch_state(ours.state_dict()))):
        w0, b0, xs, ys = _problem(steps=20)
        src = ours if lib is torch else theirs
        w = lib.tensor(np.array(src.param_groups[0]["params"][0].detach().numpy()), requires_grad=True)
        b = lib.tensor(np.array(src.param_groups[0]["params"][1].detach().numpy()), requires_grad=True)
        opt = make(lib, [w, b])
        opt.load_state_dict(sd)
        for x, y in zip(xs[10:], ys[10:]):
            opt.zero_grad()
            _loss(lib, w, b, x, y).backward()
            opt.step()
        np.testing.assert_allclose(w.detach().numpy(), full, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("make,message", [
    (lambda lib, p: lib.optim.Adamax(p, lr=-1), "Invalid learning rate: -1"),
    (lambda lib, p: lib.optim.Adamax(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda lib, p: lib.optim.Adamax(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda lib, p: lib.optim.Adamax(p, betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    (lambda lib, p: lib.optim.Adamax(p, weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    (lambda lib, p: lib.optim.NAdam(p, lr=-0.5), "Invalid learning rate: -0.5"),
    (lambda lib, p: lib.optim.NAdam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda lib, p: lib.optim.NAdam(p, betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
    (lambda lib, p: lib.optim.NAdam(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda lib, p: lib.optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (lambda lib, p: lib.optim.RAdam(p, lr=-1e-3), "Invalid learning rate: -0.001"),
    (lambda lib, p: lib.optim.RAdam(p, eps=-2), "Invalid epsilon value: -2"),
    (lambda lib, p: lib.optim.RAdam(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    (lambda lib, p: lib.optim.RAdam(p, weight_decay=-3), "Invalid weight_decay value: -3"),
    (lambda lib, p: lib.optim.Adadelta(p, lr=-1), "Invalid learning rate: -1"),
    (lambda lib, p: lib.optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
    (lambda lib, p: lib.optim.Adadelta(p, eps=-1), "Invalid epsilon value: -1"),
    (lambda lib, p: lib.optim.Adadelta(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda lib, p: lib.optim.LBFGS(p, lr=-1), "Invalid learning rate: -1"),
    (lambda lib, p: lib.optim.LBFGS([{"params": p[:1]}, {"params": p[1:]}]),
     "LBFGS doesn't support per-parameter options (parameter groups)"),
])
def test_invalid_hyper_parameters_raise_torchs_value_error(make, message):
    for lib in (chaingrad, torch):
        p = [lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)]
        with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
            make(lib, p)


# -- LBFGS -------------------------------------------------------------------------------------------------
def _rosenbrock(x: np.ndarray, m: np.ndarray):
    """Rosenbrock's function of x plus sum(m^4), with its gradient."""
    r = x[1:] - x[:-1] ** 2
    loss = (100 * r ** 2 + (1 - x[:-1]) ** 2).sum() + (m ** 4).sum()
    gx = np.zeros_like(x)
    gx[1:] += 200 * r
    gx[:-1] += -400 * r * x[:-1] - 2 * (1 - x[:-1])
    return loss, gx, 4 * m ** 3


_A = np.random.default_rng(3).standard_normal((6, 4))
_T = np.random.default_rng(4).standard_normal(6)


def _smooth(x: np.ndarray, m: np.ndarray):
    """A well-conditioned smooth problem: |A x - t|^2 / 12 + |x|^2 / 2 + sum(x^4) / 10 + sum(cosh(m - 0.5)),
    with its gradient (rounding differences are not amplified, so both optimizers can be compared tightly)."""
    r = _A @ x - _T
    loss = (r ** 2).sum() / 12 + (x ** 2).sum() / 2 + (x ** 4).sum() / 10 + np.cosh(m - 0.5).sum()
    return loss, _A.T @ r / 6 + x + 0.4 * x ** 3, np.sinh(m - 0.5)


def _lbfgs_run(lib, kwargs, dtype=np.float64, outer=4, problem="rosenbrock"):
    """Several ``step(closure)`` calls; returns parameters, the losses returned, closure calls and state."""
    rng = np.random.default_rng(3)
    x0 = np.array([-1.2, 1.0, 0.5, -0.3], dtype=dtype)
    a = rng.standard_normal((6, 4)).astype(dtype)
    t = rng.standard_normal(6).astype(dtype)
    x = lib.tensor(x0, requires_grad=True)
    m = lib.tensor(np.array([[0.3, -0.1], [0.2, 0.4]], dtype=dtype), requires_grad=True)
    opt = lib.optim.LBFGS([x, m], **kwargs)
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        if problem in ("rosenbrock", "smooth"):  # loss and gradient in NumPy: both see identical numbers
            loss, gx, gm = (_rosenbrock if problem == "rosenbrock" else _smooth)(x.detach().numpy(),
                                                                                 m.detach().numpy())
            x.grad, m.grad = lib.tensor(gx), lib.tensor(gm)
            return lib.tensor(loss)
        loss = ((lib.tensor(a) @ x - lib.tensor(t)) ** 2).mean() + (m * m).sum()
        loss.backward()
        return loss

    losses = [float(opt.step(closure)) for _ in range(outer)]
    return np.concatenate([x.detach().numpy(), m.detach().numpy().ravel()]), losses, calls[0], opt


LBFGS_CASES = _grid(line_search_fn=[None, "strong_wolfe"], history_size=[3, 100], max_iter=[5, 20],
                    max_eval=[None, 7], tolerance_grad=[1e-7, 1e-2], tolerance_change=[1e-9, 1e-3], lr=[1, 0.25])


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=[str(k) for k in LBFGS_CASES])
def test_lbfgs_matches_torch_float64(kwargs):
    ours = _lbfgs_run(chaingrad, kwargs, problem="smooth")
    theirs = _lbfgs_run(torch, kwargs, problem="smooth")
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)
    assert ours[2] == theirs[2]  # the same number of closure evaluations
    s, ts = ours[3].state_dict()["state"][0], theirs[3].state_dict()["state"][0]
    assert s["func_evals"] == ts["func_evals"] and s["n_iter"] == ts["n_iter"]


@pytest.mark.parametrize("kwargs", LBFGS_CASES[::5], ids=[str(k) for k in LBFGS_CASES[::5]])
def test_lbfgs_on_rosenbrock_follows_torch(kwargs):
    """Rosenbrock's valley amplifies last-bit differences of dot products (BLAS summation order) over tens
    of iterations, so after 40 iterations the agreement is 1e-8, not 1e-10; the path is the same."""
    ours = _lbfgs_run(chaingrad, kwargs, outer=2)
    theirs = _lbfgs_run(torch, kwargs, outer=2)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-8, atol=1e-10)
    assert ours[2] == theirs[2]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_on_a_least_squares_problem_and_float32(line_search_fn):
    kwargs = dict(line_search_fn=line_search_fn, history_size=10, max_iter=10)
    ours = _lbfgs_run(chaingrad, kwargs, problem="lsq")
    theirs = _lbfgs_run(torch, kwargs, problem="lsq")
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    ours32 = _lbfgs_run(chaingrad, kwargs, dtype=np.float32, problem="lsq", outer=2)
    theirs32 = _lbfgs_run(torch, kwargs, dtype=np.float32, problem="lsq", outer=2)
    assert ours32[0].dtype == np.float32
    np.testing.assert_allclose(ours32[0], theirs32[0], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_dict_structure_and_resume(line_search_fn):
    kwargs = dict(line_search_fn=line_search_fn, history_size=5, max_iter=4)  # few iterations: 1e-10 holds
    ours = _lbfgs_run(chaingrad, kwargs, outer=2)
    theirs = _lbfgs_run(torch, kwargs, outer=2)
    sd, tsd = ours[3].state_dict(), theirs[3].state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    s, ts = sd["state"][0], tsd["state"][0]
    assert list(s) == list(ts)
    for key in s:
        if isinstance(ts[key], torch.Tensor):
            np.testing.assert_allclose(s[key].numpy(), ts[key].numpy(), rtol=1e-10)
        elif isinstance(ts[key], list):
            assert len(s[key]) == len(ts[key])
            for a, b in zip(s[key], ts[key]):
                assert (a is None) == (b is None)
                if b is not None:
                    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)
        else:
            assert s[key] == pytest.approx(ts[key], rel=1e-10)
    # torch's saved state continues in chaingrad as in torch
    full = _lbfgs_run(torch, kwargs, outer=3)
    x = chaingrad.tensor(theirs[0][:4].copy(), requires_grad=True)
    m = chaingrad.tensor(theirs[0][4:].reshape(2, 2).copy(), requires_grad=True)
    opt = chaingrad.optim.LBFGS([x, m], **kwargs)
    opt.load_state_dict(_to_chaingrad_state(tsd))

    def closure():
        opt.zero_grad()
        loss, gx, gm = _rosenbrock(x.detach().numpy(), m.detach().numpy())
        x.grad, m.grad = chaingrad.tensor(gx), chaingrad.tensor(gm)
        return chaingrad.tensor(loss)

    opt.step(closure)
    np.testing.assert_allclose(np.concatenate([x.detach().numpy(), m.detach().numpy().ravel()]), full[0],
                               rtol=1e-10)


def test_lbfgs_returns_the_first_loss_and_stops_at_an_optimum():
    x = chaingrad.zeros(2, dtype=chaingrad.float64, requires_grad=True)
    opt = chaingrad.optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (x ** 2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, chaingrad.Tensor) and loss.item() == 0.0 and len(calls) == 1
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        chaingrad.optim.LBFGS([x], line_search_fn="armijo").step(closure)
    with pytest.raises(TypeError):
        opt.step()
