"""erf, erfc, erfinv, logit, xlogy, xlog1py, atan2, hypot, lerp, nan_to_num, clamp_min/clamp_max and the
chaingrad.special namespace equal PyTorch's: values (float32 within 2 ulp for the error functions), dtypes,
gradients, finite differences, second derivatives, node names, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array
from op_helpers import assert_raises_like_torch, assert_same_grad_fn, compare_second_derivatives

UNARY = {
    "erf": (lambda m, x: m.erf(x), "any"),
    "erfc": (lambda m, x: x.erfc(), "any"),
    "erfinv": (lambda m, x: m.erfinv(x), "unit"),
    "logit": (lambda m, x: m.logit(x * 0.5 + 0.5), "unit"),
    "logit_eps": (lambda m, x: x.logit(eps=0.2), "unit"),
    "nan_to_num": (lambda m, x: m.nan_to_num(x), "any"),
    "clamp_min": (lambda m, x: m.clamp_min(x, 0.3), "any"),
    "clamp_max": (lambda m, x: x.clamp_max(-0.2), "any"),
    "special_erf": (lambda m, x: m.special.erf(x), "any"),
    "special_expit": (lambda m, x: m.special.expit(x), "any"),
    "special_ndtr": (lambda m, x: m.special.ndtr(x), "any"),
    "special_ndtri": (lambda m, x: m.special.ndtri(x * 0.5 + 0.5), "unit"),
    "special_logit": (lambda m, x: m.special.logit(x * 0.5 + 0.5), "unit"),
    "special_log1p_expm1": (lambda m, x: m.special.log1p(x * x) + m.special.expm1(x), "any"),
    "special_logsumexp": (lambda m, x: m.special.logsumexp(x, 1), "any"),
    "special_softmax": (lambda m, x: m.special.softmax(x, 1) + m.special.log_softmax(x, 0), "any"),
}

BINARY = {
    "xlogy": (lambda m, x, y: m.xlogy(x, y), "any", "pos"),
    "xlogy_method": (lambda m, x, y: x.xlogy(y), "any", "pos"),
    "xlogy_scalar_self": (lambda m, x, y: m.xlogy(2.5, y) + x, "any", "pos"),
    "xlogy_scalar_other": (lambda m, x, y: m.xlogy(x, 3.0) * y, "any", "pos"),
    "xlog1py": (lambda m, x, y: m.special.xlog1py(x, y), "any", "pos"),
    "special_xlogy": (lambda m, x, y: m.special.xlogy(x, y), "any", "pos"),
    "atan2": (lambda m, x, y: m.atan2(x, y), "any", "nonzero"),
    "arctan2": (lambda m, x, y: m.arctan2(y, x), "nonzero", "any"),
    "atan2_broadcast": (lambda m, x, y: x.atan2(y[:1]), "any", "nonzero"),
    "hypot": (lambda m, x, y: m.hypot(x, y), "nonzero", "nonzero"),
    "lerp_scalar": (lambda m, x, y: m.lerp(x, y, 0.3), "any", "any"),
    "lerp_scalar_far": (lambda m, x, y: x.lerp(y, 0.8), "any", "any"),
    "lerp_tensor": (lambda m, x, y: m.lerp(x, y, (x * y).sigmoid()), "any", "any"),
    "lerp_broadcast": (lambda m, x, y: m.lerp(x, y[0], y[1:2].sigmoid()), "any", "any"),
    "clamp_min_tensor": (lambda m, x, y: m.clamp_min(x, y), "any", "any"),
    "clamp_max_tensor": (lambda m, x, y: x.clamp_max(y[0]), "any", "any"),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch(name, dtype):
    fn, domain = UNARY[name]
    compare_with_torch(fn, [rand_array(np.random.default_rng(0), (3, 4), domain)], dtype=dtype)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_finite_differences(name):
    fn, domain = UNARY[name]
    check_finite_differences(fn, [rand_array(np.random.default_rng(1), (3, 4), domain)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_torch(name, dtype):
    fn, da, db = BINARY[name]
    rng = np.random.default_rng(2)
    compare_with_torch(fn, [rand_array(rng, (3, 4), da), rand_array(rng, (3, 4), db)], dtype=dtype)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_finite_differences(name):
    fn, da, db = BINARY[name]
    rng = np.random.default_rng(3)
    check_finite_differences(fn, [rand_array(rng, (3, 4), da), rand_array(rng, (3, 4), db)])


SMOOTH = ["erf", "erfc", "erfinv", "logit", "special_ndtri"]


@pytest.mark.parametrize("name", SMOOTH)
def test_unary_second_derivatives_match_torch(name):
    fn, domain = UNARY[name]
    compare_second_derivatives(fn, [rand_array(np.random.default_rng(4), (3, 4), domain)])


@pytest.mark.parametrize("name", ["xlogy", "xlog1py", "atan2", "hypot", "lerp_tensor"])
def test_binary_second_derivatives_match_torch(name):
    fn, da, db = BINARY[name]
    rng = np.random.default_rng(5)
    compare_second_derivatives(fn, [rand_array(rng, (3, 4), da), rand_array(rng, (3, 4), db)])


def test_error_functions_in_float32_are_within_2_ulp_of_torch():
    x = np.linspace(-6, 6, 20001).astype(np.float32)
    u = np.linspace(-0.9999, 0.9999, 20001).astype(np.float32)
    for name, a in (("erf", x), ("erfc", x[x < 4]), ("erfinv", u)):
        ours = getattr(cg, name)(cg.tensor(a)).numpy()
        theirs = getattr(torch, name)(torch.tensor(a)).numpy()
        np.testing.assert_array_max_ulp(ours, theirs, maxulp=2)


def test_special_values_match_torch():
    compare_with_torch(lambda m, x: m.erfinv(x), [np.array([-1.0, 1.0, 0.0, 1.5, -2.0])], check_grad=False)
    compare_with_torch(lambda m, x: (m.logit(x), m.logit(x, eps=0.1)), [np.array([0.0, 0.5, 1.0, 1.5, -0.1])],
                       check_grad=False)
    compare_with_torch(lambda m, x, y: m.xlogy(x, y), [np.array([0.0, 0.0, 1.0, np.nan, 2.0]),
                                                       np.array([0.0, np.nan, 0.0, 1.0, -1.0])], check_grad=False)
    x = np.array([np.nan, np.inf, -np.inf, 1.5])
    for kw in ({}, {"nan": 1.0}, {"nan": 1.0, "posinf": 2.0, "neginf": -3.0}):
        compare_with_torch(lambda m, t, kw=kw: m.nan_to_num(t, **kw), [x], dtype=np.float32)
        compare_with_torch(lambda m, t, kw=kw: t.nan_to_num(**kw), [x])
    compare_with_torch(lambda m, t: m.nan_to_num(t), [np.array([1, 2])])


def test_gradients_at_the_special_points_match_torch():
    zero = np.zeros(2)
    compare_with_torch(lambda m, x, y: m.xlogy(x, y), [np.array([0.0, 0.5]), np.array([0.0, 2.0])])
    compare_with_torch(lambda m, x, y: m.atan2(x, y), [zero, zero])
    compare_with_torch(lambda m, x, y: m.hypot(x, y), [zero, zero])
    compare_with_torch(lambda m, x, y: m.clamp_min(x, y), [np.array([0.3, 0.3]), np.array([0.3, 0.2])])
    compare_with_torch(lambda m, x: m.nan_to_num(x * 1.0), [np.array([np.nan, np.inf, 2.0])])


def test_integer_inputs_follow_torch_promotion():
    i = np.array([1, 2, 0])
    for fn in (lambda m, t: m.erf(t), lambda m, t: m.erfc(t), lambda m, t: m.erfinv(t), lambda m, t: m.logit(t),
               lambda m, t: m.atan2(t, t), lambda m, t: m.xlogy(t, t), lambda m, t: m.clamp_min(t, 1),
               lambda m, t: m.clamp_max(t, 1.5), lambda m, t: m.atan2(t.double(), t)):
        compare_with_torch(fn, [i])


def test_in_place_versions_match_torch():
    for fn in (lambda m, x: x.clone().erf_(), lambda m, x: (x * 1).clamp_min_(0.1), lambda m, x: (x * 1).lerp_(x, 0.5),
               lambda m, x: (x * 0.1).logit_(), lambda m, x: (x + 1).hypot_(x)):
        compare_with_torch(fn, [rand_array(np.random.default_rng(6), (2, 3), "unit")])


def test_ops_name_their_nodes_as_torch():
    a = [rand_array(np.random.default_rng(7), (3,), "unit")]
    for fn in (lambda m, x: m.erf(x), lambda m, x: m.erfc(x), lambda m, x: m.erfinv(x), lambda m, x: m.logit(x),
               lambda m, x: m.xlogy(x, x), lambda m, x: m.xlogy(2, x), lambda m, x: m.xlogy(x, 2),
               lambda m, x: m.atan2(x, x), lambda m, x: m.hypot(x, x), lambda m, x: m.lerp(x, x, 0.5),
               lambda m, x: m.lerp(x, x, x), lambda m, x: m.nan_to_num(x), lambda m, x: m.clamp_min(x, 0.1),
               lambda m, x: m.clamp_min(x, x), lambda m, x: m.clamp_max(x, 0.1), lambda m, x: m.special.xlog1py(x, x)):
        assert_same_grad_fn(fn, a)


def test_bad_arguments_raise_like_torch():
    f = np.array([0.5, 0.2])
    i = np.array([1, 2])
    assert_raises_like_torch(lambda m, x: m.atan2(x, 2), f, match="Tensor")
    assert_raises_like_torch(lambda m, x: m.hypot(x, 2), f, match="Tensor")
    assert_raises_like_torch(lambda m, x: m.hypot(x, x), i, match="Long")
    assert_raises_like_torch(lambda m, x: m.lerp(x, x, 0.5), i, match="Long")
    assert_raises_like_torch(lambda m, x: m.lerp(x, x.double(), 0.5), f.astype(np.float32), match="end")
    assert_raises_like_torch(lambda m, x: m.erf([0.5]), f, match="Tensor")
    assert_raises_like_torch(lambda m, x: m.atan2(x, x[:1].expand(3)), f)
