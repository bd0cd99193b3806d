"""scatter (by a tensor, by a number, with reduce=), index_copy, index_fill and pixel_shuffle/pixel_unshuffle
equal PyTorch's: values, gradients against torch and float64 finite differences, node names, the in-place twins,
the layers, and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch
from op_helpers import assert_raises_like_torch, assert_same_grad_fn

R = np.random.default_rng(0)
IDX = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])  # (no repeated position within a column: the written value is defined)


def _r(*shape):
    return R.standard_normal(shape)


CASES = {
    "scatter_src": (lambda m, x, s: m.scatter(x, 0, m.tensor(IDX), s), [_r(3, 4), _r(2, 4)]),
    "scatter_dim1": (lambda m, x, s: m.scatter(x, 1, m.tensor(IDX.T[:3, :2]), s), [_r(3, 4), _r(3, 2)]),
    "scatter_negative_dim": (lambda m, x, s: m.scatter(x, -1, m.tensor([[3, 0], [1, 2], [0, 3]]), s),
                             [_r(3, 4), _r(3, 2)]),
    "scatter_value": (lambda m, x: m.scatter(x, 0, m.tensor(IDX), 2.5), [_r(3, 4)]),
    "scatter_value_keyword": (lambda m, x: x.scatter(1, m.tensor(IDX[:, :2]), value=-1.0), [_r(2, 4)]),
    "index_copy": (lambda m, x, s: m.index_copy(x, 0, m.tensor([2, 0]), s), [_r(3, 4), _r(2, 4)]),
    "index_copy_dim1": (lambda m, x, s: x.index_copy(1, m.tensor([3, 1, 0]), s), [_r(2, 4), _r(2, 3)]),
    "index_copy_0d": (lambda m, x, s: m.index_copy(x, 0, m.tensor([0]), s), [_r(), _r()]),
    "index_fill": (lambda m, x: m.index_fill(x, 1, m.tensor([2, 0, 2]), 5.0), [_r(3, 4)]),
    "index_fill_negative": (lambda m, x: x.index_fill(0, m.tensor([-1]), -2.0), [_r(3, 4)]),
    "index_fill_tensor": (lambda m, x, v: m.index_fill(x, 1, m.tensor([1, 3, 1]), v[0]), [_r(3, 4), _r(1)]),
    "index_fill_0d": (lambda m, x: m.index_fill(x, 0, m.tensor([0]), 5.0), [_r()]),
    "pixel_shuffle": (lambda m, x: m.nn.functional.pixel_shuffle(x, 2), [_r(2, 8, 2, 3)]),
    "pixel_shuffle_3d": (lambda m, x: m.pixel_shuffle(x, 3), [_r(9, 1, 2)]),
    "pixel_shuffle_5d": (lambda m, x: m.nn.PixelShuffle(2)(x), [_r(2, 1, 4, 1, 2)]),
    "pixel_unshuffle": (lambda m, x: m.nn.functional.pixel_unshuffle(x, 2), [_r(2, 2, 4, 6)]),
    "pixel_unshuffle_layer": (lambda m, x: m.nn.PixelUnshuffle(3)(x), [_r(1, 3, 3)]),
    "pixel_round_trip": (lambda m, x: m.pixel_unshuffle(m.pixel_shuffle(x, 2) * x.sum(), 2), [_r(1, 4, 2, 2)]),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name, dtype):
    fn, arrays = CASES[name]
    compare_with_torch(fn, arrays, dtype=dtype)
    assert_same_grad_fn(fn, arrays)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_finite_differences(name):
    fn, arrays = CASES[name]
    check_finite_differences(fn, arrays)


def test_scatter_with_reduce_as_torch():
    ones, src = np.ones((3, 4)), np.arange(1.0, 9.0).reshape(2, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's deprecation of reduce= with a tensor src: checked below)
        for reduce in ("add", "multiply"):
            compare_with_torch(lambda m, x, s, r=reduce: m.scatter(x, 0, m.tensor(IDX), s, reduce=r), [ones, src],
                               check_grad=False)
            compare_with_torch(lambda m, x, r=reduce: x.scatter(0, m.tensor(IDX), 3.0, reduce=r), [ones],
                               check_grad=False)
        for m in (cg, torch):  # a node without a derivative, whose backward raises, as torch's
            x = m.ones(3, 4, requires_grad=True)
            out = m.scatter(x * 1, 0, m.tensor(IDX), m.tensor(src, dtype=m.float32), reduce="add")
            assert type(out.grad_fn).__name__ == "NotImplemented"
            with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
                out.sum().backward()
    with pytest.warns(UserWarning, match="reduce argument of torch.scatter with Tensor src is deprecated"):
        cg.scatter(cg.ones(3, 4), 0, cg.tensor(IDX), cg.ones(2, 4), reduce="add")  # (torch: once a process)


def test_a_src_larger_than_index_is_read_in_its_leading_block():
    """torch's values; its backward then fails on the gradient's shape ("returned an invalid gradient"), where
    ours gives src the gradient of the block read and 0 elsewhere (checked by finite differences)."""
    def fn(m, x, s):
        return x.scatter(0, m.tensor(IDX[:, :3]), s)

    compare_with_torch(fn, [_r(3, 4), _r(3, 5)], check_grad=False)
    check_finite_differences(fn, [_r(3, 4), _r(3, 5)])


def test_in_place_twins_record_as_torch():
    def run(m):
        x = m.tensor(RUN_X, requires_grad=True)
        s = m.tensor(RUN_S, requires_grad=True)
        y = x * 1
        y.scatter_(0, m.tensor(IDX), s)
        z = (x * 2).index_copy_(0, m.tensor([1]), s[:1]).index_fill_(1, m.tensor([0]), 7.0)
        w = m.zeros(3, 4, dtype=m.int64).scatter_(1, m.tensor([[1], [0], [3]]), 2.7)
        (y * z).sum().backward()
        return [y, z, w, x.grad, s.grad], [type(y.grad_fn).__name__, type(z.grad_fn).__name__]

    (ours, our_names), (theirs, their_names) = run(cg), run(torch)
    assert our_names == their_names
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)


RUN_X, RUN_S = _r(3, 4).astype(np.float32), _r(2, 4).astype(np.float32)


def test_repeated_indices_take_the_gradients_torch_gives():
    compare_with_torch(lambda m, x, v: m.index_fill(x, 0, m.tensor([1, 1, 0]), v[0]), [_r(3, 2), _r(1)])
    compare_with_torch(lambda m, x, s: m.index_copy(x, 0, m.tensor([2]), s), [_r(3, 2), _r(1, 2)])


ERRORS = [
    (lambda m: m.scatter(m.zeros(3, 4), 0, m.tensor(IDX).float(), m.ones(2, 4)), "int32/int64"),
    (lambda m: m.scatter(m.zeros(3, 4), 0, m.tensor(IDX), m.ones(2, 4).double()), "self.dtype to be equal"),
    (lambda m: m.scatter(m.zeros(3, 4), 0, m.tensor(IDX[0]), m.ones(2, 4)), "same number of dimensions as self"),
    (lambda m: m.scatter(m.zeros(3, 4), 0, m.tensor(IDX), m.tensor(3.0)), "same number of dimensions as src"),
    (lambda m: m.scatter(m.zeros(3, 4), 0, m.tensor([[5, 0, 0, 0]]), m.ones(2, 4)), "out of bounds"),
    (lambda m: m.scatter(m.zeros(3, 4), 0, m.tensor([[-1, 0, 0, 0]]), m.ones(2, 4)), "out of bounds"),
    (lambda m: m.scatter(m.zeros(3, 4), 0, m.zeros(2, 5, dtype=m.int64), m.ones(2, 4)), "no larger than self"),
    (lambda m: m.scatter(m.zeros(3, 4), 0, m.tensor(IDX), m.ones(2, 4), reduce="mean"), "add or multiply"),
    (lambda m: m.scatter(m.zeros(3, 4), 2, m.tensor(IDX), m.ones(2, 4)), "Dimension out of range"),
    (lambda m: m.index_copy(m.zeros(3, 4), 0, m.tensor([2, 0]).int(), m.ones(2, 4)), "long tensor"),
    (lambda m: m.index_copy(m.zeros(3, 4), 0, m.tensor([2, 0, 1]), m.ones(2, 4)), "Number of indices"),
    (lambda m: m.index_copy(m.zeros(3, 4), 0, m.tensor([[2, 0]]), m.ones(2, 4)), "dimension 1 or 0"),
    (lambda m: m.index_copy(m.zeros(3, 4), 0, m.tensor([5, 0]), m.ones(2, 4)), "out of bounds"),
    (lambda m: m.index_copy(m.zeros(3, 4), 0, m.tensor([-1, 0]), m.ones(2, 4)), "out of bounds"),
    (lambda m: m.index_copy(m.zeros(3, 4), 0, m.tensor([2, 0]), m.ones(2, 4).double()), "same dtype"),
    (lambda m: m.index_copy(m.zeros(3, 4), 1, m.tensor([2, 0]), m.ones(2, 4)), "same slice shapes"),
    (lambda m: m.index_copy(m.zeros(3, 4), 0, m.tensor(1), m.ones(4)), "dimensionality must match"),
    (lambda m: m.index_fill(m.zeros(3, 4), 1, m.tensor([2, 0]).int(), 5.0), "int64"),
    (lambda m: m.index_fill(m.zeros(3, 4), 1, m.tensor([[2, 0]]), 5.0), "vector/scalar"),
    (lambda m: m.index_fill(m.zeros(3, 4), 1, m.tensor([7]), 5.0), "out of bounds"),
    (lambda m: m.index_fill(m.zeros(3, 4), 1, m.tensor([1]), m.tensor([5.0, 1.0])), "0-dimensional value"),
    (lambda m: m.pixel_shuffle(m.ones(4, 2), 2), "at least 3 dimensions"),
    (lambda m: m.pixel_shuffle(m.ones(1, 7, 2, 2), 2), "divisible by the square"),
    (lambda m: m.pixel_shuffle(m.ones(1, 4, 2, 2), 0), "positive upscale_factor"),
    (lambda m: m.pixel_unshuffle(m.ones(1, 1, 5, 4), 2), "height to be divisible"),
    (lambda m: m.pixel_unshuffle(m.ones(1, 1, 4, 5), 2), "width to be divisible"),
    (lambda m: m.pixel_shuffle(m.ones(1, 4, 2, 2), 2.0), "must be int"),
    (lambda m: m.ones(3, requires_grad=True).scatter_(0, m.tensor([0]), 1.0), "leaf"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_as_torch(case):
    fn, words = ERRORS[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_raises_like_torch(fn, match=words)
