"""cumprod, logcumsumexp, cummax, cummin and diff equal PyTorch's: values, indices, dtypes, gradients (also
through zeros for cumprod), finite differences, second derivatives and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array
from op_helpers import assert_raises_like_torch, assert_same_grad_fn, compare_second_derivatives


def with_zeros(seed=0):
    x = rand_array(np.random.default_rng(seed), (3, 5))
    x[0, 2] = x[1, 1] = x[1, 3] = x[2, 4] = 0.0
    return x


SCANS = {
    "cumprod": lambda m, x, d: m.cumprod(x, d),
    "cumprod_method": lambda m, x, d: x.cumprod(dim=d),
    "cumprod_inplace": lambda m, x, d: (x * 1).cumprod_(d),
    "logcumsumexp": lambda m, x, d: m.logcumsumexp(x * 3, d),
    "cummax": lambda m, x, d: m.cummax(x, d),
    "cummin": lambda m, x, d: x.cummin(d),
    "diff": lambda m, x, d: m.diff(x, dim=d),
    "diff_2": lambda m, x, d: x.diff(2, d),
    "diff_prepend_append": lambda m, x, d: m.diff(x, 1, d, prepend=x * 2, append=x[:1] if d == 0 else x[:, :1]),
}


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(SCANS))
def test_scans_match_torch(name, dtype, dim):
    compare_with_torch(lambda m, x: SCANS[name](m, x, dim), [rand_array(np.random.default_rng(1), (3, 5))],
                       dtype=dtype)


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("name", sorted(SCANS))
def test_scans_match_finite_differences(name, dim):
    check_finite_differences(lambda m, x: SCANS[name](m, x, dim), [rand_array(np.random.default_rng(2), (3, 5))])


@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_gradient_through_zeros_matches_torch(dim):
    compare_with_torch(lambda m, x: m.cumprod(x, dim), [with_zeros()])
    check_finite_differences(lambda m, x: m.cumprod(x, dim), [with_zeros()])
    compare_second_derivatives(lambda m, x: m.cumprod(x, dim), [with_zeros()])


@pytest.mark.parametrize("name", ["cumprod", "logcumsumexp"])
def test_second_derivatives_match_torch(name):
    compare_second_derivatives(lambda m, x: SCANS[name](m, x, 1), [rand_array(np.random.default_rng(3), (3, 5))])


def test_logcumsumexp_does_not_overflow():
    x = np.array([[-1000.0, 0.0, 1000.0, 999.0], [5.0, -np.inf, 3.0, 2.0]])
    compare_with_torch(lambda m, t: m.logcumsumexp(t, 1), [x])


def test_cummax_ties_and_nan_take_the_later_index_as_torch():
    x = np.array([1.0, 3.0, 3.0, np.nan, 2.0, np.nan, 4.0])
    compare_with_torch(lambda m, t: (m.cummax(t, 0), m.cummin(t, 0)), [x])
    compare_with_torch(lambda m, t: (m.cummax(t, 0), m.cummin(t, 0)), [np.array([2, 2, 1, 3, 3])])


def test_dtypes_and_zero_dim_follow_torch():
    i = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    compare_with_torch(lambda m, t: (m.cumprod(t, 1), m.cummax(t, 0), m.diff(t)), [i])
    assert_raises_like_torch(lambda m, t: m.logcumsumexp(t, 0), i, match="logcumsumexp_out_cpu")
    compare_with_torch(lambda m, t: m.cumprod(t, 0, dtype=m.float64), [i])
    compare_with_torch(lambda m, t: m.diff(t), [np.array([True, False, False, True])])
    compare_with_torch(lambda m, t: (m.cumprod(t, 0), m.logcumsumexp(t, 0), m.cummax(t, 0).values), [np.array(2.0)])
    compare_with_torch(lambda m, t: m.diff(t, 0), [np.arange(3.0)])
    res = cg.cummax(cg.tensor([1.0, 2.0]), 0)
    assert type(res).__name__ == "cummax" and res.indices.dtype == cg.int64


def test_ops_name_their_nodes_as_torch():
    a = [rand_array(np.random.default_rng(4), (2, 3))]
    for fn in (lambda m, x: m.cumprod(x, 1), lambda m, x: m.logcumsumexp(x, 1), lambda m, x: m.cummax(x, 1)[0],
               lambda m, x: m.cummin(x, 0)[0]):
        assert_same_grad_fn(fn, a)


def test_bad_arguments_raise_like_torch():
    x = np.ones((2, 3))
    assert_raises_like_torch(lambda m, t: m.cumprod(t, 2), x, match="cumprod")
    assert_raises_like_torch(lambda m, t: m.cummax(t, -3), x, match="cummax")
    assert_raises_like_torch(lambda m, t: m.diff(t), np.array(1.0), match="one-dimensional")
    assert_raises_like_torch(lambda m, t: m.diff(t, -1), x, match="non-negative")
    assert_raises_like_torch(lambda m, t: m.diff(t, prepend=m.ones(2)), x, match="same dimension")
    assert_raises_like_torch(lambda m, t: m.logcumsumexp([1.0], 0), x, match="Tensor")
