"""asin, acos, atan, asinh, acosh, atanh (with the arc* names and in-place twins) and addcmul / addcdiv (with
theirs) equal PyTorch's: values in float64 and float32, gradients, finite differences, second derivatives,
node names, broadcasting, integer promotion, out=, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array
from op_helpers import assert_same_grad_fn, compare_second_derivatives

TRIG = {
    "asin": (lambda m, x: m.asin(x), "unit"),
    "acos": (lambda m, x: x.acos(), "unit"),
    "atan": (lambda m, x: m.atan(x), "any"),
    "asinh": (lambda m, x: x.asinh(), "any"),
    "acosh": (lambda m, x: m.acosh(x * x + 1.2), "any"),
    "atanh": (lambda m, x: m.atanh(x), "unit"),
    "arcsin": (lambda m, x: m.arcsin(x) + x.arccos(), "unit"),
    "arctan": (lambda m, x: m.arctan(x) + x.arcsinh() + m.arccosh(x * x + 2) + x.arctanh() * 0, "unit"),
}

ADDC = {
    "addcmul": lambda m, a, b, c: m.addcmul(a, b, c),
    "addcmul_value": lambda m, a, b, c: a.addcmul(b, c, value=-0.3),
    "addcmul_broadcast": lambda m, a, b, c: m.addcmul(a[:1], b[:, :1], c, value=2),
    "addcdiv": lambda m, a, b, c: m.addcdiv(a, b, c),
    "addcdiv_value": lambda m, a, b, c: a.addcdiv(b, c, value=0.5),
    "addcdiv_broadcast": lambda m, a, b, c: m.addcdiv(a, b[0], c[:, 1:2], value=-1.5),
    "addcmul_inplace": lambda m, a, b, c: (a * 1).addcmul_(b, c, value=0.7),
    "addcdiv_inplace": lambda m, a, b, c: (a * 1).addcdiv_(b, c, value=-0.2),
}


def _addc_arrays(seed):
    rng = np.random.default_rng(seed)
    return [rand_array(rng, (3, 4)), rand_array(rng, (3, 4)), rand_array(rng, (3, 4), "nonzero")]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(TRIG))
def test_inverse_trig_matches_torch(name, dtype):
    fn, domain = TRIG[name]
    x = [rand_array(np.random.default_rng(0), (3, 4), domain)]
    compare_with_torch(fn, x, dtype=dtype)
    assert_same_grad_fn(fn, x)


@pytest.mark.parametrize("name", sorted(TRIG))
def test_inverse_trig_matches_finite_differences_and_second_derivatives(name):
    fn, domain = TRIG[name]
    check_finite_differences(fn, [rand_array(np.random.default_rng(1), (3, 4), domain)])
    compare_second_derivatives(fn, [rand_array(np.random.default_rng(2), (3, 4), domain)])


def test_inverse_trig_edges_integers_and_in_place_match_torch():
    edge = [np.array([-1.0, 1.0, 0.0, 1.5, -2.0, 0.999999])]
    for name in ("asin", "acos", "atan", "asinh", "acosh", "atanh"):
        compare_with_torch(lambda m, x, n=name: getattr(m, n)(x), edge, check_grad=False)
        compare_with_torch(lambda m, x, n=name: getattr(m, n)(x), [np.array([0, 1, 2])], check_grad=False)
        if name in ("asinh", "acosh", "atanh"):  # torch's in-place versions have no derivative
            x = np.array([1.2, 1.4, 1.9]) if name == "acosh" else np.array([0.2, -0.4, 0.9])
            compare_with_torch(lambda m, x, n=name: getattr(x * 0.5 + 0.5, n + "_")(), [x], check_grad=False)
            for lib in (torch, cg):
                y = getattr(lib.tensor(x, requires_grad=True) * 1, name + "_")()
                assert y.grad_fn.name() == name.capitalize() + "Backward1"
                with pytest.raises(NotImplementedError, match=f"the derivative for 'inplace version of {name}'"):
                    y.sum().backward()
        else:
            compare_with_torch(lambda m, x, n=name: getattr(x * 0.5, n + "_")(), [np.array([0.2, -0.4, 0.9])])
        outs = []
        for lib in (torch, cg):
            out = lib.empty(3, dtype=lib.float64)
            assert getattr(lib, name)(lib.tensor([0.2, -0.4, 0.9]), out=out) is out
            outs.append(out.numpy())
        np.testing.assert_allclose(outs[1], outs[0], rtol=3e-7)  # (computed in float32: one ulp)
    for lib in (torch, cg):
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            lib.tensor([1, 2]).asin_()
        with pytest.raises(TypeError):
            lib.asin(0.5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(ADDC))
def test_addcmul_addcdiv_match_torch(name, dtype):
    compare_with_torch(ADDC[name], _addc_arrays(3), dtype=dtype)
    assert_same_grad_fn(ADDC[name], _addc_arrays(3))


@pytest.mark.parametrize("name", sorted(ADDC))
def test_addcmul_addcdiv_match_finite_differences_and_second_derivatives(name):
    check_finite_differences(ADDC[name], _addc_arrays(4))
    compare_second_derivatives(ADDC[name], _addc_arrays(5))


def test_addc_dtypes_out_and_errors_match_torch():
    i = [np.array([1, 2, 3]), np.array([4, 5, 6]), np.array([2, 2, 2])]
    compare_with_torch(lambda m, a, b, c: m.addcmul(a, b, c, value=2), i)
    compare_with_torch(lambda m, a, b, c: m.addcmul(a, b, c, value=0.5), i)  # (torch casts value to the ints')
    compare_with_torch(lambda m, a, b, c: m.addcdiv(a, b.double(), c), i)
    outs = []
    for lib in (torch, cg):
        out = lib.empty(3)
        assert lib.addcdiv(*(lib.tensor(x * 1.0) for x in i), value=2, out=out) is out
        outs.append(out.numpy())
    np.testing.assert_array_equal(outs[1], outs[0])
    for lib in (torch, cg):
        a, b, c = (lib.tensor(x) for x in i)
        with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
            lib.addcdiv(a, b, c)
        with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
            lib.addcdiv(a.double(), b, c)  # (the two tensors' dtypes decide)
        with pytest.raises(RuntimeError):
            lib.addcmul(lib.ones(2), lib.ones(3), lib.ones(2))
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            lib.ones(2, requires_grad=True).addcmul_(lib.ones(2), lib.ones(2))


def test_the_hand_written_adam_update_with_addcmul_and_addcdiv_matches_torch_optim():
    """exp_avg.lerp_(grad, 1 - b1); exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2);
    p.addcdiv_(exp_avg, denom, value=-step_size): the update torch.optim.Adam makes."""
    w0 = np.random.default_rng(6).standard_normal((3, 2))
    theirs = torch.tensor(w0, requires_grad=True)
    opt = torch.optim.Adam([theirs], lr=0.1)
    ours = cg.tensor(w0, requires_grad=True)
    m, v = cg.zeros_like(ours), cg.zeros_like(ours)
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    for step in range(1, 4):
        (theirs ** 3).sum().backward()
        opt.step()
        opt.zero_grad()
        (ours ** 3).sum().backward()
        with cg.no_grad():
            g = ours.grad
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v.sqrt() / (1 - b2 ** step) ** 0.5).add_(eps)
            ours.addcdiv_(m, denom, value=-lr / (1 - b1 ** step))
        ours.grad = None
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
