"""histc, histogram and bincount equal PyTorch's: counts, edges, dtypes, weights, density, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from helpers import compare_with_torch
from op_helpers import assert_raises_like_torch


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_histc_matches_torch(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(200)
    for kw in ({}, {"bins": 7}, {"bins": 4, "min": -1, "max": 1}, {"bins": 10, "min": 0, "max": 0}):
        compare_with_torch(lambda m, t, kw=kw: m.histc(t, **kw), [x], dtype=dtype, check_grad=False)
    # edges land exactly on bin boundaries; the maximum goes in the last bin
    compare_with_torch(lambda m, t: t.histc(4, 0, 3), [np.array([0.0, 0.75, 1.5, 2.25, 3.0, 3.5, -1.0])],
                       dtype=dtype, check_grad=False)
    compare_with_torch(lambda m, t: m.histc(t, 3), [np.array([1.0, 1.0, 1.0])], dtype=dtype, check_grad=False)


def test_histc_errors_match_torch():
    assert_raises_like_torch(lambda m, t: m.histc(t), np.array([1, 2]), match="histogram_cpu")
    assert_raises_like_torch(lambda m, t: m.histc(t, 3, 2, 1), np.array([1.0]), match="max must be larger than min")
    assert_raises_like_torch(lambda m, t: m.histc(t, 0), np.array([1.0]), match="bins must be > 0")
    assert_raises_like_torch(lambda m, t: m.histc(t, 3), np.array([1.0, np.inf]), match="not finite")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_histogram_matches_torch(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(100)
    w = rng.uniform(0, 1, 100)
    compare_with_torch(lambda m, t: m.histogram(t, 6), [x], dtype=dtype, check_grad=False)
    compare_with_torch(lambda m, t: m.histogram(t, bins=5, range=(-1.0, 2.0), density=True), [x], dtype=dtype,
                       check_grad=False)
    compare_with_torch(lambda m, t, ww: m.histogram(t, 4, weight=ww), [x, w], dtype=dtype, check_grad=False)
    compare_with_torch(lambda m, t, e: m.histogram(t, e, density=True), [x, np.array([-2.0, -0.5, 0.0, 3.0])],
                       dtype=dtype, check_grad=False)
    compare_with_torch(lambda m, t: t.histogram(3), [np.array([2.0, 2.0])], dtype=dtype, check_grad=False)
    res = cg.histogram(cg.tensor(x), 3)
    assert type(res).__name__ == "histogram" and res.hist is res[0] and res.bin_edges.shape == (4,)


def test_histogram_errors_match_torch():
    assert_raises_like_torch(lambda m, t: m.histogram(t, 3), np.array([1, 2]), match="histogramdd")
    assert_raises_like_torch(lambda m, t: m.histogram(t, 0), np.array([1.0]), match="bins must be > 0")
    assert_raises_like_torch(lambda m, t: m.histogram(t, 3, range=(2.0, 1.0)), np.array([1.0]),
                             match="min should not exceed max")


def test_bincount_matches_torch():
    x = np.array([1, 2, 1, 5, 0, 1])
    compare_with_torch(lambda m, t: m.bincount(t), [x])
    compare_with_torch(lambda m, t: t.bincount(minlength=9), [x])
    for w in (np.linspace(0, 1, 6), np.linspace(0, 1, 6).astype(np.float32), np.arange(6)):
        compare_with_torch(lambda m, t, ww: m.bincount(t, ww), [x, w], check_grad=False)
    compare_with_torch(lambda m, t: m.bincount(t), [np.array([], dtype=np.int64)])


def test_bincount_errors_match_torch():
    assert_raises_like_torch(lambda m, t: m.bincount(t), np.array([1, -2]), match="non-negative")
    assert_raises_like_torch(lambda m, t: m.bincount(t), np.array([[1]]), match="1-d")
    assert_raises_like_torch(lambda m, t: m.bincount(t), np.array([1.0]), match="bincount_cpu")


def test_counts_have_no_derivative_as_torch():
    w = cg.tensor([1.0, 2.0], requires_grad=True)
    out = cg.bincount(cg.tensor([0, 2]), w)
    assert out.requires_grad and out.grad_fn.name() == "NotImplemented"
    with pytest.raises(NotImplementedError, match="bincount"):
        out.sum().backward()
    assert not cg.histc(w).requires_grad
