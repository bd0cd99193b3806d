"""nn.utils.parametrize and the parametrizations (weight_norm, spectral_norm, orthogonal) against torch: the
class name, repr, state-dict keys, values and gradients reaching ``original``, right_inverse on assignment, caching,
removal, torch's errors; spectral norm's power-iteration vectors drawn as torch draws them."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import chaingrad


def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)

        def right_inverse(self, a):
            return a.triu()

    return Symmetric()


def _scale(lib, k=2.0):
    class Scale(lib.nn.Module):
        def forward(self, x):
            return x * k

        def right_inverse(self, a):
            return a / k

    return Scale()


def _same_linear(n_in=4, n_out=4):
    torch.manual_seed(0)
    t = torch.nn.Linear(n_in, n_out)
    c = chaingrad.nn.Linear(n_in, n_out)
    c.load_state_dict({k: chaingrad.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return c, t


def _repr(module) -> str:
    return repr(module).replace("chaingrad", "torch")


def test_register_parametrization_class_repr_state_dict_and_gradients():
    c, t = _same_linear()
    for lib, m in ((chaingrad, c), (torch, t)):
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(lib))
    assert type(c).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert isinstance(c, chaingrad.nn.Linear)
    assert _repr(c) == repr(t)
    assert list(c.state_dict()) == list(t.state_dict())
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in t.named_parameters()]
    np.testing.assert_array_equal(c.weight.detach().numpy(), t.weight.detach().numpy())
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    for lib, m in ((chaingrad, c), (torch, t)):
        (m(lib.tensor(x)) ** 2).sum().backward()
    np.testing.assert_allclose(c.parametrizations.weight.original.grad.numpy(),
                               t.parametrizations.weight.original.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert chaingrad.nn.utils.parametrize.is_parametrized(c)
    assert chaingrad.nn.utils.parametrize.is_parametrized(c, "weight")
    assert not chaingrad.nn.utils.parametrize.is_parametrized(c, "bias")
    assert chaingrad.nn.utils.parametrize.type_before_parametrizations(c) is chaingrad.nn.Linear


def test_chained_parametrizations_assignment_and_removal():
    c, t = _same_linear()
    a = np.random.default_rng(1).standard_normal((4, 4)).astype(np.float32)
    results = []
    for lib, m in ((chaingrad, c), (torch, t)):
        P = lib.nn.utils.parametrize
        P.register_parametrization(m, "weight", _symmetric(lib))
        P.register_parametrization(m, "weight", _scale(lib, 3.0))
        assert len(m.parametrizations.weight) == 2
        m.weight = lib.tensor(a + a.T)  # goes through the right_inverses
        out = [m.weight.detach().numpy().copy(), m.parametrizations.weight.original.detach().numpy().copy()]
        with P.cached():
            assert m.weight is m.weight
        assert m.weight is not m.weight
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
        out.append(m.weight.detach().numpy().copy())
        assert type(m).__name__ == "Linear" and not hasattr(m, "parametrizations")
        assert isinstance(m.weight, lib.nn.Parameter)
        P.register_parametrization(m, "bias", _scale(lib))
        P.remove_parametrizations(m, "bias")
        out.append(m.bias.detach().numpy().copy())
        results.append(out)
    for x, y in zip(*results):
        np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-6)


def test_buffers_parametrize_and_pickling_refuses():
    for lib in (chaingrad, torch):
        m = lib.nn.BatchNorm1d(3)
        lib.nn.utils.parametrize.register_parametrization(m, "running_var", _scale(lib, 0.5))
        assert "parametrizations.running_var.original" in m.state_dict()
        np.testing.assert_allclose(m.running_var.numpy(), [1.0, 1.0, 1.0])
        np.testing.assert_allclose(m.parametrizations.running_var.original.numpy(), [2.0, 2.0, 2.0])
        with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported"):
            pickle.dumps(m)


def _err(fn):
    messages = []
    for lib in (chaingrad, torch):
        with pytest.raises((ValueError, RuntimeError)) as info:
            fn(lib)
        messages.append((type(info.value).__name__, str(info.value).replace("chaingrad", "torch")))
    assert messages[0] == messages[1]


def test_errors_as_torchs():
    def bad_shape(lib):
        class Flat(lib.nn.Module):
            def forward(self, x):
                return x.reshape(-1)
        lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight", Flat())

    def no_name(lib):
        lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "nope", _scale(lib))

    def not_parametrized(lib):
        lib.nn.utils.parametrize.remove_parametrizations(lib.nn.Linear(2, 2), "weight")

    def no_inverse(lib):
        class Double(lib.nn.Module):
            def forward(self, x):
                return x * 2
        m = lib.nn.Linear(2, 2)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", Double())
        m.weight = lib.zeros(2, 2)

    for fn in (bad_shape, no_name, not_parametrized, no_inverse):
        _err(fn)
    m = chaingrad.nn.Linear(2, 2)
    chaingrad.nn.utils.parametrize.register_parametrization(m, "weight", _scale(chaingrad))
    chaingrad.nn.utils.parametrizations.weight_norm(m, "bias")
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        chaingrad.nn.utils.parametrize.remove_parametrizations(m, "bias", leave_parametrized=False)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrizations_weight_norm_equals_torchs(dim):
    torch.manual_seed(0)
    t = torch.nn.Conv2d(2, 3, 3)
    c = chaingrad.nn.Conv2d(2, 3, 3)
    c.load_state_dict({k: chaingrad.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    torch.nn.utils.parametrizations.weight_norm(t, dim=dim)
    chaingrad.nn.utils.parametrizations.weight_norm(c, dim=dim)
    assert _repr(c) == repr(t) and list(c.state_dict()) == list(t.state_dict())
    for key, value in t.state_dict().items():
        np.testing.assert_allclose(c.state_dict()[key].numpy(), value.numpy(), rtol=1e-6, atol=1e-7, err_msg=key)
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5)).astype(np.float32)
    c(chaingrad.tensor(x)).pow(2).sum().backward()
    t(torch.tensor(x)).pow(2).sum().backward()
    for i in (0, 1):
        a = getattr(c.parametrizations.weight, f"original{i}")
        b = getattr(t.parametrizations.weight, f"original{i}")
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)
    # a checkpoint of the older weight_norm loads into it
    old = chaingrad.nn.Conv2d(2, 3, 3)
    with pytest.warns(FutureWarning):
        chaingrad.nn.utils.weight_norm(old, dim=dim)
    fresh = chaingrad.nn.utils.parametrizations.weight_norm(chaingrad.nn.Conv2d(2, 3, 3), dim=dim)
    fresh.load_state_dict(old.state_dict())
    np.testing.assert_allclose(fresh.weight.detach().numpy(), old.weight.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("make,kwargs", [(lambda lib: lib.nn.Linear(5, 4), {}),
                                         (lambda lib: lib.nn.Conv2d(2, 3, 3), dict(n_power_iterations=3)),
                                         (lambda lib: lib.nn.ConvTranspose2d(2, 3, 3), {}),
                                         (lambda lib: lib.nn.Linear(5, 4), dict(dim=1, eps=1e-6))])
def test_parametrizations_spectral_norm_draws_and_iterates_as_torch(make, kwargs):
    results = []
    for lib in (chaingrad, torch):
        lib.manual_seed(3)
        m = make(lib)
        lib.nn.utils.parametrizations.spectral_norm(m, **kwargs)
        p = m.parametrizations.weight[0]
        out = [p._u.numpy().copy(), p._v.numpy().copy(), m.weight.detach().numpy().copy()]
        m.eval()
        out.append(m.weight.detach().numpy().copy())
        out.append(lib.randn(3).numpy())  # the generator moved on as torch's
        results.append((out, list(m.state_dict()), _repr(m)))
    (ours, keys, rep), (theirs, tkeys, trep) = results
    assert keys == tkeys and rep == trep
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_spectral_norm_of_a_vector_normalizes_it():
    for lib in (chaingrad, torch):
        m = lib.nn.Linear(3, 1)
        lib.nn.utils.parametrizations.spectral_norm(m, "bias")
        np.testing.assert_allclose(np.abs(m.bias.detach().numpy()), [1.0], rtol=1e-6)


@pytest.mark.parametrize("shape,orthogonal_map,trivial", [((4, 4), None, True), ((4, 4), "cayley", True),
                                                         ((5, 3), "matrix_exp", True), ((3, 5), "cayley", True),
                                                         ((4, 4), "matrix_exp", False)])
def test_orthogonal_equals_torchs(shape, orthogonal_map, trivial):
    results = []
    for lib in (chaingrad, torch):
        lib.manual_seed(0)
        m = lib.nn.Linear(shape[1], shape[0])
        lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map=orthogonal_map, use_trivialization=trivial)
        w = m.weight
        (w * lib.arange(w.numel()).reshape(w.shape)).sum().backward()
        out = [w.detach().numpy().copy(), m.parametrizations.weight.original.grad.numpy()]
        q = w.detach().numpy()
        small = min(shape)
        np.testing.assert_allclose(q @ q.T if shape[0] < shape[1] else q.T @ q, np.eye(small), atol=1e-5)
        if trivial:
            target = np.linalg.qr(np.random.default_rng(1).standard_normal((max(shape), small)))[0]
            m.weight = lib.tensor((target if shape[0] >= shape[1] else target.T).astype(np.float32))
            out.append(m.weight.detach().numpy())
        else:
            with pytest.raises(NotImplementedError, match="use_trivialization=False"):
                m.weight = lib.eye(4)
        results.append((out, list(m.state_dict()), _repr(m)))
    (ours, keys, rep), (theirs, tkeys, trep) = results
    assert keys == tkeys and rep == trep
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)


def test_orthogonal_errors():
    _err(lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), "bias"))
    _err(lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), orthogonal_map="qr"))
    with pytest.raises(NotImplementedError, match="orthogonal_map='householder'"):
        chaingrad.nn.utils.parametrizations.orthogonal(chaingrad.nn.Linear(3, 4))
