"""Activations as torch records them: one node each with torch's name (``SiluBackward0``, ``EluBackward1`` for
the in-place elu ...), torch's values and gradients, including at the kinks (hardtanh, relu6, threshold,
hardswish, hardsigmoid and the shrinks at their exact bounds), and second derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg

POINTS = [-1000.0, -7.0, -3.5, -3.0, -1.0, -0.5, -0.1, 0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 6.5, 25.0, 1000.0]


def _call(lib, name: str, x, inplace: bool):
    F = lib.nn.functional
    kw = dict(inplace=True) if inplace else {}
    if name == "threshold":
        return F.threshold(x, 0.5, -2.0, **kw)
    if name == "prelu":
        return F.prelu(x, lib.tensor([0.25, -0.5, 2.0], dtype=x.dtype))
    if name == "glu":
        return F.glu(x, 0)
    if name in ("softshrink", "hardshrink"):
        return getattr(F, name)(x, 0.5)
    if name == "gelu_tanh":
        return F.gelu(x, approximate="tanh")
    if name == "celu":
        return F.celu(x, 0.7, **kw)
    if name == "elu":
        return F.elu(x, 1.3, **kw)
    if name == "hardtanh":
        return F.hardtanh(x, -1.0, 2.0, **kw)
    return getattr(F, name)(x, **kw)


INPLACE = ["relu6", "elu", "selu", "celu", "silu", "mish", "hardsigmoid", "hardswish", "hardtanh", "threshold",
           "leaky_relu"]
CASES = [(n, False) for n in INPLACE + ["logsigmoid", "softshrink", "hardshrink", "glu", "prelu", "gelu_tanh"]]
CASES += [(n, True) for n in INPLACE]


def _run(lib, name, inplace, dtype):
    data = np.array(POINTS * 2, dtype=dtype).reshape(2, 3, 6)
    w = lib.tensor(data, requires_grad=True)
    x = w * 1.0
    y = _call(lib, name, x, inplace)
    weights = lib.tensor(np.linspace(-1.0, 2.0, y.numel()).reshape(tuple(y.shape)).astype(dtype))
    (y * weights).sum().backward()
    return type(y.grad_fn).__name__, y.detach().numpy().copy(), w.grad.numpy().copy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,inplace", CASES, ids=lambda v: str(v))
def test_node_name_values_and_gradient_are_torchs(name, inplace, dtype):
    t_name, t_y, t_g = _run(torch, name, inplace, dtype)
    c_name, c_y, c_g = _run(cg, name, inplace, dtype)
    assert c_name == t_name
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(c_y, t_y, **tol)
    np.testing.assert_allclose(c_g, t_g, **tol)
    assert c_y.dtype == t_y.dtype


SMOOTH = ["elu", "selu", "celu", "silu", "mish", "logsigmoid", "glu", "gelu_tanh"]


@pytest.mark.parametrize("name", SMOOTH)
def test_second_derivatives_match_torch(name):
    data = np.array([-2.0, -0.7, -0.2, 0.3, 0.9, 1.7], np.float64).reshape(2, 3)
    if name == "glu":
        data = np.array([-2.0, -0.7, -0.2, 0.3, 0.9, 1.7, 0.4, -1.1], np.float64).reshape(4, 2)
    out = []
    for lib in (torch, cg):
        x = lib.tensor(data, requires_grad=True)
        y = _call(lib, name, x, False)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        out.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-12)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", SMOOTH + ["hardswish", "hardsigmoid", "softshrink", "prelu"])
def test_gradcheck_in_float64(name):
    rng = np.random.default_rng(0)
    data = rng.uniform(-4, 4, (2, 3, 4))
    data[np.abs(np.abs(data) - 3) < 0.05] += 0.2  # away from the kinks
    data[np.abs(np.abs(data) - 0.5) < 0.05] += 0.2
    x = cg.tensor(data, requires_grad=True)
    assert cg.autograd.gradcheck(lambda t: _call(cg, name, t, False), (x,))


def test_prelu_channel_gradient_and_errors():
    out = []
    for lib in (torch, cg):
        x = lib.tensor(np.linspace(-2, 2, 24).reshape(2, 3, 4), requires_grad=True)
        w = lib.tensor([0.1, 0.2, 0.3], dtype=lib.float64, requires_grad=True)
        lib.nn.functional.prelu(x, w).pow(2).sum().backward()
        out.append((x.grad.numpy(), w.grad.numpy()))
        with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
            lib.nn.functional.prelu(x, lib.tensor([0.1, 0.2], dtype=lib.float64))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-13)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-13)


def test_bad_arguments_raise_like_torch():
    x = cg.ones(3, 5)
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        cg.nn.functional.glu(x, 1)
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0"):
        cg.nn.functional.softshrink(x, -1.0)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        cg.nn.functional.hardtanh(x, 2.0, 1.0)
    for lib in (torch,):
        with pytest.raises(RuntimeError):
            lib.nn.functional.glu(lib.ones(3, 5), 1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bounds", [(1 / 8, 1 / 3), (0.2, 0.7), (0.25, 0.25)])
def test_rrelu_draws_torchs_slopes_and_leaves_the_stream_as_torch(dtype, bounds):
    out = []
    for lib in (torch, cg):
        lib.manual_seed(3)
        x = lib.tensor(np.linspace(-3, 2, 301), dtype=getattr(lib, dtype), requires_grad=True)
        y = lib.nn.functional.rrelu(x * 1.0, *bounds, training=True)
        y.sum().backward()
        module = lib.nn.RReLU(*bounds)
        trained = module(x.detach() * 1.0)
        module.eval()
        evaluated = module(x.detach() * 1.0)
        z = x.detach() * 1.0
        inplace = lib.nn.functional.rrelu(z, *bounds, training=True, inplace=True)
        out.append([y.detach().numpy(), x.grad.numpy(), trained.numpy(), evaluated.numpy(), z.numpy(),
                    lib.rand(4).numpy(), type(y.grad_fn).__name__, type(inplace.grad_fn).__name__, inplace is z])
    for a, b in zip(*out):
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b


def test_inplace_functional_forms_and_shrink_modules():
    x = np.array([-2.0, -0.5, 0.3, 1.5], np.float32)
    calls = [("elu_", ()), ("selu_", ()), ("celu_", (2.0,)), ("leaky_relu_", (0.3,)), ("hardtanh_", (-0.4, 0.4)),
             ("threshold_", (0.0, 7.0))]
    for name, args in calls:
        t, c = torch.tensor(x), cg.tensor(x)
        assert getattr(cg.nn.functional, name)(c, *args) is c
        getattr(torch.nn.functional, name)(t, *args)
        np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=1e-6)
    for lib_mod, name, arg in [(torch.nn, "Softshrink", 0.4), (torch.nn, "Hardshrink", 0.4)]:
        want, got = getattr(lib_mod, name)(arg), getattr(cg.nn, name)(arg)
        assert repr(got) == repr(want)
        np.testing.assert_allclose(got(cg.tensor(x)).numpy(), want(torch.tensor(x)).numpy())
