"""Elementwise ops: values and gradients equal PyTorch's (float64 tight, float32 loose), equal central finite
differences (float64), broadcasting in both directions, Python scalars on either side, and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array

# name -> (fn(lib, x), domain of x)
UNARY = {
    "neg": (lambda m, x: m.neg(x), "any"),
    "-x": (lambda m, x: -x, "any"),
    "abs": (lambda m, x: m.abs(x), "nonzero"),
    "exp": (lambda m, x: m.exp(x), "any"),
    "log": (lambda m, x: m.log(x), "pos"),
    "log1p": (lambda m, x: m.log1p(x), "unit"),
    "expm1": (lambda m, x: m.expm1(x), "any"),
    "log2": (lambda m, x: m.log2(x), "pos"),
    "log10": (lambda m, x: m.log10(x), "pos"),
    "sqrt": (lambda m, x: m.sqrt(x), "pos"),
    "rsqrt": (lambda m, x: m.rsqrt(x), "pos"),
    "square": (lambda m, x: m.square(x), "any"),
    "reciprocal": (lambda m, x: m.reciprocal(x), "nonzero"),
    "sin": (lambda m, x: m.sin(x), "any"),
    "cos": (lambda m, x: m.cos(x), "any"),
    "tan": (lambda m, x: m.tan(x), "unit"),
    "tanh": (lambda m, x: m.tanh(x), "any"),
    "sinh": (lambda m, x: m.sinh(x), "any"),
    "cosh": (lambda m, x: m.cosh(x), "any"),
    "sigmoid": (lambda m, x: m.sigmoid(x), "any"),
    "relu": (lambda m, x: m.relu(x), "nonzero"),
    "sign": (lambda m, x: m.sign(x), "nonzero"),
    "floor": (lambda m, x: m.floor(x), "nonzero"),
    "ceil": (lambda m, x: m.ceil(x), "nonzero"),
    "round": (lambda m, x: m.round(x), "nonzero"),
    "trunc": (lambda m, x: m.trunc(x), "nonzero"),
    "clamp_both": (lambda m, x: m.clamp(x, -0.5, 0.7), "any"),
    "clamp_min": (lambda m, x: m.clamp(x, min=0.3), "any"),
    "clamp_max": (lambda m, x: x.clamp(max=-0.3), "any"),
    "clip": (lambda m, x: m.clip(x, -1, 1), "any"),
    "pow_int": (lambda m, x: x ** 3, "any"),
    "pow_float": (lambda m, x: x ** 2.5, "pos"),
    "pow_neg": (lambda m, x: x ** -2, "nonzero"),
    "pow_zero": (lambda m, x: x ** 0, "any"),
    "rpow": (lambda m, x: 2 ** x, "any"),
    "pow_fn": (lambda m, x: m.pow(x, 2), "any"),
    "add_scalar": (lambda m, x: x + 2, "any"),
    "radd_scalar": (lambda m, x: 2.5 + x, "any"),
    "sub_scalar": (lambda m, x: x - 1.5, "any"),
    "rsub_scalar": (lambda m, x: 1 - x, "any"),
    "mul_scalar": (lambda m, x: x * 3, "any"),
    "rmul_scalar": (lambda m, x: -0.5 * x, "any"),
    "div_scalar": (lambda m, x: x / 4, "any"),
    "rdiv_scalar": (lambda m, x: 3 / x, "nonzero"),
    "mod_scalar": (lambda m, x: x % 0.7, "nonzero"),
    "add_alpha": (lambda m, x: m.add(x, x, alpha=2), "any"),
    "sub_alpha": (lambda m, x: m.sub(x, 1.0, alpha=3), "any"),
    "pos": (lambda m, x: +x, "any"),
}
# derivatives that are 0 almost everywhere, or with jumps (finite differences would straddle them)
NO_FD = {"sign", "floor", "ceil", "round", "trunc"}

# name -> (fn(lib, a, b), domain of a, domain of b)
BINARY = {
    "add": (lambda m, a, b: a + b, "any", "any"),
    "sub": (lambda m, a, b: a - b, "any", "any"),
    "mul": (lambda m, a, b: a * b, "any", "any"),
    "div": (lambda m, a, b: a / b, "any", "nonzero"),
    "true_divide": (lambda m, a, b: m.true_divide(a, b), "any", "nonzero"),
    "pow": (lambda m, a, b: a ** b, "pos", "any"),
    "pow_fn": (lambda m, a, b: m.pow(a, b), "pos", "any"),
    "maximum": (lambda m, a, b: m.maximum(a, b), "any", "any"),
    "minimum": (lambda m, a, b: m.minimum(a, b), "any", "any"),
    "max_ab": (lambda m, a, b: m.max(a, b), "any", "any"),
    "min_ab": (lambda m, a, b: m.min(a, b), "any", "any"),
    "remainder": (lambda m, a, b: m.remainder(a, b), "any", "pos"),
    "mod": (lambda m, a, b: a % b, "any", "nonzero"),
    "where": (lambda m, a, b: m.where(a > 0, a, b), "nonzero", "any"),
    "tensor_where": (lambda m, a, b: a.where(b > 0, b), "any", "nonzero"),
    "add_method": (lambda m, a, b: a.add(b), "any", "any"),
    "mul_method": (lambda m, a, b: a.mul(b), "any", "any"),
    "div_method": (lambda m, a, b: a.div(b), "any", "nonzero"),
    "sub_method": (lambda m, a, b: a.sub(b), "any", "any"),
    "div_floor": (lambda m, a, b: m.div(a, b, rounding_mode="floor"), "any", "nonzero"),
    "div_trunc": (lambda m, a, b: m.div(a, b, rounding_mode="trunc"), "any", "nonzero"),
    "clamp_tensor": (lambda m, a, b: m.clamp(a, min=b), "any", "any"),
    "clamp_max_tensor": (lambda m, a, b: a.clamp(max=b), "any", "any"),
    "chain": (lambda m, a, b: (a * b).tanh() + (a - b).exp() / (1 + b * b), "any", "any"),
}
NO_FD_BINARY = {"div_floor", "div_trunc", "remainder", "mod"}

SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), (1,)), ((2, 3), ())]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch(name, dtype):
    fn, domain = UNARY[name]
    rng = np.random.default_rng(0)
    compare_with_torch(fn, [rand_array(rng, (3, 4), domain)], dtype=dtype)
    compare_with_torch(fn, [rand_array(rng, (), domain)], dtype=dtype)


@pytest.mark.parametrize("name", sorted(set(UNARY) - NO_FD))
def test_unary_matches_finite_differences(name):
    fn, domain = UNARY[name]
    check_finite_differences(fn, [rand_array(np.random.default_rng(1), (2, 3), domain)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_torch(name, shapes, dtype):
    fn, da, db = BINARY[name]
    rng = np.random.default_rng(2)
    compare_with_torch(fn, [rand_array(rng, shapes[0], da), rand_array(rng, shapes[1], db)], dtype=dtype)


@pytest.mark.parametrize("name", sorted(set(BINARY) - NO_FD_BINARY))
def test_binary_matches_finite_differences(name):
    fn, da, db = BINARY[name]
    rng = np.random.default_rng(3)
    check_finite_differences(fn, [rand_array(rng, (2, 3), da), rand_array(rng, (3,), db)])


@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       name=st.sampled_from(["add", "sub", "mul", "div", "pow", "maximum", "where", "chain"]),
       seed=st.integers(0, 2**16))
def test_binary_broadcasting_property(shapes, name, seed):
    fn, da, db = BINARY[name]
    rng = np.random.default_rng(seed)
    a, b = rand_array(rng, shapes.input_shapes[0], da), rand_array(rng, shapes.input_shapes[1], db)
    compare_with_torch(fn, [a, b])


@settings(max_examples=20, deadline=None)
@given(values=st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=6),
       name=st.sampled_from(["exp", "tanh", "sigmoid", "sin", "square", "expm1", "clamp_both", "mul_scalar"]))
def test_unary_on_hypothesis_values(values, name):
    fn, _ = UNARY[name]
    compare_with_torch(fn, [np.array(values)])


def test_floor_divide_values_like_torch_and_its_backward_is_not_implemented():
    rng = np.random.default_rng(4)
    a, b = rand_array(rng, (3, 4), "any"), rand_array(rng, (4,), "nonzero")
    compare_with_torch(lambda m, a, b: (a // b, a // 0.7, 3 // b, m.floor_divide(a, b)), [a, b], check_grad=False)
    for lib in (cg, torch):
        x = lib.tensor(a, requires_grad=True)
        y = x // 2
        assert y.requires_grad
        with pytest.raises(RuntimeError, match="floor_divide"):
            y.sum().backward()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_is_stable_for_large_inputs(dtype):
    values = [-1000.0, -710.0, -100.0, -88.8, -88.0, -30.0, 0.0, 30.0, 1000.0]
    x = cg.tensor(values, dtype=getattr(cg, dtype), requires_grad=True)
    t = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exp's overflow is silent, as in torch
        y = cg.sigmoid(x)
        y.sum().backward()
    torch.sigmoid(t).sum().backward()
    # where exp(-x) overflows to inf both give exactly 0, the value and the gradient; elsewhere equal to rounding
    expected = torch.sigmoid(t).detach().numpy()
    np.testing.assert_array_equal(y.detach().numpy() == 0, expected == 0)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-6, atol=0)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=0)


def test_float16_sigmoid_computes_in_float32_as_torch():
    x0 = np.linspace(-20, 20, 2001).astype(np.float16)
    x, t = cg.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    cg.sigmoid(x).sum().backward()
    torch.sigmoid(t).sum().backward()
    np.testing.assert_array_equal(cg.sigmoid(x).detach().numpy(), torch.sigmoid(t).detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_ties_of_maximum_and_minimum_split_the_gradient_like_torch():
    def fn(m, a, b):
        return m.maximum(a, b) * 2 + m.minimum(a, b) * 3
    compare_with_torch(fn, [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])])


def test_relu_and_abs_gradient_at_zero_like_torch():
    compare_with_torch(lambda m, x: m.relu(x) + m.abs(x) * 2, [np.array([-1.0, 0.0, 1.0])])


def test_clamp_gradient_at_the_bounds_like_torch():
    compare_with_torch(lambda m, x: m.clamp(x, -1.0, 1.0), [np.array([-2.0, -1.0, 0.0, 1.0, 2.0])])


def test_clamp_by_two_tensors_matches_torch_and_finite_differences():
    """One ClampBackward0 node with gradients for x, min and max; where min > max the result is max (and max
    takes the gradient), as torch."""
    rng = np.random.default_rng(4)
    x, lo, hi = rng.standard_normal((3, 4)), rng.standard_normal(4) - 0.5, rng.standard_normal((3, 1)) + 0.5
    assert (lo[None, :] > hi).any() and (lo[None, :] < hi).any()
    fn = lambda m, x, lo, hi: m.clamp(x, lo, hi)  # noqa: E731
    for dtype in (np.float32, np.float64):
        compare_with_torch(fn, [x, lo, hi], dtype=dtype)
    check_finite_differences(fn, [x, lo, hi])
    mixed = lambda m, x, lo: m.clamp(x.float(), lo.double())  # noqa: E731 - promoted in the node, no cast of x
    compare_with_torch(mixed, [x, lo])
    y = mixed(cg, cg.tensor(x, requires_grad=True), cg.tensor(lo))
    assert y.dtype is cg.float64 and type(y.grad_fn).__name__ == "ClampBackward0"


def test_clamp_by_tensors_double_backward_like_torch():
    rng = np.random.default_rng(5)
    x, lo = rng.standard_normal(5), rng.standard_normal(5)

    def second(m):
        a, b = m.tensor(x, requires_grad=True), m.tensor(lo, requires_grad=True)
        (ga,) = m.autograd.grad((m.clamp(a, b) ** 2).sum(), [a], create_graph=True)
        ga.sum().backward()
        return ga.detach().numpy(), a.grad.numpy(), b.grad.numpy()

    for ours, theirs in zip(second(cg), second(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_pow_gradient_at_zero_base_like_torch():
    compare_with_torch(lambda m, x: x ** 2 + x ** 0, [np.array([0.0, 1.0, -2.0])])
    compare_with_torch(lambda m, a, b: a ** b, [np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.0, 0.5])])


def test_comparisons_and_logic_return_bool_without_grad():
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        def fn(m, a, b, op=op):
            return getattr(m, op)(a, b), getattr(a, op)(0.5), getattr(m, op)(a, 1)
        compare_with_torch(fn, [np.array([0.0, 0.5, 1.0, 2.0]), np.array([0.5, 0.5, 2.0, 1.0])], check_grad=False)

    def ops(m, a, b):
        p, q = a > 0.5, b > 0.5
        return (a == b, a != b, a < b, a <= b, a > b, a >= b, m.logical_and(p, q), m.logical_or(p, q),
                m.logical_xor(p, q), m.logical_not(p), p & q, p | q, p ^ q, ~p, m.isnan(a / b * 0),
                m.isfinite(1 / a), m.isinf(1 / a))
    compare_with_torch(ops, [np.array([0.0, 0.5, 1.0, 2.0]), np.array([0.5, 0.5, 2.0, 1.0])], check_grad=False)


def test_integer_arithmetic_like_torch():
    a, b = np.array([7, -7, 5, 0]), np.array([2, 3, -2, 4])

    def fn(m, a, b):
        return (a + b, a - b, a * b, a / b, a // b, a % b, a ** 2, -a, m.abs(a), a + 1.5, a * 2, 2 - a,
                a.exp(), a.sqrt(), m.div(a, b, rounding_mode="floor"), m.div(a, b, rounding_mode="trunc"),
                m.sigmoid(a), a.float() / 2, m.clamp(a, 0, 3), m.maximum(a, b), m.where(a > 0, a, b))
    compare_with_torch(fn, [a, b], check_grad=False)


def test_bool_arithmetic_like_torch():
    a, b = np.array([True, False, True]), np.array([True, True, False])
    compare_with_torch(lambda m, a, b: (a + b, a * b, a & b, a | b, a + 1, a * 2.5, a.sum()), [a, b],
                       check_grad=False)


def test_nan_and_inf_follow_ieee_like_torch():
    x = np.array([-1.0, 0.0, 1.0, np.inf, -np.inf, np.nan])
    compare_with_torch(lambda m, x: (m.log(x), m.sqrt(x), 1 / x, x / x, m.exp(x), m.tanh(x)), [x],
                       check_grad=False)


def test_where_accepts_scalars_and_promotes():
    def fn(m, a):
        return m.where(a > 0, a, 0.0), m.where(a > 0, 1.0, a), m.where(a > 0, a, m.zeros(()))
    compare_with_torch(fn, [np.array([-1.0, 2.0, -3.0])])


@pytest.mark.parametrize("pair", [(1.0, 0.0), (1, 0), (1, 0.5), (True, False), (2, True)])
def test_where_of_two_python_scalars_has_torchs_dtype(pair):
    """where(cond, 1.0, 0.0) used to come out float64; torch gives the default float dtype (ints: int64)."""
    cond = [True, False, True]
    ours = cg.where(cg.tensor(cond), *pair)
    theirs = torch.where(torch.tensor(cond), *pair)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    cg.set_default_dtype(cg.float64)  # the conftest fixture restores float32
    torch.set_default_dtype(torch.float64)
    try:
        assert (cg.where(cg.tensor(cond), 1.0, 0.0).dtype == cg.float64) == (
            torch.where(torch.tensor(cond), 1.0, 0.0).dtype == torch.float64)
    finally:
        torch.set_default_dtype(torch.float32)


def test_where_requires_bool_condition():
    x = cg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError):
        cg.where(cg.tensor([1, 0]), x, x)


def test_broadcast_shape_mismatch_raises():
    with pytest.raises(RuntimeError):
        cg.ones(3, 4) + cg.ones(3)
    with pytest.raises(RuntimeError):
        cg.ones(2, 3) * cg.ones(3, 2)


def test_negating_a_bool_tensor_raises_like_torch():
    with pytest.raises(RuntimeError):
        -cg.tensor([True, False])


def test_integer_to_negative_power_raises_like_torch():
    with pytest.raises(RuntimeError):
        cg.tensor([1, 2]) ** -1


def test_bitwise_on_floats_raises():
    with pytest.raises(RuntimeError):
        cg.tensor([1.0]) & cg.tensor([2.0])


def test_isclose_allclose_equal():
    a, b = cg.tensor([1.0, 2.0], dtype=cg.float64), cg.tensor([1.0, 2.0 + 1e-9], dtype=cg.float64)
    assert cg.allclose(a, b)
    assert a.isclose(b).all()
    assert cg.equal(a, a.clone())
    assert not cg.equal(a, b)
    assert not cg.equal(a, cg.tensor([1.0, 2.0, 3.0]))
