"""CyclicLR (every mode, custom scale functions, momentum and beta1 cycling), MultiplicativeLR, PolynomialLR
and ChainedScheduler against torch: the same learning rates and momenta at every step (exactly), the same
state dicts, loading, and torch's warnings about the call order, the epoch argument and get_lr()."""

from __future__ import annotations

import warnings

import pytest
import torch

import chaingrad


def _scale_fn(x):
    return 1 / (1.0 + x)


class Scale:  # a callable object: its attributes go into the state dict
    def __init__(self):
        self.k = 0.7

    def __call__(self, x):
        return self.k ** x


def _make(lib, name, kwargs, opt_name="SGD", groups=2):
    params = [lib.zeros(2, requires_grad=True) for _ in range(groups)]
    opt_kwargs = dict(lr=0.1, momentum=0.9) if opt_name == "SGD" else dict(lr=0.1)
    opt = getattr(lib.optim, opt_name)([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)],
                                       **opt_kwargs)
    kwargs = {k: (v() if isinstance(v, type) else v) for k, v in kwargs.items()}
    return opt, getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)


def _trace(lib, name, kwargs, steps=30, opt_name="SGD"):
    opt, sched = _make(lib, name, kwargs, opt_name)
    out = [(list(sched.get_last_lr()), [(g.get("momentum"), g.get("betas")) for g in opt.param_groups])]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append((list(sched.get_last_lr()), [(g.get("momentum"), g.get("betas")) for g in opt.param_groups]))
        assert [g["lr"] for g in opt.param_groups] == out[-1][0]
    return out, opt, sched


CYCLIC = [
    dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3, step_size_down=5, mode="triangular2"),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range", gamma=0.9),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=_scale_fn),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=_scale_fn, scale_mode="iterations"),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=Scale),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=3, base_momentum=[0.5, 0.6], max_momentum=0.95),
]
CASES = ([("CyclicLR", k, "SGD") for k in CYCLIC] + [("CyclicLR", CYCLIC[1], "Adam"), ("CyclicLR", CYCLIC[2], "AdamW")]
         + [("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95), "SGD"),
            ("MultiplicativeLR", dict(lr_lambda=[lambda e: 0.9, lambda e: 1.0 - 0.01 * e]), "SGD"),
            ("PolynomialLR", dict(), "SGD"), ("PolynomialLR", dict(total_iters=12, power=2.0), "SGD"),
            ("PolynomialLR", dict(total_iters=7, power=0.5), "Adam")])


@pytest.mark.parametrize("name,kwargs,opt_name", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_learning_rates_and_momenta_equal_torchs_at_every_step(name, kwargs, opt_name):
    ours, opt, sched = _trace(chaingrad, name, kwargs, opt_name=opt_name)
    theirs, topt, tsched = _trace(torch, name, kwargs, opt_name=opt_name)
    assert ours == theirs
    sd, tsd = sched.state_dict(), tsched.state_dict()
    assert sorted(sd) == sorted(tsd)
    for key, value in tsd.items():
        if key not in ("_scale_fn_ref",):
            assert sd[key] == value, key
    assert sorted(opt.param_groups[0]) == sorted(topt.param_groups[0])


def test_state_dict_loads_and_continues_as_torch():
    kwargs = dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=Scale)
    _, _, sched = _trace(chaingrad, "CyclicLR", kwargs, steps=7)
    _, _, tsched = _trace(torch, "CyclicLR", kwargs, steps=7)
    sd, tsd = sched.state_dict(), tsched.state_dict()
    sd["_scale_fn_custom"]["k"] = tsd["_scale_fn_custom"]["k"] = 0.5
    opt, fresh = _make(chaingrad, "CyclicLR", kwargs)
    topt, tfresh = _make(torch, "CyclicLR", kwargs)
    fresh.load_state_dict(sd)
    tfresh.load_state_dict(tsd)
    assert fresh._scale_fn_custom.k == 0.5
    for _ in range(6):
        opt.step()
        topt.step()
        fresh.step()
        tfresh.step()
        assert fresh.get_last_lr() == tfresh.get_last_lr()
        assert [g["momentum"] for g in opt.param_groups] == [g["momentum"] for g in topt.param_groups]


def _chain(lib):
    p = lib.zeros(2, requires_grad=True)
    opt = lib.optim.SGD([p], lr=1.0)
    s = lib.optim.lr_scheduler
    return opt, s.ChainedScheduler([s.ConstantLR(opt, factor=0.1, total_iters=2), s.ExponentialLR(opt, gamma=0.9),
                                    s.PolynomialLR(opt, total_iters=6, power=1.5)])


def test_chained_scheduler_multiplies_the_changes_as_torch():
    (opt, ours), (topt, theirs) = _chain(chaingrad), _chain(torch)
    assert ours.get_last_lr() == theirs.get_last_lr()
    for _ in range(10):
        opt.step()
        topt.step()
        ours.step()
        theirs.step()
        assert ours.get_last_lr() == theirs.get_last_lr()
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sorted(sd) == sorted(tsd) and sd["_last_lr"] == tsd["_last_lr"]
    assert [sorted(s) for s in sd["_schedulers"]] == [sorted(s) for s in tsd["_schedulers"]]
    (opt2, again) = _chain(chaingrad)
    again.load_state_dict(sd)
    assert [s.last_epoch for s in again._schedulers] == [s.last_epoch for s in theirs._schedulers]


def _messages(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("name,kwargs", [("CyclicLR", dict(base_lr=0.01, max_lr=0.1)),
                                         ("PolynomialLR", {}), ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9)),
                                         ("StepLR", dict(step_size=2))])
def test_warnings_as_torchs(name, kwargs):
    for order_first in (True, False):
        results = []
        for lib in (chaingrad, torch):
            opt, sched = _make(lib, name, kwargs)

            def run(opt=opt, sched=sched, order_first=order_first):
                if order_first:
                    opt.step()
                sched.step()
                sched.step()
                sched.get_lr()
                if name != "CyclicLR":
                    sched.step(3)
            results.append(_messages(run))
        assert results[0] == results[1] and results[0]
    # an optimizer step replaced after the scheduler was made
    results = []
    for lib in (chaingrad, torch):
        opt, sched = _make(lib, name, kwargs)
        opt.step = lambda: None
        results.append(_messages(sched.step))
    assert results[0] == results[1] and "overridden" in results[0][0]


@pytest.mark.parametrize("make,exc", [
    (lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, mode="nope"), ValueError),
    (lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, [0.01, 0.02, 0.3], 0.1), ValueError),
    (lambda lib, o: lib.optim.lr_scheduler.CyclicLR("x", 0.01, 0.1), TypeError),
    (lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, 3), TypeError),
    (lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, [lambda e: 1.0] * 3), ValueError),
    (lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler([]), ValueError),
    (lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler([lib.optim.lr_scheduler.ReduceLROnPlateau(o)]),
     ValueError),
])
def test_errors_as_torchs(make, exc):
    messages = []
    for lib in (chaingrad, torch):
        opt, _ = _make(lib, "PolynomialLR", {})
        with pytest.raises(exc) as info:
            make(lib, opt)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_cyclic_lr_without_momentum_in_the_optimizer_raises_as_torch():
    messages = []
    for lib in (chaingrad, torch):
        opt = lib.optim.Adagrad([lib.zeros(2, requires_grad=True)])
        with pytest.raises(ValueError) as info:
            lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1)
        messages.append(str(info.value))
        lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, cycle_momentum=False)
    assert messages[0] == messages[1]


def test_tensor_learning_rates_are_filled_in_place():
    p = chaingrad.zeros(2, requires_grad=True)
    lr = chaingrad.tensor(0.1)
    opt = chaingrad.optim.Adam([p], lr=lr)
    sched = chaingrad.optim.lr_scheduler.PolynomialLR(opt, total_iters=4)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and abs(lr.item() - 0.075) < 1e-7
    assert sched.get_last_lr()[0] is not lr


def test_a_users_scheduler_get_lr_does_not_warn_as_torch():
    for lib in (chaingrad, torch):
        class Half(lib.optim.lr_scheduler.LRScheduler):
            def get_lr(self):
                return [base / 2 for base in self.base_lrs]

        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        sched = Half(opt)
        assert _messages(sched.get_lr) == []
        assert sched.get_last_lr() == [0.5]
