"""nn.utils against torch: get_total_norm and clip_grads_with_norm_, the hook-based weight_norm and
spectral_norm (their parameters, buffers drawn as torch draws them, hooks, removal), batch-norm fusion and
skip_init (no random numbers drawn)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad


def _grads(lib, dtype=np.float32):
    rng = np.random.default_rng(0)
    params = [lib.zeros(s, dtype=getattr(lib, np.dtype(dtype).name), requires_grad=True)
              for s in ((3, 4), (5,), (2, 2, 2))]
    for p in params:
        p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)).astype(dtype))
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_get_total_norm_and_clip_grads_with_norm_equal_torchs(norm_type, dtype):
    ours, theirs = _grads(chaingrad, dtype), _grads(torch, dtype)
    total = chaingrad.nn.utils.get_total_norm([p.grad for p in ours], norm_type)
    ttotal = torch.nn.utils.get_total_norm([p.grad for p in theirs], norm_type)
    assert total.dtype == getattr(chaingrad, np.dtype(dtype).name) and total.shape == ttotal.shape
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(total.numpy(), ttotal.numpy(), rtol=rtol)
    chaingrad.nn.utils.clip_grads_with_norm_(ours, 1.5, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 1.5, ttotal)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=rtol * 1e-2)
    ours, theirs = _grads(chaingrad, dtype), _grads(torch, dtype)
    np.testing.assert_allclose(chaingrad.nn.utils.clip_grad_norm_(ours, 0.7, norm_type).numpy(),
                               torch.nn.utils.clip_grad_norm_(theirs, 0.7, norm_type).numpy(), rtol=rtol)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=rtol * 1e-2)


def test_norm_edge_cases_as_torchs():
    assert chaingrad.nn.utils.get_total_norm([]).item() == torch.nn.utils.get_total_norm([]).item() == 0.0
    g = chaingrad.tensor([3.0, 4.0])
    assert chaingrad.nn.utils.get_total_norm(g).item() == 5.0
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        chaingrad.nn.utils.get_total_norm([chaingrad.tensor([float("nan")])], error_if_nonfinite=True)
    for lib in (chaingrad, torch):
        with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
            lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)
        with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
            lib.nn.utils.clip_grad_norm([lib.zeros(1, requires_grad=True)], 1.0)
    chaingrad.nn.utils.clip_grads_with_norm_([chaingrad.zeros(2, requires_grad=True)], 1.0, chaingrad.tensor(1.0))


def _same(make):
    torch.manual_seed(0)
    t = make(torch)
    c = make(chaingrad)
    c.load_state_dict({k: chaingrad.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return c, t


@pytest.mark.parametrize("dim", [0, 1, None])
def test_hook_weight_norm_equals_torchs(dim):
    c, t = _same(lambda lib: lib.nn.Linear(4, 3))
    for lib, m in ((chaingrad, c), (torch, t)):
        with pytest.warns(FutureWarning, match="weight_norm` is deprecated in favor of"):
            lib.nn.utils.weight_norm(m, dim=dim)
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in t.named_parameters()] == \
        ["bias", "weight_g", "weight_v"]
    assert tuple(c.weight_g.shape) == tuple(t.weight_g.shape)
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    with torch.no_grad():
        t.weight_v.mul_(1.5)  # the hook recomputes the weight before each forward
    with chaingrad.no_grad():
        c.weight_v.mul_(1.5)
    out, tout = c(chaingrad.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(c.weight_g.grad.numpy(), t.weight_g.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.weight_v.grad.numpy(), t.weight_v.grad.numpy(), rtol=1e-5, atol=1e-6)
    for lib, m in ((chaingrad, c), (torch, t)):
        lib.nn.utils.remove_weight_norm(m)
        assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
        with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
            lib.nn.utils.remove_weight_norm(m)
    np.testing.assert_allclose(c.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        chaingrad.nn.utils.weight_norm(c)
        with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
            chaingrad.nn.utils.weight_norm(c)


@pytest.mark.parametrize("make,kwargs", [(lambda lib: lib.nn.Linear(5, 4), {}),
                                         (lambda lib: lib.nn.Conv2d(2, 3, 3), dict(n_power_iterations=2)),
                                         (lambda lib: lib.nn.ConvTranspose2d(2, 3, 3), dict(eps=1e-6))])
def test_hook_spectral_norm_draws_iterates_and_saves_as_torch(make, kwargs):
    results = []
    x = np.random.default_rng(0).standard_normal((2, 5) if "Linear" in str(make(torch)) else (1, 2, 5, 5))
    for lib in (chaingrad, torch):
        lib.manual_seed(5)
        m = make(lib)
        lib.nn.utils.spectral_norm(m, **kwargs)
        out = [m.weight_u.numpy().copy(), m.weight_v.numpy().copy(), m.weight.detach().numpy().copy()]
        y = m(lib.tensor(x.astype(np.float32)))  # training: one power-iteration step first
        y.sum().backward()
        out += [m.weight_u.numpy().copy(), m.weight.detach().numpy().copy(), y.detach().numpy(),
                m.weight_orig.grad.numpy()]
        m.eval()
        out.append(m(lib.tensor(x.astype(np.float32))).detach().numpy())
        sd = m.state_dict()
        keys, version = list(sd), sd._metadata[""]["spectral_norm"]
        lib.nn.utils.remove_spectral_norm(m)
        out.append(m.weight.detach().numpy())
        results.append((out, keys, version, [n for n, _ in m.named_parameters()]))
    (ours, keys, version, names), (theirs, tkeys, tversion, tnames) = results
    assert keys == tkeys and version == tversion == {"weight.version": 1} and names == tnames
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_hook_spectral_norm_errors_and_state_dict_round_trip():
    m = chaingrad.nn.utils.spectral_norm(chaingrad.nn.Linear(3, 2))
    fresh = chaingrad.nn.utils.spectral_norm(chaingrad.nn.Linear(3, 2))
    fresh.load_state_dict(m.state_dict())
    np.testing.assert_array_equal(fresh.weight_u.numpy(), m.weight_u.numpy())
    for lib in (chaingrad, torch):
        with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
            lib.nn.utils.spectral_norm(lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2)))
        with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
            lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0)
        with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
            lib.nn.utils.remove_spectral_norm(lib.nn.Linear(2, 2))
    chaingrad.nn.utils.remove_spectral_norm(m)
    assert "weight" in m.state_dict() and "weight_u" not in m.state_dict()


@pytest.mark.parametrize("kind", ["conv", "conv-nobias", "transpose", "linear"])
def test_fusion_equals_torchs_and_the_unfused_pair(kind):
    def make(lib):
        if kind == "linear":
            return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3))
        if kind == "transpose":
            return lib.nn.Sequential(lib.nn.ConvTranspose2d(2, 3, 3), lib.nn.BatchNorm2d(3))
        return lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3, bias=kind == "conv"), lib.nn.BatchNorm2d(3))

    c, t = _same(make)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 4) if kind == "linear" else (2, 2, 6, 6)).astype(np.float32)
    gamma = rng.standard_normal(3).astype(np.float32)
    for lib, m in ((chaingrad, c), (torch, t)):
        m(lib.tensor(x))  # running statistics
        with lib.no_grad():
            m[1].weight.copy_(lib.tensor(gamma))
        m.eval()
    results = []
    for lib, m in ((chaingrad, c), (torch, t)):
        U = lib.nn.utils
        fused = (U.fuse_linear_bn_eval(m[0], m[1]) if kind == "linear"
                 else U.fuse_conv_bn_eval(m[0], m[1], transpose=kind == "transpose"))
        assert isinstance(fused.weight, lib.nn.Parameter) and isinstance(fused.bias, lib.nn.Parameter)
        results.append([fused.weight.detach().numpy(), fused.bias.detach().numpy(),
                        fused(lib.tensor(x)).detach().numpy(), m(lib.tensor(x)).detach().numpy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(results[0][2], results[0][3], rtol=1e-4, atol=1e-5)
    c.train()
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        chaingrad.nn.utils.fusion.fuse_conv_bn_eval(c[0], c[1])


def test_skip_init_draws_no_random_numbers():
    for lib in (chaingrad, torch):
        lib.manual_seed(0)
        m = lib.nn.utils.skip_init(lib.nn.Linear, 4, 3, bias=False)
        assert type(m) is lib.nn.Linear and tuple(m.weight.shape) == (3, 4) and m.bias is None
        after = lib.randn(3).numpy()
        lib.manual_seed(0)
        np.testing.assert_array_equal(after, lib.randn(3).numpy())
    for lib in (chaingrad, torch):
        with pytest.raises(RuntimeError, match="Expected a Module; got"):
            lib.nn.utils.skip_init(int)

        class NoDevice(lib.nn.Module):
            def __init__(self):
                super().__init__()

        with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
            lib.nn.utils.skip_init(NoDevice)


def test_nn_utils_names_cover_torchs():
    wanted = {"get_total_norm", "clip_grads_with_norm_", "parametrize", "parametrizations", "weight_norm",
              "remove_weight_norm", "spectral_norm", "remove_spectral_norm", "skip_init", "fuse_conv_bn_eval",
              "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights", "fusion", "clip_grad_norm"}
    assert wanted <= set(dir(torch.nn.utils)) and wanted <= set(dir(chaingrad.nn.utils))
    assert set(torch.nn.utils.parametrize.__all__) == set(chaingrad.nn.utils.parametrize.__all__)


def test_hook_spectral_norm_loads_a_version_0_checkpoint_as_torch():
    results = []
    for lib in (chaingrad, torch):
        lib.manual_seed(2)
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 4))
        m(lib.ones(1, 3))
        sd = m.state_dict()
        old = {"weight_orig": sd["weight_orig"], "weight_u": sd["weight_u"], "bias": sd["bias"],
               "weight": m.weight.detach().clone()}  # (W^T W full rank; no weight_v, no version: as before version 1)
        fresh = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 4))
        fresh.load_state_dict(old)
        results.append(fresh.weight_v.numpy().copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-4, atol=1e-5)
