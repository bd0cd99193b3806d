"""F.pad (every mode, 1-3 padded dims, negative widths), F.one_hot, F.normalize, F.cosine_similarity and
F.embedding behave as PyTorch's: values, dtypes, gradients (also second order), node names and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array
from op_helpers import assert_raises_like_torch, assert_same_grad_fn, compare_second_derivatives


def F(m):
    """The library's nn.functional."""
    return m.nn.functional


PADS = [
    ((2, 3, 4), (1, 2)), ((3, 4), (2, 1)), ((2, 3, 4), (-1, 2)), ((2, 3, 4), (2, -1)),
    ((1, 2, 3, 4), (1, 2, 2, 1)), ((2, 3, 4), (1, 0, 0, 2)), ((1, 2, 3, 4), (-1, 1, 1, -1)),
    ((1, 1, 3, 3, 4), (1, 1, 1, 0, 2, 1)), ((2, 3, 3, 4), (0, 2, 1, 1, 2, 0)),
]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("case", PADS, ids=str)
def test_pad_matches_torch(case, mode):
    shape, pad = case
    x = rand_array(np.random.default_rng(0), shape)
    compare_with_torch(lambda m, t: m.nn.functional.pad(t, pad, mode=mode), [x])
    compare_with_torch(lambda m, t: m.nn.functional.pad(t, pad, mode=mode), [x], dtype=np.float32)
    check_finite_differences(lambda m, t: m.nn.functional.pad(t, pad, mode=mode), [x])
    assert_same_grad_fn(lambda m, t: m.nn.functional.pad(t, pad, mode=mode), [x])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_second_derivatives_and_integers_match_torch(mode):
    x = rand_array(np.random.default_rng(1), (1, 2, 3, 4))
    compare_second_derivatives(lambda m, t: m.nn.functional.pad(t * t, (1, 2, 2, 1), mode=mode) ** 2, [x])
    compare_with_torch(lambda m, t: m.nn.functional.pad(t, (2, 1), mode=mode), [np.arange(6).reshape(1, 2, 3)])


def test_constant_pad_values_and_shapes_match_torch():
    x = np.arange(6.0).reshape(1, 2, 3)
    for kw in ({"value": 2.5}, {"value": -1}):
        compare_with_torch(lambda m, t, kw=kw: m.nn.functional.pad(t, (1, 1, 0, 2), **kw), [x])
    compare_with_torch(lambda m, t: m.nn.functional.pad(t, [1, 1], value=3.5), [np.arange(6).reshape(2, 3)])
    compare_with_torch(lambda m, t: m.nn.functional.pad(t, (1, 1, 1, 1, 1, 1)), [x])
    compare_with_torch(lambda m, t: m.nn.functional.pad(t, (-2, -1)), [x])
    compare_with_torch(lambda m, t: m.nn.functional.pad(t, []), [np.array(1.5)])
    compare_with_torch(lambda m, t: m.nn.functional.pad(t, (1, 1)), [np.zeros((1, 0, 3))])
    compare_with_torch(lambda m, t: m.nn.functional.pad(t, (1, 1), mode="circular"), [np.zeros((1, 0, 3))])


def test_pad_errors_match_torch():
    x = np.arange(6.0).reshape(1, 2, 3)
    def call(*args, **kw):
        return lambda m, t: F(m).pad(t, *args, **kw)

    assert_raises_like_torch(call((1,)), x, match="divisible by 2")
    assert_raises_like_torch(call((1,) * 8), x, match="two times the input dimension")
    assert_raises_like_torch(call((1, 1), mode="foo"), x, match="foo")
    assert_raises_like_torch(call((-2, -2)), x, match="non-negative")
    for mode in ("reflect", "replicate", "circular"):
        assert_raises_like_torch(call((1, 2), mode=mode), np.zeros((1, 1, 2, 3, 4)), match="Padding size 2")
        assert_raises_like_torch(call((1, 2), mode=mode), np.zeros(3), match="non-constant padding")
        assert_raises_like_torch(call((1, 1, 1, 1), mode=mode), np.zeros((5,) * 5), match="Padding size 4")
        assert_raises_like_torch(call((1, 1), mode=mode, value=2.0), x, match="value argument")
    assert_raises_like_torch(call((3, 3), mode="reflect"), x, match="less than the corresponding input dimension")
    assert_raises_like_torch(call((4, 0), mode="circular"), x, match="wrapping around more than once")
    assert_raises_like_torch(call((1, 1), mode="reflect"), np.zeros((1, 0, 3)), match="non-zero dimensions")


def test_one_hot_matches_torch():
    compare_with_torch(lambda m, t: m.nn.functional.one_hot(t), [np.array([0, 2, 1])])
    compare_with_torch(lambda m, t: m.nn.functional.one_hot(t, 5), [np.array([[0, 2], [4, 1]])])
    compare_with_torch(lambda m, t: m.nn.functional.one_hot(t, 3), [np.array(2)])
    compare_with_torch(lambda m, t: m.nn.functional.one_hot(t, 3), [np.array([], dtype=np.int64)])
    assert_raises_like_torch(lambda m, t: F(m).one_hot(t, 5), np.array([0, 1], dtype=np.int32), match="LongTensor")
    assert_raises_like_torch(lambda m, t: F(m).one_hot(t, 5), np.array([0.0, 1.0]), match="LongTensor")
    assert_raises_like_torch(lambda m, t: F(m).one_hot(t, 5), np.array([0, 5]), match="smaller than num_classes")
    assert_raises_like_torch(lambda m, t: F(m).one_hot(t, 5), np.array([0, -1]), match="non-negative")
    assert_raises_like_torch(lambda m, t: F(m).one_hot(t), np.array([], dtype=np.int64), match="empty tensor")
    assert_raises_like_torch(lambda m, t: F(m).one_hot([1, 0], 3), np.array([0]), match="Tensor")


NORMS = {
    "normalize": lambda m, x, y: m.nn.functional.normalize(x),
    "normalize_p1_dim0": lambda m, x, y: m.nn.functional.normalize(x, p=1, dim=0),
    "normalize_inf": lambda m, x, y: m.nn.functional.normalize(x, p=float("inf"), dim=-1),
    "cosine_similarity": lambda m, x, y: m.nn.functional.cosine_similarity(x, y),
    "cosine_similarity_dim0": lambda m, x, y: m.nn.functional.cosine_similarity(x, y, dim=0),
    "cosine_similarity_broadcast": lambda m, x, y: m.nn.functional.cosine_similarity(x, y[0], dim=-1),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(NORMS))
def test_normalize_and_cosine_similarity_match_torch(name, dtype):
    rng = np.random.default_rng(2)
    x, y = rand_array(rng, (3, 4)), rand_array(rng, (3, 4))
    compare_with_torch(NORMS[name], [x, y], dtype=dtype)
    if dtype == np.float64:
        check_finite_differences(NORMS[name], [x, y])
        compare_second_derivatives(NORMS[name], [x, y])


def test_zero_and_tiny_vectors_get_torch_gradients():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1e-10, 1e-10]])
    y = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
    compare_with_torch(lambda m, a: m.nn.functional.normalize(a), [x])
    compare_with_torch(lambda m, a, b: m.nn.functional.cosine_similarity(a, b), [x, y], rtol=1e-6)
    compare_with_torch(lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=0),
                       [np.array([1e20, 1e20]), np.array([1e20, 0.0])], dtype=np.float32)


def test_normalize_and_cosine_similarity_errors_match_torch():
    assert_raises_like_torch(lambda m, t: F(m).normalize(t), np.array([1, 2]), match="floating point")
    assert_raises_like_torch(lambda m, t: F(m).normalize(t, dim=2), np.ones((2, 2)))
    assert_raises_like_torch(lambda m, t: F(m).cosine_similarity(t, m.ones(3, 3)), np.ones((2, 3)),
                             match="size of tensor a")
    assert_raises_like_torch(lambda m, t: F(m).cosine_similarity(t, t, dim=0), np.array([1, 2]),
                             match="floating point")
    assert_same_grad_fn(NORMS["normalize"], [np.ones((2, 3)), np.ones(1)])


def test_embedding_matches_torch():
    w = rand_array(np.random.default_rng(3), (5, 3))
    idx = np.array([[0, 2, 2], [4, 1, 0]])
    for kw in ({}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
               {"padding_idx": 0, "scale_grad_by_freq": True}):
        compare_with_torch(lambda m, i, t, kw=kw: F(m).embedding(i, t, **kw), [idx, w])
    compare_with_torch(lambda m, i, t: F(m).embedding(i, t), [idx.astype(np.int32), w])
    compare_with_torch(lambda m, i, t: F(m).embedding(i, t), [np.array(3), w])
    compare_with_torch(lambda m, i, t: F(m).embedding(i, t * 3, max_norm=1.0), [idx, w])
    compare_second_derivatives(lambda m, i, t: F(m).embedding(i, t * t, padding_idx=1) ** 2, [idx, w])
    assert_same_grad_fn(lambda m, i, t: F(m).embedding(i, t), [idx, w])


def test_embedding_max_norm_renormalizes_the_looked_up_rows_in_place():
    rows = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    wc, wt = cg.tensor(rows), torch.tensor(rows)
    out_c = cg.nn.functional.embedding(cg.tensor([0, 1]), wc, max_norm=1.0)
    out_t = torch.nn.functional.embedding(torch.tensor([0, 1]), wt, max_norm=1.0)
    np.testing.assert_allclose(out_c.numpy(), out_t.numpy())
    np.testing.assert_allclose(wc.numpy(), wt.numpy())


def test_embedding_errors_match_torch():
    w = np.ones((4, 2))
    assert_raises_like_torch(lambda m, t: F(m).embedding(m.tensor([0, 4]), t), w, match="index out of range")
    assert_raises_like_torch(lambda m, t: F(m).embedding(m.tensor([0, -1]), t), w, match="index out of range")
    assert_raises_like_torch(lambda m, t: F(m).embedding(m.tensor([0.0, 1.0]), t), w, match="Long, Int")
    assert_raises_like_torch(lambda m, t: F(m).embedding(m.tensor([0, 1], dtype=m.uint8), t), w, match="Byte")
    assert_raises_like_torch(lambda m, t: F(m).embedding(m.tensor([0, 1]), t[0]), w, match="2-D")
    assert_raises_like_torch(lambda m, t: F(m).embedding(m.tensor([0, 1]), t, padding_idx=4), w,
                             match="Padding_idx")
    assert_raises_like_torch(lambda m, t: F(m).embedding(m.tensor([0, 1]), t, padding_idx=-5), w,
                             match="Padding_idx")
    with pytest.raises(NotImplementedError, match="sparse"):
        cg.nn.functional.embedding(cg.tensor([0]), cg.ones(2, 2), sparse=True)
