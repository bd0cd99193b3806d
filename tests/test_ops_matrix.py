"""diag, diagonal, diag_embed, diagflat, trace, tril/triu (and in place), tril_indices/triu_indices, addmm,
addmv, baddbmm, addbmm, cross, cdist, roll, rot90, repeat_interleave and meshgrid equal PyTorch's: values,
dtypes, gradients, finite differences, second derivatives, node names and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array
from op_helpers import assert_raises_like_torch, assert_same_grad_fn, compare_second_derivatives

OPS = {
    "diag_vector": (lambda m, x, y: m.diag(x[0]), (3, 4), (1,)),
    "diag_vector_offset": (lambda m, x, y: m.diag(x[0], -2) + 1, (3, 4), (1,)),
    "diag_matrix": (lambda m, x, y: m.diag(x), (3, 4), (1,)),
    "diag_matrix_offset": (lambda m, x, y: x.diag(1) * 2, (3, 4), (1,)),
    "diagonal": (lambda m, x, y: m.diagonal(x, 1, 2, 0), (3, 4, 5), (1,)),
    "diagonal_negative": (lambda m, x, y: x.diagonal(-1, -1, -2), (3, 4, 5), (1,)),
    "linalg_diagonal": (lambda m, x, y: m.linalg.diagonal(x, offset=1), (2, 3, 4), (1,)),
    "diag_embed": (lambda m, x, y: m.diag_embed(x), (2, 3), (1,)),
    "diag_embed_dims": (lambda m, x, y: x.diag_embed(1, 0, 2), (2, 3), (1,)),
    "diagflat": (lambda m, x, y: m.diagflat(x, -1), (2, 3), (1,)),
    "trace": (lambda m, x, y: m.trace(x), (3, 4), (1,)),
    "tril": (lambda m, x, y: m.tril(x), (2, 3, 4), (1,)),
    "tril_offset": (lambda m, x, y: x.tril(-1), (3, 4), (1,)),
    "triu": (lambda m, x, y: m.triu(x, 1), (2, 4, 3), (1,)),
    "tril_inplace": (lambda m, x, y: (x * 1).tril_(1), (3, 4), (1,)),
    "triu_inplace": (lambda m, x, y: (x * 1).triu_(), (3, 4), (1,)),
    "addmm": (lambda m, x, y: m.addmm(y, x, x.T), (3, 4), (3,)),
    "addmm_scaled": (lambda m, x, y: m.addmm(y.reshape(3, 1), x, x.T, beta=0.5, alpha=-2), (3, 4), (3,)),
    "addmm_method": (lambda m, x, y: y.reshape(3, 1).addmm(x, x.T, beta=0), (3, 4), (3,)),
    "addmv": (lambda m, x, y: m.addmv(y, x, x[0], alpha=3), (3, 4), (3,)),
    "addmm_inplace": (lambda m, x, y: (x[:, :3] * 1).addmm_(x, x.T, beta=2), (3, 4), (3,)),
    "addmv_inplace": (lambda m, x, y: (y * 1).addmv_(x, x[0]), (3, 4), (3,)),
    "baddbmm_inplace": (lambda m, x, y: (x[:, :, :3] * 1).baddbmm_(x, x.mT, alpha=0.5), (2, 3, 4), (3,)),
    "addbmm_inplace": (lambda m, x, y: (x[0, :, :3] * 1).addbmm_(x, x.mT), (2, 3, 4), (3,)),
    "baddbmm": (lambda m, x, y: m.baddbmm(y, x, x.mT, beta=2), (2, 3, 4), (3,)),
    "addbmm": (lambda m, x, y: m.addbmm(y, x, x.mT, alpha=0.5), (2, 3, 4), (3,)),
    "cross": (lambda m, x, y: m.cross(x, y, dim=1), (4, 3), (4, 3)),
    "linalg_cross": (lambda m, x, y: m.linalg.cross(x, y), (2, 4, 3), (1, 4, 3)),
    "cross_method": (lambda m, x, y: x.cross(y, 0), (3, 2), (3, 2)),
    "cdist": (lambda m, x, y: m.cdist(x, y), (4, 3), (5, 3)),
    "cdist_p1": (lambda m, x, y: m.cdist(x, y, p=1), (4, 3), (5, 3)),
    "cdist_p3": (lambda m, x, y: m.cdist(x, y, p=3), (4, 3), (5, 3)),
    "cdist_p05": (lambda m, x, y: m.cdist(x, y, p=0.5), (4, 3), (5, 3)),
    "cdist_inf": (lambda m, x, y: m.cdist(x, y, p=float("inf")), (4, 3), (5, 3)),
    "cdist_p0": (lambda m, x, y: m.cdist(x, y, p=0), (4, 3), (5, 3)),
    "cdist_batched": (lambda m, x, y: m.cdist(x, y), (2, 4, 3), (5, 3)),
    "cdist_mm": (lambda m, x, y: m.cdist(x, y, compute_mode="use_mm_for_euclid_dist"), (4, 3), (5, 3)),
    "cdist_many": (lambda m, x, y: m.cdist(x, y), (30, 3), (5, 3)),
    "roll": (lambda m, x, y: m.roll(x, 1), (3, 4), (1,)),
    "roll_dims": (lambda m, x, y: x.roll((1, -1), (0, 1)), (3, 4), (1,)),
    "roll_big": (lambda m, x, y: m.roll(x, 7, -1), (3, 4), (1,)),
    "rot90": (lambda m, x, y: m.rot90(x), (3, 4), (1,)),
    "rot90_k": (lambda m, x, y: x.rot90(-1, [2, 0]), (2, 3, 4), (1,)),
    "rot90_2": (lambda m, x, y: m.rot90(x, 2, (1, 0)), (3, 4), (1,)),
    "repeat_interleave": (lambda m, x, y: m.repeat_interleave(x, 2), (3, 4), (1,)),
    "repeat_interleave_dim": (lambda m, x, y: x.repeat_interleave(3, dim=1), (3, 4), (1,)),
    "repeat_interleave_tensor": (lambda m, x, y: m.repeat_interleave(x, m.tensor([1, 0, 2]), dim=0), (3, 4), (1,)),
    "repeat_interleave_one": (lambda m, x, y: m.repeat_interleave(x, m.tensor(2), dim=1, output_size=8), (3, 4),
                              (1,)),
    "meshgrid_ij": (lambda m, x, y: m.meshgrid(x[0], y, indexing="ij"), (3, 4), (2,)),
    "meshgrid_xy": (lambda m, x, y: m.meshgrid([x[0], y, x[1, :2]], indexing="xy"), (3, 4), (2,)),
}


def arrays_for(name, seed=0):
    _, sa, sb = OPS[name]
    rng = np.random.default_rng(seed)
    return [rand_array(rng, sa), rand_array(rng, sb)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(OPS))
def test_ops_match_torch(name, dtype):
    compare_with_torch(OPS[name][0], arrays_for(name), dtype=dtype)


@pytest.mark.parametrize("name", sorted(n for n in OPS if n not in ("cdist_inf", "cdist_p0")))
def test_ops_match_finite_differences(name):
    check_finite_differences(OPS[name][0], arrays_for(name, 1))


@pytest.mark.parametrize("name", ["diag_matrix", "diag_embed", "trace", "tril", "addmm_scaled", "addmv", "baddbmm",
                                  "addbmm", "linalg_cross", "roll_dims", "rot90_k", "repeat_interleave_tensor",
                                  "diagonal"])
def test_second_derivatives_match_torch(name):
    fn = OPS[name][0]
    compare_second_derivatives(lambda m, x, y: fn(m, x, y) ** 2, arrays_for(name, 2))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_cdist_second_derivatives_match_the_composed_formula(p):
    # torch's cdist has no double backward: compare with the same distances written as elementwise ops
    def fn(m, x, y):
        if m is cg:
            return m.cdist(x, y, p=p) ** 2
        return (((x.unsqueeze(-2) - y.unsqueeze(-3)).abs() ** p).sum(-1) ** (1 / p)) ** 2

    compare_second_derivatives(fn, arrays_for("cdist", 2))


def test_cdist_at_zero_distance_has_torch_gradient():
    x = np.array([[0.0, 0.0], [1.0, 2.0]])
    for p in (2, 1, 3, 0.5, float("inf"), 0):
        compare_with_torch(lambda m, a, b, p=p: m.cdist(a, b, p=p), [x, x[:1].copy()])


def test_index_helpers_match_torch():
    for args in ((3, 4, 1), (3, 4, -1), (4, 3), (1, 1), (0, 3), (5, 2, -3)):
        compare_with_torch(lambda m, a=args: (m.tril_indices(*a), m.triu_indices(*a)), [])
    compare_with_torch(lambda m: m.tril_indices(3, 3, dtype=m.int32), [])
    compare_with_torch(lambda m, c: m.repeat_interleave(c), [np.array([2, 1, 3])])


def test_integer_inputs_follow_torch():
    i = np.array([[1, 2], [3, 4]], dtype=np.int32)
    def trace(m, t):
        return m.trace(t)

    for fn in (trace, lambda m, t: m.diag(t), lambda m, t: m.tril(t), lambda m, t: m.roll(t, 1),
               lambda m, t: m.rot90(t), lambda m, t: m.repeat_interleave(t, 2, 0)):
        compare_with_torch(fn, [i])
        if fn is not trace:
            compare_with_torch(fn, [i.astype(bool)])
    assert_raises_like_torch(trace, i.astype(bool), match="Bool")


def test_diagonal_is_a_view_and_diag_a_copy_as_torch():
    for m in (cg, torch):
        x = m.zeros(3, 4)
        x.diagonal().fill_(1.0)
        x.diagonal(1).add_(2.0)
        x.diag().fill_(7.0)  # a copy: x unchanged
        np.testing.assert_array_equal(x.numpy(), np.eye(3, 4) + 2 * np.eye(3, 4, 1))
    a = rand_array(np.random.default_rng(4), (3, 3))

    def scaled_diagonal(m, t):
        y = t * 1
        y.diagonal().mul_(3.0)
        return y

    compare_with_torch(scaled_diagonal, [a])


def test_addmm_with_beta_zero_ignores_nan_as_torch():
    compare_with_torch(lambda m, c, a, b: m.addmm(c, a, b, beta=0), [np.array([np.nan]), np.ones((1, 1)),
                                                                        np.ones((1, 1))])


def test_cross_without_dim_warns_and_uses_the_first_dim_of_size_3():
    x = rand_array(np.random.default_rng(3), (3, 4))
    with pytest.warns(UserWarning, match="deprecated"):
        compare_with_torch(lambda m, a: m.cross(a, a.flip(0)), [x])


def test_meshgrid_without_indexing_warns_and_uses_ij():
    with pytest.warns(UserWarning, match="indexing"):
        ours = cg.meshgrid(cg.arange(3), cg.arange(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.meshgrid(torch.arange(3), torch.arange(2))
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_ops_name_their_nodes_as_torch():
    for name in ("diag_vector", "diag_matrix", "diagonal", "diag_embed", "trace", "tril", "triu", "addmm",
                 "addmm_method", "addmv", "baddbmm", "addbmm", "linalg_cross", "cdist", "roll", "rot90"):
        assert_same_grad_fn(OPS[name][0], arrays_for(name))


def test_bad_arguments_raise_like_torch():
    a = np.ones((3, 4))
    v = np.ones(3)
    assert_raises_like_torch(lambda m, x: m.diag(x.reshape(1, 3, 4)), a, match="diag")
    assert_raises_like_torch(lambda m, x: m.diagonal(x, 0, 1, 1), a, match="diagonal")
    assert_raises_like_torch(lambda m, x: m.tril(x), v, match="tril")
    assert_raises_like_torch(lambda m, x: m.trace(x.reshape(1, 3, 4)), a, match="trace")
    assert_raises_like_torch(lambda m, x: m.addmm(x[0], x, x), a, match="addmm")
    assert_raises_like_torch(lambda m, x: m.addmm(m.ones(2), x, x.T), a)
    assert_raises_like_torch(lambda m, x: m.baddbmm(m.ones(2, 3, 3), m.ones(2, 3, 4), m.ones(3, 4, 3)), a)
    assert_raises_like_torch(lambda m, x: m.linalg.cross(x, x), a, match="length 3")
    assert_raises_like_torch(lambda m, x: m.linalg.cross(x.T, x.T.double()), a.astype(np.float32))
    assert_raises_like_torch(lambda m, x: m.cdist(x, x.T), a, match="columns")
    assert_raises_like_torch(lambda m, x: m.cdist(x[0], x[0]), a, match="2D")
    assert_raises_like_torch(lambda m, x: m.cdist(x, x, p=-1), a, match="non-negative")
    assert_raises_like_torch(lambda m, x: m.cdist(x.int(), x.int()), a, match="floating")
    assert_raises_like_torch(lambda m, x: m.roll(x, (1, -1), 0), a, match="align")
    assert_raises_like_torch(lambda m, x: m.roll(x, 1, 2), a)
    assert_raises_like_torch(lambda m, x: m.rot90(x, 1, [0, 0]), a, match="different")
    assert_raises_like_torch(lambda m, x: m.rot90(x, 1, [0]), a, match="rotation dims")
    assert_raises_like_torch(lambda m, x: m.repeat_interleave(x, m.tensor([1, 0]), dim=0), a, match="repeats")
    assert_raises_like_torch(lambda m, x: m.repeat_interleave(x, m.tensor([1, -1, 1]), dim=0), a,
                             match="negative")
    assert_raises_like_torch(lambda m, x: m.meshgrid(x[0], x[0].long(), indexing="ij"), a, match="dtype")
    assert_raises_like_torch(lambda m, x: m.meshgrid(x, indexing="ij"), a, match="1D")
    assert_raises_like_torch(lambda m, x: m.meshgrid(x[0], indexing="foo"), a, match="indexing")
