"""optim.swa_utils against torch: AveragedModel with every average function (SWA, EMA, per tensor or per
list, with and without buffers) gives torch's numbers exactly, SWALR's learning rates, update_bn's
statistics, torch's SWA tutorial loop, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad


def _model(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(), lib.nn.Linear(4, 2))


def _fill(lib, model, rng):
    """Set every parameter and buffer to seeded values (the same for both libraries)."""
    with lib.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(lib.tensor(rng.standard_normal(tuple(t.shape)).astype(np.float32)))
            else:
                t.fill_(int(rng.integers(0, 50)))


def _fns(lib, kind):
    s = lib.optim.swa_utils
    return {"default": {}, "swa": dict(avg_fn=s.get_swa_avg_fn()), "ema": dict(avg_fn=s.get_ema_avg_fn(0.9)),
            "swa-multi": dict(multi_avg_fn=s.get_swa_multi_avg_fn()),
            "ema-multi": dict(multi_avg_fn=s.get_ema_multi_avg_fn(0.75))}[kind]


def _average(lib, kind, use_buffers, rounds=6):
    rng = np.random.default_rng(4)
    model = _model(lib)
    _fill(lib, model, rng)
    avg = lib.optim.swa_utils.AveragedModel(model, use_buffers=use_buffers, **_fns(lib, kind))
    out = []
    for _ in range(rounds):
        _fill(lib, model, rng)
        avg.update_parameters(model)
        out.append([t.detach().numpy().copy() for t in list(avg.parameters()) + list(avg.buffers())])
    return out, avg


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("kind", ["default", "swa", "ema", "swa-multi", "ema-multi"])
def test_averaged_model_equals_torchs_exactly(kind, use_buffers):
    if kind == "swa-multi" and use_buffers:  # torch's list average divides the integer batch count: it raises
        for lib in (chaingrad, torch):
            with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
                _average(lib, kind, use_buffers)
        return
    ours, avg = _average(chaingrad, kind, use_buffers)
    theirs, tavg = _average(torch, kind, use_buffers)
    for a_round, b_round in zip(ours, theirs):
        assert len(a_round) == len(b_round)
        for a, b in zip(a_round, b_round):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    assert list(avg.state_dict()) == list(tavg.state_dict())
    assert avg.n_averaged.dtype == chaingrad.int64 and avg.n_averaged.item() == 6
    assert repr(avg).replace("chaingrad", "torch") == repr(tavg)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    avg.eval()
    tavg.eval()
    np.testing.assert_allclose(avg(chaingrad.tensor(x)).detach().numpy(), tavg(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def _swalr(lib, kwargs, steps=15):
    params = [lib.zeros(2, requires_grad=True) for _ in range(2)]
    opt = lib.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.3}], lr=0.1)
    sched = lib.optim.swa_utils.SWALR(opt, **kwargs)
    lrs = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    return lrs, sched


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.05), dict(swa_lr=[0.01, 0.5], anneal_epochs=4),
                                    dict(swa_lr=0.02, anneal_strategy="linear", anneal_epochs=3),
                                    dict(swa_lr=0.02, anneal_epochs=0)])
def test_swalr_learning_rates_and_state_dict_equal_torchs(kwargs):
    ours, sched = _swalr(chaingrad, kwargs)
    theirs, tsched = _swalr(torch, kwargs)
    assert ours == theirs
    sd, tsd = sched.state_dict(), tsched.state_dict()
    assert sorted(sd) == sorted(tsd)
    assert {k: sd[k] for k in tsd} == tsd
    again = _swalr(chaingrad, kwargs, steps=0)[1]
    again.load_state_dict(sd)
    assert again.anneal_func == sched.anneal_func and again.last_epoch == sched.last_epoch


def _tutorial(lib):
    """torch's SWA recipe: CosineAnnealingLR, then from swa_start SWA averaging with SWALR; update_bn."""
    lib.manual_seed(0)
    rng = np.random.default_rng(7)
    data = [(lib.tensor(rng.standard_normal((8, 3)).astype(np.float32)),
             lib.tensor(rng.standard_normal((8, 2)).astype(np.float32))) for _ in range(4)]
    model = _model(lib)
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    swa_model = lib.optim.swa_utils.AveragedModel(model)
    scheduler = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    swa_start = 4
    swa_scheduler = lib.optim.swa_utils.SWALR(opt, swa_lr=0.02, anneal_epochs=2)
    lrs = []
    for epoch in range(8):
        for x, y in data:
            opt.zero_grad()
            lib.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
        if epoch > swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
    lib.optim.swa_utils.update_bn(data, swa_model)
    return lrs, swa_model


def test_torchs_swa_tutorial_loop():
    lrs, swa = _tutorial(chaingrad)
    tlrs, tswa = _tutorial(torch)
    assert lrs == tlrs
    for (name, a), (tname, b) in zip(swa.state_dict().items(), tswa.state_dict().items()):
        assert name == tname
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    bn = swa.module[1]
    assert bn.momentum == 0.1 and swa.training


def test_update_bn_statistics_inputs_and_modes():
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal((6, 3)).astype(np.float32) for _ in range(3)]
    results = []
    for lib in (chaingrad, torch):
        lib.manual_seed(1)
        model = _model(lib)
        model.eval()
        model[1].momentum = 0.3
        lib.optim.swa_utils.update_bn([lib.tensor(x) for x in xs], model)
        assert not model.training and model[1].momentum == 0.3
        stats = [model[1].running_mean.numpy().copy(), model[1].running_var.numpy().copy()]
        lib.optim.swa_utils.update_bn([(lib.tensor(x), 0) for x in xs], model)  # (input, label) batches
        assert model[1].num_batches_tracked.item() == 3
        results.append(stats + [model[1].running_mean.numpy(), model[1].running_var.numpy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    chaingrad.optim.swa_utils.update_bn([], chaingrad.nn.Linear(2, 2))  # no batch norm: nothing to do


@pytest.mark.parametrize("make", [
    lambda lib: lib.optim.swa_utils.get_ema_avg_fn(1.5),
    lambda lib: lib.optim.swa_utils.get_ema_multi_avg_fn(-0.1),
    lambda lib: lib.optim.swa_utils.SWALR(lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1), 0.1,
                                          anneal_strategy="exp"),
    lambda lib: lib.optim.swa_utils.SWALR(lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1), 0.1,
                                          anneal_epochs=-1),
    lambda lib: lib.optim.swa_utils.SWALR(lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1), [0.1, 0.2]),
])
def test_errors_as_torchs(make):
    messages = []
    for lib in (chaingrad, torch):
        with pytest.raises(ValueError) as info:
            make(lib)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        chaingrad.optim.swa_utils.AveragedModel(chaingrad.nn.Linear(1, 1), avg_fn=lambda *a: a[0],
                                                multi_avg_fn=lambda *a: None)


def test_module_names_equal_torchs():
    assert sorted(chaingrad.optim.swa_utils.__all__) == sorted(torch.optim.swa_utils.__all__)
