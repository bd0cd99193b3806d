"""OneCycleLR, ReduceLROnPlateau, CosineAnnealingWarmRestarts, LinearLR and SequentialLR against torch: the
same learning rates (and momenta) after every step over their option combinations, state dicts with torch's
keys that resume identically, and torch's errors for bad arguments."""

from __future__ import annotations

import itertools
import math
import warnings

import pytest
import torch

import chaingrad


def _grid(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


def _optimizer(lib, name="SGD", **kw):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    defaults = dict(SGD=dict(lr=0.1, momentum=0.9), Adam=dict(lr=0.1), RMSprop=dict(lr=0.1, momentum=0.5))[name]
    return getattr(lib.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.3}], **{**defaults, **kw})


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _assert_same(opt, sched, topt, tsched):
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12, abs=1e-15)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([g["lr"] for g in topt.param_groups], rel=1e-12,
                                                               abs=1e-15)
    assert _momenta(opt) == pytest.approx(_momenta(topt), rel=1e-12)
    assert sched.last_epoch == tsched.last_epoch


def _state_keys(sched):
    return set(sched.state_dict())


ONE_CYCLE = [dict(total_steps=30, **o) for o in _grid(anneal_strategy=["cos", "linear"], three_phase=[False, True],
                                                       cycle_momentum=[True, False], pct_start=[0.3, 0.5])]
ONE_CYCLE += [dict(epochs=4, steps_per_epoch=7, max_lr=[0.5, 2.0], div_factor=10.0, final_div_factor=100.0,
                   base_momentum=[0.8, 0.7], max_momentum=0.9)]


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "RMSprop"])
@pytest.mark.parametrize("kwargs", ONE_CYCLE, ids=[str(k) for k in ONE_CYCLE])
def test_one_cycle_equals_torch_at_every_step(kwargs, opt_name):
    kwargs = {"max_lr": 1.0, **kwargs}
    opt, topt = _optimizer(chaingrad, opt_name), _optimizer(torch, opt_name)
    sched = chaingrad.optim.lr_scheduler.OneCycleLR(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, **kwargs)
    total = kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]
    _assert_same(opt, sched, topt, tsched)
    for _ in range(total - 1):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        _assert_same(opt, sched, topt, tsched)
    for g, tg in zip(opt.param_groups, topt.param_groups):  # the keys OneCycleLR adds, as torch's
        assert set(g) == set(tg)
        for key in ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"):
            assert g.get(key) == (None if tg.get(key) is None else pytest.approx(tg[key], rel=1e-15))
    assert _state_keys(sched) == _state_keys(tsched)
    for s in (sched, tsched):
        s.step()  # the last step allowed
        with pytest.raises(ValueError, match="Tried to step"):
            s.step()


def _plateau_metrics():
    values = [1.0, 0.9, 0.9, 0.95, 0.899, 0.8999, 0.9, 0.7, 0.7, 0.71, 0.72, 0.73, 0.6, 0.6, 0.6, 0.6, 0.61]
    return values * 3 + [0.5 - 0.01 * i for i in range(10)]


PLATEAU = _grid(mode=["min", "max"], threshold_mode=["rel", "abs"], patience=[0, 2], cooldown=[0, 3],
                threshold=[1e-4, 0.05], min_lr=[0.0, [0.02, 0.05]], factor=[0.5, 0.1])


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_equals_torch(kwargs):
    opt, topt = _optimizer(chaingrad), _optimizer(torch)
    sched = chaingrad.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    for value in _plateau_metrics():
        metric = value if kwargs["mode"] == "min" else -value
        sched.step(chaingrad.tensor(metric))
        tsched.step(torch.tensor(metric))
        _assert_same(opt, sched, topt, tsched)
        assert (sched.num_bad_epochs, sched.cooldown_counter, sched.best) == (
            tsched.num_bad_epochs, tsched.cooldown_counter, tsched.best)
    assert _state_keys(sched) == _state_keys(tsched)


def test_reduce_lr_on_plateau_eps_skips_tiny_changes_and_resumes():
    for lib in (chaingrad, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1e-8)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, eps=1e-8)
        for _ in range(3):
            sched.step(1.0)
        assert opt.param_groups[0]["lr"] == 1e-8
    opt = chaingrad.optim.SGD([chaingrad.zeros(1, requires_grad=True)], lr=1.0)
    sched = chaingrad.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=1)
    for v in (1, 2, 2, 2):
        sched.step(v)
    fresh = chaingrad.optim.lr_scheduler.ReduceLROnPlateau(opt)
    fresh.load_state_dict(sched.state_dict())
    assert (fresh.mode, fresh.patience, fresh.best, fresh.mode_worse) == ("max", 1, 2.0, -math.inf)


WARM_RESTARTS = _grid(T_0=[3, 5], T_mult=[1, 2, 3], eta_min=[0.0, 0.01])


@pytest.mark.parametrize("kwargs", WARM_RESTARTS, ids=[str(k) for k in WARM_RESTARTS])
def test_cosine_warm_restarts_equal_torch_with_integer_and_fractional_epochs(kwargs):
    opt, topt = _optimizer(chaingrad), _optimizer(torch)
    sched = chaingrad.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, **kwargs)
    _assert_same(opt, sched, topt, tsched)
    for _ in range(40):
        sched.step()
        tsched.step()
        _assert_same(opt, sched, topt, tsched)
        assert (sched.T_cur, sched.T_i) == (tsched.T_cur, tsched.T_i)
    iters = 7
    for epoch in range(12):  # the documented per-batch pattern: step(epoch + i / iters)
        for i in range(iters):
            sched.step(epoch + i / iters)
            tsched.step(epoch + i / iters)
            _assert_same(opt, sched, topt, tsched)
            assert sched.T_cur == pytest.approx(tsched.T_cur, rel=1e-12) and sched.T_i == tsched.T_i
    assert _state_keys(sched) == _state_keys(tsched) and sched._step_count == tsched._step_count


LINEAR = [("LinearLR", o) for o in _grid(start_factor=[1.0 / 3, 0.5, 1.0], end_factor=[1.0, 0.0, 0.25],
                                         total_iters=[1, 5])]
LINEAR += [("ConstantLR", o) for o in _grid(factor=[1.0 / 3, 0.5, 1.0], total_iters=[1, 4])]


@pytest.mark.parametrize("name,kwargs", LINEAR, ids=[f"{n}-{k}" for n, k in LINEAR])
def test_linear_and_constant_lr_equal_torch_chained_and_closed_form(name, kwargs):
    opt, topt = _optimizer(chaingrad), _optimizer(torch)
    sched = getattr(chaingrad.optim.lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    _assert_same(opt, sched, topt, tsched)
    for _ in range(10):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        _assert_same(opt, sched, topt, tsched)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (2, 0, 7):
            sched.step(epoch)
            tsched.step(epoch)
            _assert_same(opt, sched, topt, tsched)
    assert _state_keys(sched) == _state_keys(tsched)


def _sequential(lib, kind):
    opt = _optimizer(lib)
    S = lib.optim.lr_scheduler
    if kind == "warmup-cosine":
        parts = [S.LinearLR(opt, start_factor=0.1, total_iters=4), S.CosineAnnealingLR(opt, T_max=10)]
        milestones = [4]
    elif kind == "three":
        parts = [S.ConstantLR(opt, factor=0.5, total_iters=2), S.ExponentialLR(opt, gamma=0.9),
                 S.StepLR(opt, step_size=3, gamma=0.5)]
        milestones = [3, 8]
    else:
        parts = [S.LinearLR(opt, start_factor=0.25, total_iters=3), S.MultiStepLR(opt, milestones=[2, 5], gamma=0.3),
                 S.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=6)]
        milestones = [3, 9]
    return opt, S.SequentialLR(opt, parts, milestones=milestones)


@pytest.mark.filterwarnings("ignore:Detected call of .lr_scheduler.step... before .optimizer.step...:UserWarning")
@pytest.mark.parametrize("kind", ["warmup-cosine", "three", "linear-multistep-linear"])
def test_sequential_lr_equals_torch_and_resumes(kind):
    opt, sched = _sequential(chaingrad, kind)
    topt, tsched = _sequential(torch, kind)
    _assert_same(opt, sched, topt, tsched)
    for step in range(20):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        _assert_same(opt, sched, topt, tsched)
        if step == 10:
            saved = sched.state_dict()
            assert set(saved) == set(tsched.state_dict())
            assert [set(s) for s in saved["_schedulers"]] == [set(s) for s in tsched.state_dict()["_schedulers"]]
    opt2, resumed = _sequential(chaingrad, kind)
    resumed.load_state_dict(saved)
    for group, lr in zip(opt2.param_groups, saved["_last_lr"]):
        group["lr"] = lr
    opt3, sched3 = _sequential(chaingrad, kind)
    for _ in range(11):
        sched3.step()
    for _ in range(9):
        resumed.step()
        sched3.step()
        assert resumed.get_last_lr() == pytest.approx(sched3.get_last_lr(), rel=1e-12)


@pytest.mark.parametrize("make,error,message", [
    (lambda S, o: S.OneCycleLR(o, max_lr=1.0), ValueError, "You must define either total_steps OR"),
    (lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=0), ValueError, "Expected positive integer total_steps"),
    (lambda S, o: S.OneCycleLR(o, max_lr=1.0, epochs=0, steps_per_epoch=2), ValueError,
     "Expected positive integer epochs"),
    (lambda S, o: S.OneCycleLR(o, max_lr=1.0, epochs=2, steps_per_epoch=-1), ValueError,
     "Expected positive integer steps_per_epoch"),
    (lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=5, pct_start=1), ValueError,
     "Expected float between 0 and 1 pct_start"),
    (lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=5, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear'"),
    (lambda S, o: S.OneCycleLR(o, max_lr=[1.0], total_steps=5), ValueError,
     "max_lr must have the same length as optimizer.param_groups"),
    (lambda S, o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda S, o: S.ReduceLROnPlateau(o, mode="median"), ValueError, "mode median is unknown!"),
    (lambda S, o: S.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold mode pct is unknown!"),
    (lambda S, o: S.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "Expected positive integer T_0"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "Expected integer T_mult >= 1"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"), ValueError, "Expected float or int eta_min"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2).step(-1), ValueError, "Expected non-negative epoch"),
    (lambda S, o: S.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor"),
    (lambda S, o: S.LinearLR(o, end_factor=1.5), ValueError, "Ending multiplicative factor"),
    (lambda S, o: S.ConstantLR(o, factor=1.5), ValueError, "Constant multiplicative factor"),
    (lambda S, o: S.SequentialLR(o, [], milestones=[]), ValueError, "expects at least one scheduler"),
    (lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3)], milestones=[]), ValueError,
     "Sequential Schedulers expects number of schedulers provided to be one more"),
    (lambda S, o: S.SequentialLR(o, [S.ReduceLROnPlateau(o)], milestones=[]), ValueError,
     "does not support `ReduceLROnPlateau`"),
])
def test_bad_arguments_raise_torchs_errors(make, error, message):
    for lib in (chaingrad, torch):
        opt = _optimizer(lib)
        with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
            make(lib.optim.lr_scheduler, opt)


def test_one_cycle_needs_momentum_to_cycle_it():
    for lib in (chaingrad, torch):
        opt = lib.optim.Adagrad([lib.zeros(1, requires_grad=True)], lr=0.1)
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=4)
        lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=4, cycle_momentum=False)
