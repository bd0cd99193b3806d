"""chaingrad.amp against torch.amp: GradScaler's scaling, unscaling, skipped steps and scale updates, its
errors and state; the deprecated chaingrad.cuda.amp spellings; custom_fwd/custom_bwd."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg


def _train(lib, steps: int = 12, clip: bool = False, **scaler_args):
    """A float64 two-layer model with a scaler; every fourth batch is scaled up so far that its gradients
    overflow to inf and the step is skipped. Returns the scales, the step results and the final weights."""
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 1)).double()
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", **scaler_args)
    x = lib.linspace(-1, 1, 24, dtype=lib.float64).reshape(8, 3)
    y = x.sum(1, keepdim=True) ** 2
    scales, results = [], []
    for i in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean() * (1e307 if i % 4 == 3 else 1.0)
        scaler.scale(loss).backward()
        if clip:
            scaler.unscale_(opt)
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        results.append(scaler.step(opt))
        scaler.update()
        scales.append(scaler.get_scale())
    return scales, results, [p.detach().numpy().copy() for p in model.parameters()], scaler


@pytest.mark.parametrize("clip", [False, True])
def test_scaled_training_skips_and_adapts_as_torch(clip):
    ours = _train(cg, clip=clip, growth_interval=3, init_scale=2.0 ** 10)
    theirs = _train(torch, clip=clip, growth_interval=3, init_scale=2.0 ** 10)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
    assert ours[0][2:4] == [2048.0, 1024.0]  # grown after three good steps, backed off after an overflow
    for a, b in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert ours[3].state_dict() == theirs[3].state_dict()
    assert ours[3]._get_growth_tracker() == theirs[3]._get_growth_tracker()


def test_scale_of_tensors_lists_and_tuples():
    for lib in (cg, torch):
        s = lib.amp.GradScaler("cpu", init_scale=8.0)
        a, b = lib.tensor([1.0, 2.0]), lib.tensor(3.0, dtype=lib.float64)
        out = s.scale([a, (b, a)])
        assert isinstance(out, list) and isinstance(out[1], tuple)
        assert out[0].tolist() == [8.0, 16.0] and out[1][0].item() == 24.0 and out[1][0].dtype == lib.float64
        assert [t.tolist() for t in s.scale(iter([a]))] == [[8.0, 16.0]]
        with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
            s.scale(3.0)
        w = lib.tensor([1.0], requires_grad=True)
        assert type(s.scale(w * 2).grad_fn).__name__ == "MulBackward0"


def test_the_calls_out_of_order_raise_torchs_errors():
    for lib in (cg, torch):
        w = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([w], lr=0.1)
        s = lib.amp.GradScaler("cpu")
        with pytest.raises(AssertionError, match="Attempted update but _scale is None"):
            s.update()
        with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
            s.step(opt)
        s.scale((w * 3).sum()).backward()
        s.unscale_(opt)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this optimizer"):
            s.unscale_(opt)
        s.step(opt)
        with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last update"):
            s.step(opt)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step"):
            s.unscale_(opt)
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            s.step(opt, closure=lambda: 0)
        with pytest.raises(AssertionError, match="The growth factor must be > 1.0"):
            lib.amp.GradScaler("cpu", growth_factor=1.0)
        with pytest.raises(AssertionError, match="The backoff factor must be < 1.0"):
            lib.amp.GradScaler("cpu", backoff_factor=1.0)
        half = lib.nn.Parameter(lib.ones(2, dtype=lib.float16))
        opt16 = lib.optim.SGD([half], lr=0.1)
        s2 = lib.amp.GradScaler("cpu")
        s2.scale((half * 2).sum()).backward()
        with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
            s2.step(opt16)


def test_update_with_a_new_scale_state_dict_and_pickling():
    for lib in (cg, torch):
        s = lib.amp.GradScaler("cpu", init_scale=4.0, growth_interval=7)
        s.scale(lib.ones(1))
        s.update(3.0)
        assert s.get_scale() == 3.0
        s.update(lib.tensor(5.0))
        assert s.get_scale() == 5.0
        sd = s.state_dict()
        assert sd == {"scale": 5.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 7,
                      "_growth_tracker": 0}
        t = lib.amp.GradScaler("cpu")
        t.load_state_dict(sd)
        assert t.state_dict() == sd and t.get_scale() == 5.0
        u = pickle.loads(pickle.dumps(s))
        assert u.state_dict() == sd
        assert copy.deepcopy(s).get_scale() == 5.0
        with pytest.raises(RuntimeError, match="The source state dict is empty"):
            t.load_state_dict({})


def test_a_cuda_scaler_is_disabled_with_a_warning_and_passes_through():
    for lib in (cg, torch):
        with pytest.warns(UserWarning, match="is enabled, but CUDA is not available.  Disabling"):
            s = lib.amp.GradScaler()
        assert not s.is_enabled() and s.get_scale() == 1.0 and s.state_dict() == {}
        w = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([w], lr=0.5)
        loss = (w * 3).sum()
        assert s.scale(loss) is loss
        loss.backward()
        s.unscale_(opt)
        s.step(opt)
        s.update()
        assert w.tolist() == [-0.5, -0.5]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert not lib.amp.GradScaler(enabled=False).is_enabled()


def test_the_deprecated_cuda_spellings_warn_and_disable():
    for lib in (cg, torch):
        with pytest.warns(FutureWarning, match=r"cuda.amp.GradScaler\(args...\)` is deprecated"):
            with pytest.warns(UserWarning, match="CUDA is not available"):
                s = lib.cuda.amp.GradScaler()
        assert not s.is_enabled() and isinstance(s, lib.amp.GradScaler)
        with pytest.warns(FutureWarning, match=r"cuda.amp.autocast\(args...\)` is deprecated"):
            with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast"):
                with lib.cuda.amp.autocast():
                    pass
        assert lib.cuda.amp.amp_definitely_not_available()
    assert cg.amp.autocast is cg.autocast


def test_custom_fwd_and_bwd_leave_a_function_as_it_is():
    for lib in (cg, torch):
        class Cube(lib.autograd.Function):
            @staticmethod
            @lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float32)
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            @lib.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x ** 2 * g

        x = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        y = Cube.apply(x)
        y.sum().backward()
        assert y.dtype == lib.float64 and x.grad.tolist() == [3.0, 12.0]
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            lib.amp.custom_fwd(device_type=None)
        assert [lib.amp.is_autocast_available(d) for d in ("cpu", "cuda", "mps", "meta", "lazy")] == \
            [True, True, True, False, False]
