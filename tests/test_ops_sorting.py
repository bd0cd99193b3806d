"""sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, unique, unique_consecutive, searchsorted and
bucketize equal PyTorch's: values, indices, dtypes, named results, gradients (scattered back to the chosen
elements), finite differences, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch
from op_helpers import assert_raises_like_torch, assert_same_grad_fn, compare_second_derivatives


def distinct(shape, seed=0):
    """Values without ties (so that every order and index is unique)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64) / 7 - 1


def ties(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 4, shape).astype(np.float64)


PICKS = {
    "sort": lambda m, x: m.sort(x),
    "sort_dim0_desc": lambda m, x: m.sort(x, 0, True),
    "sort_kw": lambda m, x: x.sort(dim=-2, descending=True, stable=True),
    "argsort": lambda m, x: m.argsort(x, 1, descending=True),
    "msort": lambda m, x: m.msort(x),
    "topk": lambda m, x: m.topk(x, 2),
    "topk_smallest": lambda m, x: x.topk(3, dim=0, largest=False),
    "kthvalue": lambda m, x: m.kthvalue(x, 2),
    "kthvalue_keep": lambda m, x: x.kthvalue(1, 0, keepdim=True),
    "median_dim": lambda m, x: m.median(x, 1),
    "median_dim_keep": lambda m, x: x.median(0, keepdim=True),
    "nanmedian_dim": lambda m, x: m.nanmedian(x, -1),
    "mode": lambda m, x: m.mode(x.round()),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(PICKS))
def test_value_picking_ops_match_torch(name, dtype):
    compare_with_torch(lambda m, x: PICKS[name](m, x), [distinct((3, 4, 5))], dtype=dtype)


@pytest.mark.parametrize("name", ["sort", "topk", "kthvalue", "median_dim", "nanmedian_dim", "sort_dim0_desc"])
def test_value_picking_ops_match_finite_differences(name):
    check_finite_differences(lambda m, x: PICKS[name](m, x)[0], [distinct((3, 4))])


@pytest.mark.parametrize("name", ["sort", "topk", "kthvalue", "median_dim"])
def test_value_picking_second_derivatives_match_torch(name):
    compare_second_derivatives(lambda m, x: PICKS[name](m, x)[0] ** 2, [distinct((3, 4))])


def test_stable_sort_keeps_ties_in_order_and_nan_sorts_largest():
    x = np.array([3.0, 1.0, 2.0, 1.0, np.nan, 3.0, 1.0])
    for desc in (False, True):
        compare_with_torch(lambda m, t, desc=desc: m.sort(t, descending=desc, stable=True), [x])
        compare_with_torch(lambda m, t, desc=desc: m.argsort(t, descending=desc, stable=True), [x])
    compare_with_torch(lambda m, t: m.sort(t.reshape(7, 1).expand(7, 3), dim=0, stable=True), [x])


def test_sort_of_integers_bools_and_zero_dim():
    for x in (np.array([3, 1, 2, 1, -5], dtype=np.int32), np.array([True, False, True]), np.array(2.5)):
        compare_with_torch(lambda m, t: m.sort(t, descending=True, stable=True), [x])
    compare_with_torch(lambda m, t: (m.topk(t, 1), m.kthvalue(t, 1), m.median(t, 0)), [np.array(2.5)])


def test_named_results_unpack_and_print_as_torch():
    x = cg.tensor([[3.0, 1.0, 2.0]])
    res = cg.sort(x)
    values, indices = res
    assert res.values is values and res[1] is indices
    assert type(res).__name__ == "sort" and type(cg.topk(x, 1)).__name__ == "topk"
    assert repr(res).startswith("chaingrad.return_types.sort(\nvalues=tensor(")
    assert indices.dtype == cg.int64


def test_gradient_goes_to_the_chosen_indices():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6))
    for fn in (lambda m, t: m.topk(t, 3, 1).values, lambda m, t: m.sort(t, 0).values,
               lambda m, t: m.kthvalue(t, 4).values, lambda m, t: m.median(t, 0).values):
        compare_with_torch(fn, [x])


def test_median_all_shares_the_gradient_among_ties_as_torch():
    compare_with_torch(lambda m, t: m.median(t), [np.array([1.0, 1.0, 3.0, 1.0, 0.0])])
    compare_with_torch(lambda m, t: (t * 2).median(), [ties((3, 4))])
    compare_with_torch(lambda m, t: m.nanmedian(t), [np.array([np.nan, 2.0, 1.0, np.nan, 5.0])])
    compare_with_torch(lambda m, t: m.median(t), [np.array([2.0, np.nan, 1.0])])
    compare_with_torch(lambda m, t: m.median(t), [np.array([4, 1, 3, 2])])


def test_median_with_nan_along_a_dim():
    x = np.array([[1.0, 3.0, np.nan, 2.0], [4.0, 1.0, 2.0, 3.0], [np.nan, 5.0, np.nan, 1.0]])
    compare_with_torch(lambda m, t: m.median(t, 1), [x])
    compare_with_torch(lambda m, t: m.nanmedian(t, 1), [x])
    # an all-NaN slice: NaN (which NaN's index torch reports depends on its selection algorithm)
    compare_with_torch(lambda m, t: m.nanmedian(t, 1).values, [np.full((2, 4), np.nan)], check_grad=False)


def test_mode_picks_the_smallest_most_frequent_value_and_its_last_index():
    x = np.array([[3, 1, 1, 2, 3, 5, 1, 3], [2, 2, 0, 0, 7, 7, 7, 7]])
    compare_with_torch(lambda m, t: m.mode(t, 1), [x])
    compare_with_torch(lambda m, t: m.mode(t, 0, keepdim=True), [x])
    compare_with_torch(lambda m, t: m.mode(t), [np.array([3.0, 1.0, 1.0, 2.0, 3.0, 5.0])])


def test_ops_name_their_nodes_as_torch():
    x = [distinct((3, 4))]
    for fn in (lambda m, t: m.sort(t)[0], lambda m, t: m.sort(t, stable=True)[0], lambda m, t: m.topk(t, 2)[0],
               lambda m, t: m.kthvalue(t, 2)[0], lambda m, t: m.median(t, 1)[0], lambda m, t: m.median(t),
               lambda m, t: m.nanmedian(t), lambda m, t: m.nanmedian(t, 0)[0], lambda m, t: m.mode(t, 0)[0],
               lambda m, t: m.unique(t), lambda m, t: m.unique(t, dim=0),
               lambda m, t: m.unique_consecutive(t)):
        assert_same_grad_fn(fn, x)


def test_bad_arguments_raise_like_torch():
    x = distinct((3, 4))
    assert_raises_like_torch(lambda m, t: m.sort(t, 2), x, match="sort")
    assert_raises_like_torch(lambda m, t: m.topk(t, 5), x, match="k out of range")
    assert_raises_like_torch(lambda m, t: m.topk(t, -1), x)
    assert_raises_like_torch(lambda m, t: m.kthvalue(t, 0), x, match="kthvalue")
    assert_raises_like_torch(lambda m, t: m.kthvalue(t, 5), x)
    assert_raises_like_torch(lambda m, t: m.mode(t), np.zeros((2, 0)), match="mode")
    assert_raises_like_torch(lambda m, t: m.median(t, 1), np.zeros((2, 0)))
    assert_raises_like_torch(lambda m, t: m.sort([1.0, 2.0]), x, match="Tensor")


def test_unique_matches_torch():
    x = np.array([[3, 1, 2], [1, 3, 3], [3, 1, 2]])
    for kw in ({}, {"return_inverse": True}, {"return_counts": True}, {"return_inverse": True, "return_counts": True},
               {"sorted": False}, {"dim": 0, "return_inverse": True, "return_counts": True},
               {"dim": 1, "return_counts": True}, {"dim": -1}):
        compare_with_torch(lambda m, t, kw=kw: m.unique(t, **kw), [x])
        compare_with_torch(lambda m, t, kw=kw: t.unique(**kw), [x.astype(np.float64)], check_grad=False)
    compare_with_torch(lambda m, t: m.unique(t), [np.array([np.nan, 1.0, np.nan, 1.0])], check_grad=False)
    compare_with_torch(lambda m, t: m.unique(t, return_inverse=True), [np.array(5)])
    assert_raises_like_torch(lambda m, t: m.unique(t, dim=2), x)


def test_unique_consecutive_matches_torch():
    x = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    compare_with_torch(lambda m, t: m.unique_consecutive(t, return_inverse=True, return_counts=True), [x])
    compare_with_torch(lambda m, t: m.unique_consecutive(t.reshape(4, 2), dim=0, return_counts=True), [x])
    compare_with_torch(lambda m, t: m.unique_consecutive(t.reshape(2, 4), return_inverse=True), [x])


def test_backward_through_unique_raises_as_torch():
    x = cg.tensor([3.0, 1.0, 3.0], requires_grad=True)
    out = cg.unique(x)
    assert out.requires_grad and out.grad_fn.name() == "Unique2Backward0"
    with pytest.raises(NotImplementedError, match="_unique2"):
        out.sum().backward()


def test_searchsorted_matches_torch():
    seq = np.array([1, 3, 5, 7, 9])
    vals = np.array([[3, 6, 9], [0, 1, 10]])
    for kw in ({}, {"right": True}, {"side": "right"}, {"side": "left"}, {"out_int32": True},
               {"right": True, "side": "right"}):
        compare_with_torch(lambda m, s, v, kw=kw: m.searchsorted(s, v, **kw), [seq, vals])
    compare_with_torch(lambda m, s, v: m.searchsorted(s, v), [seq.astype(np.float64), vals])
    compare_with_torch(lambda m, s, v: m.searchsorted(s, v.double() + 0.5), [seq, vals], check_grad=False)
    compare_with_torch(lambda m, s: m.searchsorted(s, 5), [seq])
    rows = np.array([[1, 3, 5], [2, 4, 6]])
    compare_with_torch(lambda m, s, v: m.searchsorted(s, v, right=True), [rows, np.array([[3, 4], [1, 7]])])
    compare_with_torch(lambda m, s, o, v: m.searchsorted(s, v, sorter=o),
                       [np.array([5, 1, 3]), np.array([1, 2, 0]), np.array([3, 4])])


def test_searchsorted_errors_match_torch():
    seq = np.array([1, 3, 5])
    assert_raises_like_torch(lambda m, s, v: m.searchsorted(s, v, side="left", right=True), seq, seq,
                             match="opposites")
    assert_raises_like_torch(lambda m, s, v: m.searchsorted(s, v, side="middle"), seq, seq, match="side")
    assert_raises_like_torch(lambda m, s, v: m.searchsorted(s, v), np.array([[1, 3], [2, 4]]), np.array([1, 2]),
                             match="boundaries")


def test_bucketize_matches_torch():
    bounds = np.array([1, 3, 5, 7, 9])
    x = np.array([[3, 6, 9], [1, 2, 10]])
    for kw in ({}, {"right": True}, {"out_int32": True, "right": True}):
        compare_with_torch(lambda m, v, b, kw=kw: m.bucketize(v, b, **kw), [x, bounds])
    compare_with_torch(lambda m, b: m.bucketize(5, b), [bounds])
    compare_with_torch(lambda m, v, b: m.bucketize(v, b), [x + 0.5, bounds.astype(np.float64)], check_grad=False)
    assert_raises_like_torch(lambda m, v, b: m.bucketize(v, b), x, np.array([[1, 2]]), match="1 dimension")
