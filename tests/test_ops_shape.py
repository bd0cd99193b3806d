"""Shape ops: values and gradients equal PyTorch's (float64 and float32) and finite differences; views
share memory like torch's; errors where torch raises."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array

# name -> fn(lib, x) applied to a (2, 3, 4) tensor; the result is multiplied to make gradients non-trivial
SHAPE_OPS = {
    "reshape": lambda m, x: x.reshape(4, 6),
    "reshape_tuple_-1": lambda m, x: m.reshape(x, (-1, 2)),
    "view": lambda m, x: x.view(6, 4),
    "view_-1": lambda m, x: x.view(-1),
    "view_as": lambda m, x: x.view_as(m.ones(24, dtype=x.dtype)),
    "reshape_as": lambda m, x: x.reshape_as(m.ones(4, 6)),
    "flatten": lambda m, x: x.flatten(),
    "flatten_1": lambda m, x: m.flatten(x, 1),
    "flatten_0_1": lambda m, x: x.flatten(0, 1),
    "unflatten": lambda m, x: x.unflatten(2, (2, 2)),
    "unflatten_-1": lambda m, x: m.unflatten(x, -1, (2, -1)),
    "squeeze_all": lambda m, x: x.reshape(2, 1, 3, 1, 4).squeeze(),
    "squeeze_dim": lambda m, x: x.reshape(2, 1, 12).squeeze(1),
    "squeeze_noop": lambda m, x: x.squeeze(0),
    "squeeze_tuple": lambda m, x: x.reshape(1, 2, 1, 12).squeeze((0, 2)),
    "unsqueeze": lambda m, x: x.unsqueeze(0),
    "unsqueeze_-1": lambda m, x: m.unsqueeze(x, -1),
    "unsqueeze_mid": lambda m, x: x.unsqueeze(2),
    "transpose": lambda m, x: x.transpose(0, 2),
    "transpose_fn": lambda m, x: m.transpose(x, -1, 1),
    "swapaxes": lambda m, x: x.swapaxes(0, 1),
    "permute": lambda m, x: x.permute(2, 0, 1),
    "permute_tuple": lambda m, x: m.permute(x, (1, 2, 0)),
    "T_2d": lambda m, x: x[0].T,
    "mT": lambda m, x: x.mT,
    "t": lambda m, x: x[0].t(),
    "movedim": lambda m, x: m.movedim(x, 0, -1),
    "expand": lambda m, x: x[:, :1].expand(2, 5, 4),
    "expand_new_dims": lambda m, x: x.expand(3, 2, 3, 4),
    "expand_-1": lambda m, x: x[:, :1].expand(-1, 3, -1),
    "expand_as": lambda m, x: x[0, 0].expand_as(x),
    "broadcast_to": lambda m, x: m.broadcast_to(x[:1], (3, 3, 4)),
    "repeat": lambda m, x: x.repeat(2, 1, 3),
    "repeat_more_dims": lambda m, x: x.repeat(2, 1, 1, 2),
    "tile": lambda m, x: m.tile(x, (2,)),
    "flip": lambda m, x: x.flip(0),
    "flip_many": lambda m, x: m.flip(x, (0, 2)),
    "flip_neg": lambda m, x: x.flip(-1),
    "narrow": lambda m, x: x.narrow(2, 1, 2),
    "narrow_fn": lambda m, x: m.narrow(x, 0, 1, 1),
    "select": lambda m, x: x.select(1, -1),
    "split_int": lambda m, x: x.split(2, dim=2),
    "split_uneven": lambda m, x: m.split(x, 2, 1),
    "split_sizes": lambda m, x: x.split([1, 3], -1),
    "chunk": lambda m, x: x.chunk(2, 2),
    "chunk_uneven": lambda m, x: m.chunk(x, 2, 1),
    "tensor_split": lambda m, x: m.tensor_split(x, 3, 2),
    "unbind": lambda m, x: x.unbind(1),
    "contiguous_after_transpose": lambda m, x: x.transpose(0, 1).contiguous().view(-1),
    "clone": lambda m, x: x.clone(),
    "chain": lambda m, x: x.permute(1, 0, 2).reshape(3, 8).T.unsqueeze(0).expand(2, 8, 3).flip(1),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op_matches_torch(name, dtype):
    x = rand_array(np.random.default_rng(0), (2, 3, 4))
    compare_with_torch(SHAPE_OPS[name], [x], dtype=dtype)


@pytest.mark.parametrize("name", ["reshape", "permute", "expand", "repeat", "flip", "narrow", "split_uneven", "chain",
                                  "unbind", "squeeze_all", "movedim", "tile"])
def test_shape_op_matches_finite_differences(name):
    check_finite_differences(SHAPE_OPS[name], [rand_array(np.random.default_rng(1), (2, 3, 4))])


JOINS = {
    "cat0": lambda m, a, b, c: m.cat([a, b, c], 0),
    "cat1": lambda m, a, b, c: m.cat((a.reshape(3, 2), b.reshape(3, 2), c.reshape(3, 2)), dim=1),
    "cat_neg": lambda m, a, b, c: m.cat([a.reshape(2, 3), b.reshape(2, 3)], -1),
    "concat": lambda m, a, b, c: m.concat([a, c]),
    "stack0": lambda m, a, b, c: m.stack([a, b, c]),
    "stack1": lambda m, a, b, c: m.stack([a, b, c], dim=1),
    "stack_neg": lambda m, a, b, c: m.stack((a, b), -1),
    "hstack": lambda m, a, b, c: m.hstack([a, b]),
    "vstack": lambda m, a, b, c: m.vstack([a, b, c]),
    "cat_same_tensor": lambda m, a, b, c: m.cat([a, a, b]),
    "stack_then_sum": lambda m, a, b, c: (m.stack([a, b]) * m.stack([c, c])).sum(0),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(JOINS))
def test_join_matches_torch(name, dtype):
    rng = np.random.default_rng(2)
    compare_with_torch(JOINS[name], [rand_array(rng, (6,)) for _ in range(3)], dtype=dtype)


@pytest.mark.parametrize("name", sorted(JOINS))
def test_join_matches_finite_differences(name):
    rng = np.random.default_rng(3)
    check_finite_differences(JOINS[name], [rand_array(rng, (6,)) for _ in range(3)])


def test_cat_promotes_dtypes_and_mixes_constants_like_torch():
    compare_with_torch(lambda m, a, i: (m.cat([a, i.double()]), m.cat([i, i]), m.stack([a, a.float().double()])),
                       [np.ones(3), np.arange(3)])
    compare_with_torch(lambda m, a, i: m.cat([a, i]), [np.ones(3, np.float32), np.arange(3)])


def test_views_share_memory_like_torch():
    x = cg.zeros(2, 3)
    v = x.view(6)
    v[0] = 5.0
    x.T[1, 0] = 7.0
    x[1][2] = 9.0
    x.narrow(1, 2, 1).fill_(3.0)
    assert x.tolist() == [[5.0, 7.0, 3.0], [0.0, 0.0, 3.0]]


def test_view_of_a_non_contiguous_tensor_raises_and_reshape_copies():
    x = cg.ones(2, 3).T
    with pytest.raises(RuntimeError, match="view"):
        x.view(6)
    with pytest.raises(RuntimeError):
        torch.ones(2, 3).T.view(6)
    assert x.reshape(6).shape == (6,)


@pytest.mark.parametrize("call", [
    lambda m: m.ones(2, 3).reshape(4, 2),
    lambda m: m.ones(2, 3).view(-1, -1),
    lambda m: m.ones(2, 3).view(4),
    lambda m: m.ones(2, 3).expand(3, 3),
    lambda m: m.ones(2, 3).expand(3),
    lambda m: m.ones(2, 3).permute(0),
    lambda m: m.ones(2, 3).permute(0, 0),
    lambda m: m.ones(2, 3).repeat(2),
    lambda m: m.cat([m.ones(2, 3), m.ones(3, 2)]),
    lambda m: m.cat([m.ones(2, 3), m.ones(3)]),
    lambda m: m.stack([m.ones(2), m.ones(3)]),
    lambda m: m.ones(4).split([1, 2]),
    lambda m: m.ones(4).chunk(0),
    lambda m: m.ones(2, 3, 4).t(),
    lambda m: m.ones(2, 3).flatten(1, 0),
])
def test_shape_errors_like_torch(call):
    for lib in (cg, torch):
        with pytest.raises(RuntimeError):
            call(lib)


@pytest.mark.parametrize("call", [
    lambda m: m.ones(2, 3).transpose(0, 2),
    lambda m: m.ones(2, 3).unsqueeze(3),
    lambda m: m.ones(2, 3).squeeze(2),
    lambda m: m.ones(2, 3).flip(2),
    lambda m: m.cat([m.ones(2, 3), m.ones(2, 3)], 2),
    lambda m: m.stack([m.ones(2, 3), m.ones(2, 3)], 3),
    lambda m: m.ones(2, 3).narrow(-3, 0, 1),
    lambda m: m.ones(2, 3).select(2, 0),
    lambda m: m.ones(2, 3).flatten(0, 2),
    lambda m: m.ones(2, 3).movedim(0, 2),
    lambda m: m.ones(2, 3).size(2),
    lambda m: m.ones(2, 3).split(1, 2),
    lambda m: m.ones(2, 3).unbind(-3),
])
def test_dim_out_of_range_raises_index_error_like_torch(call):
    for lib in (cg, torch):
        with pytest.raises(IndexError):
            call(lib)


def test_cat_of_an_empty_list_raises_value_error_like_torch():
    for lib in (cg, torch):
        with pytest.raises(ValueError):
            lib.cat([])


def test_shape_metadata_like_torch():
    x, t = cg.ones(2, 3, 4), torch.ones(2, 3, 4)
    assert x.shape == t.shape and tuple(x.size()) == tuple(t.size()) and x.size(-1) == t.size(-1)
    assert x.stride() == t.stride() and x.T.stride() == t.permute(2, 1, 0).stride()
    assert x.dim() == x.ndim == 3 and x.numel() == 24 and x.nelement() == 24
    assert x.transpose(0, 1).is_contiguous() is False and x.is_contiguous()
    assert repr(x.shape) == "chaingrad.Size([2, 3, 4])" and x.shape.numel() == 24
    assert x.squeeze().shape == (2, 3, 4)


def test_split_gradient_with_unused_pieces_like_torch():
    compare_with_torch(lambda m, x: x.split(2)[1] * 3, [np.arange(6.0)])
    compare_with_torch(lambda m, x: x.chunk(3)[0].sum() + x.unbind()[4], [np.arange(6.0)])
