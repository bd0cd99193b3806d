"""quantile and nanquantile (ops/quantile.py): every interpolation mode, scalar and tensor q, dims and keepdim,
NaN handling, gradients as torch's and float64 finite differences, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch
from op_helpers import assert_raises_like_torch

R = np.random.default_rng(3)
A = R.standard_normal((3, 5))
WITH_NAN = A.copy()
WITH_NAN[0, 1] = WITH_NAN[2, 0] = WITH_NAN[2, 3] = np.nan
MODES = ["linear", "lower", "higher", "midpoint", "nearest"]


def _q(T, q, dtype):
    return T.tensor(q, dtype=dtype) if isinstance(q, list) else q


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("q, dim, keepdim", [(0.3, None, False), (0.5, 1, False), ([0.0, 0.25, 1.0], 0, True),
                                             ([0.1, 0.9], None, True), (1.0, -1, True), ([0.4], 1, False)])
def test_quantile_matches_torch(mode, q, dim, keepdim):
    for dtype in (np.float32, np.float64):
        def fn(T, x):
            return T.quantile(x, _q(T, q, x.dtype), dim, keepdim, interpolation=mode)

        compare_with_torch(fn, [A], dtype=dtype)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("q, dim", [(0.3, None), (0.5, 1), ([0.2, 0.7], 0), (0.6, 0)])
def test_nanquantile_matches_torch(mode, q, dim):
    def fn(T, x):
        return T.nanquantile(x, _q(T, q, x.dtype), dim, interpolation=mode)

    compare_with_torch(fn, [WITH_NAN])
    compare_with_torch(lambda T, x: x.quantile(_q(T, q, x.dtype), dim, interpolation=mode), [WITH_NAN])


def test_all_nan_rows_and_0d_inputs():
    rows = np.array([[np.nan, np.nan], [1.0, 2.0]])
    compare_with_torch(lambda T, x: T.nanquantile(x, 0.5, dim=1), [rows])
    compare_with_torch(lambda T, x: T.quantile(x, 0.5), [np.array(2.0)])
    compare_with_torch(lambda T, x: T.quantile(x, 0.5, dim=0, keepdim=True), [np.array(2.0)])
    compare_with_torch(lambda T, x: T.quantile(x, T.tensor(0.3, dtype=x.dtype), dim=0), [A])


def test_nearest_rounds_half_to_even_as_torch():
    ours = cg.quantile(cg.tensor([0.0, 1.0, 2.0, 3.0]), cg.tensor([0.5, 1 / 6, 0.25]), interpolation="nearest")
    theirs = torch.quantile(torch.tensor([0.0, 1.0, 2.0, 3.0]), torch.tensor([0.5, 1 / 6, 0.25]),
                            interpolation="nearest")
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("mode", ["linear", "midpoint", "lower"])
def test_gradients_match_finite_differences(mode):
    check_finite_differences(lambda T, x: T.quantile(x, T.tensor([0.3, 0.8], dtype=x.dtype), dim=1,
                                                     interpolation=mode), [A])
    check_finite_differences(lambda T, x: T.quantile(x, 0.35, interpolation=mode), [A])


@pytest.mark.parametrize("fn", [
    lambda T: T.quantile(T.ones(3), 1.5), lambda T: T.quantile(T.ones(3), T.tensor([0.5, 1.5])),
    lambda T: T.quantile(T.tensor([1, 2]), 0.5), lambda T: T.quantile(T.ones(3), T.tensor([0.5], dtype=T.float64)),
    lambda T: T.quantile(T.ones(3), T.ones(1, 1) * 0.5), lambda T: T.quantile(T.ones(3), 0.5, interpolation="foo"),
    lambda T: T.quantile(T.ones(0), 0.5), lambda T: T.nanquantile(T.ones(2, 0), 0.5, dim=1),
    lambda T: T.quantile(T.ones(3), [0.3]), lambda T: T.quantile(T.ones(3), 0.5, dim=1),
])
def test_errors_are_torchs(fn):
    error = assert_raises_like_torch(fn)
    with pytest.raises(Exception) as theirs:
        fn(torch)
    if not isinstance(error, (TypeError, IndexError)):
        assert str(error) == str(theirs.value)
