"""Learning-rate schedulers step-equal to torch's: same lr after every step, two parameter groups,
resuming from a state dict, and the closed form of ``step(epoch)``."""

from __future__ import annotations

import warnings

import pytest
import torch

import chaingrad
from chaingrad import optim
from chaingrad.optim import lr_scheduler


class Halve:
    """A callable object (its attributes are saved by LambdaLR.state_dict, as torch does)."""

    def __init__(self) -> None:
        self.factor = 0.5

    def __call__(self, epoch: int) -> float:
        return self.factor ** (epoch // 3)


SCHEDULERS = [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 0.95 ** epoch)),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (1 + e), lambda e: 0.9 ** e])),
]


def _make(lib, name, kwargs, opt_name="SGD"):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    opt = getattr(lib.optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.3}], lr=0.1)
    return opt, getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS)])
def test_learning_rates_equal_torchs_at_every_step(name, kwargs):
    opt, sched = _make(chaingrad, name, kwargs)
    topt, tsched = _make(torch, name, kwargs)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-14)
    for _ in range(25):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()
        assert sched.last_epoch == tsched.last_epoch


@pytest.mark.parametrize("name,kwargs", SCHEDULERS[:6], ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS[:6])])
def test_step_with_epoch_uses_the_closed_form_as_torch(name, kwargs):
    opt, sched = _make(chaingrad, name, kwargs)
    topt, tsched = _make(torch, name, kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 7, 12):
            sched.step(epoch)
            tsched.step(epoch)
            assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)


def test_schedulers_chain_like_torchs():
    def run(lib):
        p = lib.zeros(1, requires_grad=True)
        opt = lib.optim.SGD([p], lr=1.0)
        s1 = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        s2 = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
        lrs = []
        for _ in range(8):
            opt.step()
            s1.step()
            s2.step()
            lrs.append(opt.param_groups[0]["lr"])
        return lrs

    assert run(chaingrad) == pytest.approx(run(torch), rel=1e-14)


@pytest.mark.parametrize("name,kwargs", [SCHEDULERS[0], SCHEDULERS[2], SCHEDULERS[4], ("LambdaLR", {})])
def test_state_dict_round_trip_resumes_the_schedule(name, kwargs):
    if name == "LambdaLR":
        kwargs = dict(lr_lambda=Halve())
    opt, sched = _make(chaingrad, name, kwargs)
    lrs = []
    for _ in range(12):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    opt2, sched2 = _make(chaingrad, name, kwargs if name != "LambdaLR" else dict(lr_lambda=Halve()))
    opt, sched = _make(chaingrad, name, kwargs)
    for _ in range(5):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 5
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(state)
    resumed = []
    for _ in range(7):
        opt2.step()
        sched2.step()
        resumed.append(sched2.get_last_lr())
    assert resumed == lrs[5:]


def test_lambda_lr_saves_callable_objects_but_not_functions():
    _, sched = _make(chaingrad, "LambdaLR", dict(lr_lambda=[Halve(), lambda e: 1.0]))
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"factor": 0.5}, None]


def test_errors_as_torch():
    p = chaingrad.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR("not an optimizer", step_size=2)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0, lambda e: 1.0])
