"""nansum and nanmean, and NumPy's shape names moveaxis, ravel, fliplr and flipud, against torch: values with
NaNs, dims and keepdim (and axis=/keepdims=), integer inputs, dtype=, gradients (0 at a NaN), finite
differences, second derivatives, node names, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch
from op_helpers import assert_same_grad_fn, compare_second_derivatives

NAN = np.array([[1.0, np.nan, -2.0], [0.5, 3.0, np.nan]])
FULL = np.array([[1.0, 0.25, -2.0], [0.5, 3.0, -1.5]])

CASES = {
    "nansum": lambda m, x: m.nansum(x),
    "nansum_dim": lambda m, x: x.nansum(1),
    "nansum_keepdim": lambda m, x: m.nansum(x, (0, 1), keepdim=True),
    "nansum_numpy_names": lambda m, x: x.nansum(axis=0, keepdims=True),
    "nanmean": lambda m, x: m.nanmean(x),
    "nanmean_dim": lambda m, x: x.nanmean(0),
    "nanmean_keepdim": lambda m, x: m.nanmean(x, -1, keepdim=True),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_nan_reductions_match_torch(name, dtype):
    compare_with_torch(CASES[name], [NAN], dtype=dtype)
    compare_with_torch(lambda m, x: CASES[name](m, x * x), [FULL], dtype=dtype)
    assert_same_grad_fn(CASES[name], [NAN])


@pytest.mark.parametrize("name", sorted(CASES))
def test_nan_reductions_match_finite_differences_and_second_derivatives(name):
    check_finite_differences(lambda m, x: CASES[name](m, x * x), [FULL])
    compare_second_derivatives(lambda m, x: CASES[name](m, x * x), [FULL])


def test_nan_reductions_of_integers_all_nan_rows_dtype_and_errors():
    compare_with_torch(lambda m, x: (m.nansum(x), x.nansum(0)), [np.array([[1, 2], [3, 4]])])
    compare_with_torch(lambda m, x: (m.nanmean(x, 1), m.nansum(x, 1)), [np.array([[np.nan, np.nan], [1.0, 2.0]])],
                       check_grad=False)
    compare_with_torch(lambda m, x: (m.nansum(x, dtype=m.float64), m.nanmean(x, dtype=m.float64)),
                       [np.array([1.5, np.nan], dtype=np.float32)], check_grad=False)
    got = []
    for lib in (torch, cg):
        x = lib.tensor(FULL)
        a, b = lib.nansum(x, 1, dtype=lib.int64), lib.nansum(x.long(), dtype=lib.int32)
        got.append((a.tolist(), str(a.dtype).split(".")[1], b.item(), str(b.dtype).split(".")[1]))
    assert got[1] == got[0]
    for lib in (torch, cg):
        with pytest.raises(RuntimeError, match="nanmean\\(\\): could not infer output dtype"):
            lib.nanmean(lib.ones(2), dtype=lib.int64)
        with pytest.raises(NotImplementedError, match="\"nansum_cpu\" not implemented for 'Long'"):
            lib.nansum(lib.ones(2, 3), 1, out=lib.empty(2, dtype=lib.int64))
        with pytest.raises(RuntimeError, match="nanmean\\(\\): expected input to have floating point"):
            lib.nanmean(lib.tensor([1, 2]))
        with pytest.raises(IndexError, match="Dimension out of range"):
            lib.nansum(lib.ones(2), 1)


SHAPES = {
    "moveaxis": lambda m, x: m.moveaxis(x, 0, -1),
    "moveaxis_method": lambda m, x: x.moveaxis((0, 1), (2, 0)),
    "ravel": lambda m, x: m.ravel(x),
    "ravel_of_a_permutation": lambda m, x: x.permute(2, 0, 1).ravel(),
    "fliplr": lambda m, x: m.fliplr(x),
    "flipud": lambda m, x: x.flipud(),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_numpy_shape_names_match_torch(name):
    x = [np.arange(24.0).reshape(2, 3, 4)]
    compare_with_torch(SHAPES[name], x)
    assert_same_grad_fn(SHAPES[name], x)
    out = SHAPES[name](cg, cg.tensor(x[0]))
    theirs = SHAPES[name](torch, torch.tensor(x[0]))
    assert out.stride() == theirs.stride() and out.is_contiguous() == theirs.is_contiguous()


def test_numpy_shape_names_refuse_what_torch_refuses():
    for lib in (torch, cg):
        with pytest.raises(RuntimeError, match="Input must be >= 2-d."):
            lib.fliplr(lib.ones(3))
        with pytest.raises(RuntimeError, match="Input must be >= 1-d."):
            lib.flipud(lib.tensor(1.0))
        with pytest.raises(IndexError):
            lib.moveaxis(lib.ones(2, 3), 2, 0)
