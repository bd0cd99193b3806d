"""Elementwise functions of torch's namespace (ops/pointwise_more.py): values, dtypes, gradients and grad_fn
names as torch's, float64 finite differences, broadcasting and 0-d tensors, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch
from op_helpers import assert_raises_like_torch, assert_same_grad_fn

R = np.random.default_rng(1)
A, B, S = R.standard_normal((3, 4)), R.standard_normal(4), R.standard_normal(())
NONZERO = R.uniform(0.3, 2.0, (3, 4)) * R.choice([-1.0, 1.0], (3, 4))
E = np.array([1, 2, 0, 3])

CASES = [
    ("copysign", lambda T, a, b: T.copysign(a, b), [NONZERO, B]),
    ("copysign_number", lambda T, a: T.copysign(a, -1.0), [NONZERO]),
    ("copysign_0d", lambda T, a, b: a.copysign(b), [np.array(1.5), S]),
    ("deg2rad", lambda T, a: T.deg2rad(a), [A]),
    ("rad2deg", lambda T, a: a.rad2deg(), [S]),
    ("exp2", lambda T, a: T.exp2(a), [A]),
    ("fmax", lambda T, a, b: T.fmax(a, b), [A, B]),
    ("fmin", lambda T, a, b: T.fmin(a, b), [A, B]),
    ("fmax_nan", lambda T, a, b: T.fmax(a, b), [np.array([1.0, np.nan, np.nan, 2.0]),
                                                np.array([np.nan, 3.0, np.nan, 2.0])]),
    ("fmin_nan_0d", lambda T, a, b: a.fmin(b), [np.array([1.0, np.nan]), np.array(0.5)]),
    ("sinc", lambda T, a: T.sinc(a), [A]),
    ("sinc_at_0", lambda T, a: T.sinc(a), [np.array([0.0, 1.0, -0.5])]),
    ("ldexp", lambda T, a, e: T.ldexp(a, e), [A, E]),
    ("ldexp_float_exponent", lambda T, a, e: T.ldexp(a, e), [A, B]),
    ("ldexp_0d", lambda T, a, e: a.ldexp(e), [S, np.array(3)]),
    ("float_power", lambda T, a, b: T.float_power(a, b), [np.abs(A) + 0.5, B]),
    ("float_power_number", lambda T, a: T.float_power(a, 2), [A]),
    ("float_power_base", lambda T, a: T.float_power(2, a), [A]),
    ("rsub", lambda T, a, b: T.rsub(a, b), [A, B]),
    ("rsub_alpha", lambda T, a, b: T.rsub(a, b, alpha=2), [A, B]),
    ("rsub_number", lambda T, a: T.rsub(a, 3.0), [A]),
    ("positive", lambda T, a: T.positive(a) * 1, [A]),
    ("fix", lambda T, a: T.fix(a), [A]),
    ("frexp", lambda T, a: T.frexp(a), [A * 10]),
]


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, arrays):
    for dtype in (np.float32, np.float64):
        compare_with_torch(fn, arrays, dtype=dtype)


SMOOTH = [c for c in CASES if c[0] not in ("fmax_nan", "fmin_nan_0d", "sinc_at_0", "fix")]


@pytest.mark.parametrize("name, fn, arrays", SMOOTH, ids=[c[0] for c in SMOOTH])
def test_gradients_match_finite_differences(name, fn, arrays):
    check_finite_differences(fn, arrays)


def test_ldexp_slope_for_negative_integer_exponents_is_two_to_the_e():
    # (torch 2.13 computes this slope as 2 ** e in integers, 0 for e < 0; the slope of x * 2^e is 2^e)
    check_finite_differences(lambda T, a, e: T.ldexp(a, e), [A, np.array([1, -2, 0, -1])])


def test_sinc_slope_at_zero_is_zero():
    x = cg.tensor([0.0], requires_grad=True)
    cg.sinc(x).sum().backward()
    assert float(x.grad[0]) == 0.0


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_grad_fn_names_are_torchs(name, fn, arrays):
    if name != "positive":
        assert_same_grad_fn(fn, arrays)


def test_positive_is_the_input_itself():
    t = cg.ones(2)
    assert cg.positive(t) is t and t.positive() is t


def test_heaviside_records_a_node_that_refuses_backward_as_torch():
    def fn(T, a, b):
        return T.heaviside(a, b)

    arrays = [np.array([-1.0, 0.0, 2.0]), np.array([0.5, 0.5, 0.5])]
    compare_with_torch(fn, arrays, check_grad=False)
    assert_same_grad_fn(fn, arrays)
    for lib in (cg, torch):
        x = lib.tensor(arrays[0], requires_grad=True)
        with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
            fn(lib, x, lib.tensor(arrays[1])).sum().backward()


def test_nextafter_matches_torch_with_its_identity_gradient():
    def fn(T, a, b):
        return T.nextafter(a, b)

    for arrays in ([A, B], [np.array([1.0, 0.0, -2.0]), np.array(np.inf)]):
        compare_with_torch(fn, arrays)
        compare_with_torch(fn, arrays, dtype=np.float32)
        assert_same_grad_fn(fn, arrays)


def test_integer_and_bool_functions():
    a, b = np.array([4, -6, 0, 9]), np.array([6, 9, 5, 0])
    for fn in (lambda T, x, y: T.gcd(x, y), lambda T, x, y: T.lcm(x, y), lambda T, x, y: x.gcd(y),
               lambda T, x, y: T.signbit(x), lambda T, x, y: T.fmax(x, y), lambda T, x, y: T.deg2rad(x),
               lambda T, x, y: T.exp2(x), lambda T, x, y: T.copysign(x, y), lambda T, x, y: T.float_power(x, y),
               lambda T, x, y: T.rsub(x, y), lambda T, x, y: T.ldexp(x, y), lambda T, x, y: T.sinc(x),
               lambda T, x, y: T.heaviside(x, y), lambda T, x, y: T.fix(x)):
        compare_with_torch(fn, [a, b])
    compare_with_torch(lambda T, x: T.signbit(x), [np.array([-0.0, 0.0, -2.0, np.nan])])
    compare_with_torch(lambda T, x: x.nextafter(T.tensor([np.inf, -np.inf])), [np.array([1.0, 0.0], np.float32)])


@pytest.mark.parametrize("name", ["copysign", "deg2rad", "rad2deg", "exp2", "sinc", "fix"])
def test_inplace_forms(name):
    a = R.standard_normal(5)
    ours, theirs = cg.tensor(a), torch.tensor(a)
    args = (cg.tensor(-a),) if name == "copysign" else ()
    targs = (torch.tensor(-a),) if name == "copysign" else ()
    assert getattr(ours, name + "_")(*args) is ours
    getattr(theirs, name + "_")(*targs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    if hasattr(torch, name + "_"):
        assert getattr(cg, name + "_")(ours, *args) is ours


def test_integer_inplace_forms():
    ours, theirs = cg.tensor([4, 6]), torch.tensor([4, 6])
    ours.gcd_(cg.tensor([6, 9]))
    theirs.gcd_(torch.tensor([6, 9]))
    assert ours.tolist() == theirs.tolist()
    cg.lcm_(ours, cg.tensor([4, 4]))
    torch.lcm_(theirs, torch.tensor([4, 4]))
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("fn", [
    lambda T: T.gcd(T.ones(2), T.ones(2)), lambda T: T.lcm(T.tensor([True]), T.tensor([True])),
    lambda T: T.frexp(T.tensor([1, 2])), lambda T: T.positive(T.tensor([True])),
    lambda T: T.heaviside(T.ones(2), T.ones(2, dtype=T.int64)),
    lambda T: T.nextafter(T.tensor([1]), T.tensor([2])), lambda T: T.fmax(T.ones(2), T.ones(3)),
    lambda T: T.copysign([1.0], T.ones(1)), lambda T: T.rsub(T.tensor([True]), T.tensor([True])),
    lambda T: T.exp2_(T.tensor([1, 2])),
])
def test_errors_are_torchs(fn):
    assert_raises_like_torch(fn)
