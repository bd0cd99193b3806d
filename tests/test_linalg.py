"""chaingrad.linalg equals torch.linalg: inv, solve, det, slogdet, svd, svdvals, qr, vector_norm, matrix_norm and
norm (values, batched shapes, gradients, finite differences, second derivatives, node names, torch's errors),
and the top-level det, inverse, logdet, slogdet, svd and qr."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array
from op_helpers import assert_raises_like_torch, assert_same_grad_fn, compare_second_derivatives


def well_conditioned(shape, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, shape)
    n = shape[-1]
    return a + 2 * np.eye(n)  # diagonally dominant enough to be safely invertible


def sign_free(m, usv):
    """A function of an SVD or QR that does not depend on the signs LAPACK picks for the vectors."""
    u, s, vh = usv
    return (u * u * 0.7).sum(-2) + s * 1.3 + (vh * vh).sum(-1) * 0.4


OPS = {
    "inv": (lambda m, a, b: m.linalg.inv(a), (3, 3), (3,)),
    "inv_batched": (lambda m, a, b: m.linalg.inv(a), (2, 3, 3), (3,)),
    "inverse": (lambda m, a, b: m.inverse(a) @ b, (3, 3), (3,)),
    "solve_vector": (lambda m, a, b: m.linalg.solve(a, b), (3, 3), (3,)),
    "solve_matrix": (lambda m, a, b: m.linalg.solve(a, b.reshape(3, 1) * b), (3, 3), (3,)),
    "solve_batched_vectors": (lambda m, a, b: m.linalg.solve(a, b), (2, 3, 3), (2, 3)),
    "solve_broadcast": (lambda m, a, b: m.linalg.solve(a, b), (2, 3, 3), (3,)),
    "solve_right": (lambda m, a, b: m.linalg.solve(a, b.reshape(1, 3) * b.reshape(3, 1)[:2], left=False),
                    (3, 3), (3,)),
    "det": (lambda m, a, b: m.linalg.det(a), (3, 3), (3,)),
    "det_batched": (lambda m, a, b: m.det(a) * 2, (2, 3, 3), (3,)),
    "slogdet": (lambda m, a, b: m.linalg.slogdet(a * -1), (2, 3, 3), (3,)),
    "slogdet_legacy": (lambda m, a, b: m.slogdet(a).logabsdet, (3, 3), (3,)),
    "logdet": (lambda m, a, b: m.logdet(a), (3, 3), (3,)),
    "svdvals": (lambda m, a, b: m.linalg.svdvals(a), (3, 4), (3,)),
    "svdvals_tall": (lambda m, a, b: m.linalg.svdvals(a), (2, 5, 3), (3,)),
    "svd_reduced": (lambda m, a, b: sign_free(m, m.linalg.svd(a, full_matrices=False)), (4, 3), (3,)),
    "svd_wide": (lambda m, a, b: sign_free(m, m.linalg.svd(a, full_matrices=False)), (2, 3, 5), (3,)),
    "svd_full": (lambda m, a, b: sign_free(m, m.linalg.svd(a)), (3, 3), (3,)),
    "svd_full_tall": (lambda m, a, b: m.linalg.svd(a).S + (m.linalg.svd(a).U[:, :3] ** 2).sum(0), (5, 3), (3,)),
    "svd_reconstruct": (lambda m, a, b: (lambda u, s, vh: u @ (s.unsqueeze(-1) * vh))(*m.linalg.svd(
        a, full_matrices=False)), (4, 3), (3,)),
    "svd_legacy": (lambda m, a, b: (lambda u, s, v: sign_free(m, (u, s, v.mT)))(*m.svd(a)), (4, 3), (3,)),
    "qr": (lambda m, a, b: m.linalg.qr(a), (4, 3), (3,)),
    "qr_square_batched": (lambda m, a, b: m.linalg.qr(a), (2, 3, 3), (3,)),
    "qr_wide": (lambda m, a, b: m.linalg.qr(a), (3, 5), (3,)),
    "qr_complete_wide": (lambda m, a, b: m.linalg.qr(a, mode="complete"), (3, 5), (3,)),
    "qr_legacy": (lambda m, a, b: m.qr(a), (4, 3), (3,)),
    "vector_norm": (lambda m, a, b: m.linalg.vector_norm(a), (3, 4), (3,)),
    "vector_norm_dim": (lambda m, a, b: m.linalg.vector_norm(a, 3, dim=1, keepdim=True), (3, 4), (3,)),
    "vector_norm_1": (lambda m, a, b: m.linalg.vector_norm(a, 1, (0, 1)), (2, 3, 4), (3,)),
    "vector_norm_inf": (lambda m, a, b: m.linalg.vector_norm(a, float("inf"), -1), (3, 4), (3,)),
    "vector_norm_neg_inf": (lambda m, a, b: m.linalg.vector_norm(a, -float("inf"), 0), (3, 4), (3,)),
    "vector_norm_0": (lambda m, a, b: m.linalg.vector_norm(a, 0, 1), (3, 4), (3,)),
    "vector_norm_half": (lambda m, a, b: m.linalg.vector_norm(a, 0.5), (3, 4), (3,)),
    "vector_norm_dtype": (lambda m, a, b: m.linalg.vector_norm(a.float(), dtype=m.float64), (3, 4), (3,)),
    "matrix_norm_fro": (lambda m, a, b: m.linalg.matrix_norm(a), (2, 3, 4), (3,)),
    "matrix_norm_nuc": (lambda m, a, b: m.linalg.matrix_norm(a, "nuc"), (2, 3, 4), (3,)),
    "matrix_norm_2": (lambda m, a, b: m.linalg.matrix_norm(a, 2, keepdim=True), (2, 3, 4), (3,)),
    "matrix_norm_neg2": (lambda m, a, b: m.linalg.matrix_norm(a, -2), (3, 4), (3,)),
    "matrix_norm_1": (lambda m, a, b: m.linalg.matrix_norm(a, 1), (2, 3, 4), (3,)),
    "matrix_norm_neg1": (lambda m, a, b: m.linalg.matrix_norm(a, -1, dim=(0, 2)), (2, 3, 4), (3,)),
    "matrix_norm_inf": (lambda m, a, b: m.linalg.matrix_norm(a, float("inf"), keepdim=True), (2, 3, 4), (3,)),
    "matrix_norm_dims": (lambda m, a, b: m.linalg.matrix_norm(a, "fro", dim=(2, 0)), (2, 3, 4), (3,)),
    "norm_default": (lambda m, a, b: m.linalg.norm(a), (2, 3, 4), (3,)),
    "norm_vector_ord": (lambda m, a, b: m.linalg.norm(a[0, 0], 3), (2, 3, 4), (3,)),
    "norm_matrix_ord": (lambda m, a, b: m.linalg.norm(a[0], "nuc"), (2, 3, 4), (3,)),
    "norm_dim_int": (lambda m, a, b: m.linalg.norm(a, dim=1), (2, 3, 4), (3,)),
    "norm_dim_pair": (lambda m, a, b: m.linalg.norm(a, 1, dim=(1, 2), keepdim=True), (2, 3, 4), (3,)),
}


def arrays_for(name, seed=0):
    _, sa, sb = OPS[name]
    rng = np.random.default_rng(seed)
    a = well_conditioned(sa, seed) if sa[-1] == sa[-2] else rand_array(rng, sa)
    return [a, rand_array(rng, sb)]


@pytest.mark.filterwarnings("ignore:torch.qr is deprecated")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(OPS))
def test_linalg_matches_torch(name, dtype):
    kw = {} if dtype == np.float64 else dict(rtol=1e-3, atol=1e-4)
    compare_with_torch(OPS[name][0], arrays_for(name), dtype=dtype, **kw)


@pytest.mark.filterwarnings("ignore:torch.qr is deprecated")
@pytest.mark.parametrize("name", sorted(n for n in OPS if n not in ("vector_norm_0", "vector_norm_dtype")))
def test_linalg_matches_finite_differences(name):
    check_finite_differences(OPS[name][0], arrays_for(name, 1), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["inv", "solve_vector", "solve_matrix", "solve_right", "det", "slogdet", "logdet",
                                  "svdvals", "svd_reduced", "svd_wide", "qr", "qr_wide", "vector_norm",
                                  "vector_norm_dim", "matrix_norm_nuc", "norm_dim_pair"])
def test_linalg_second_derivatives_match_torch(name):
    fn = OPS[name][0]
    compare_second_derivatives(lambda m, a, b: [o for o in (lambda r: r if isinstance(r, tuple) else (r,))(
        fn(m, a, b)) if o.requires_grad][-1] ** 2, arrays_for(name, 2), rtol=1e-5, atol=1e-7)


def test_det_of_a_singular_matrix_has_the_cofactor_gradient():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    # (torch 2.13 returns 0 for an exactly singular matrix; the derivative is the cofactor matrix, which is what
    # finite differences give and what torch returns for a nearly singular one)
    check_finite_differences(lambda m, t: m.linalg.det(t), [a])
    near = a.copy()
    near[1, 2] += 1e-7
    compare_with_torch(lambda m, t: m.linalg.det(t), [near], rtol=1e-5)
    compare_with_torch(lambda m, t: m.linalg.det(t), [np.zeros((2, 2))])


@pytest.mark.filterwarnings("ignore:torch.qr is deprecated")
def test_results_are_named_as_torch():
    a = cg.tensor(well_conditioned((3, 3)))
    assert type(cg.linalg.slogdet(a)).__name__ == "linalg_slogdet" and type(cg.slogdet(a)).__name__ == "slogdet"
    u, s, vh = cg.linalg.svd(a)
    assert cg.linalg.svd(a).Vh.shape == (3, 3) and cg.svd(a).V.shape == (3, 3)
    q, r = cg.linalg.qr(a)
    assert cg.linalg.qr(a).R.shape == (3, 3) and type(cg.qr(a)).__name__ == "qr"
    assert issubclass(cg.linalg.LinAlgError, RuntimeError)


def test_legacy_qr_warns_as_torch():
    with pytest.warns(UserWarning, match="torch.qr is deprecated"):
        cg.qr(cg.eye(2))


def test_qr_mode_r_and_svd_compute_uv_false_match_torch():
    a = rand_array(np.random.default_rng(3), (4, 3))
    compare_with_torch(lambda m, t: m.linalg.qr(t, mode="r").R, [a], check_grad=False)
    compare_with_torch(lambda m, t: m.linalg.qr(t, mode="r").Q, [a], check_grad=False)
    compare_with_torch(lambda m, t: m.svd(t, compute_uv=False), [a], check_grad=False)
    compare_with_torch(lambda m, t: m.svd(t, some=False).S, [a])


def test_non_differentiable_cases_raise_as_torch():
    a = rand_array(np.random.default_rng(4), (4, 2))
    assert_raises_like_torch(lambda m, t: m.linalg.qr(t.requires_grad_(), mode="r").R.sum().backward(), a,
                             match="mode='r'")
    assert_raises_like_torch(lambda m, t: m.linalg.qr(t.requires_grad_(), mode="complete").Q.sum().backward(), a,
                             match="complete")


def test_ops_name_their_nodes_as_torch():
    for name in ("inv", "solve_vector", "det", "slogdet", "logdet", "svdvals", "qr", "vector_norm",
                 "matrix_norm_fro", "matrix_norm_1", "norm_default"):
        assert_same_grad_fn(OPS[name][0], arrays_for(name))


def test_bad_arguments_raise_like_torch():
    sq = well_conditioned((3, 3))
    assert_raises_like_torch(lambda m, t: m.linalg.inv(t * 0), sq, match="singular")
    assert_raises_like_torch(lambda m, t: m.linalg.inv(t[:, :2]), sq, match="square")
    assert_raises_like_torch(lambda m, t: m.linalg.inv(t[0]), sq, match="2 dimensions")
    assert_raises_like_torch(lambda m, t: m.linalg.inv(t.long()), sq, match="Long")
    assert_raises_like_torch(lambda m, t: m.linalg.solve(t * 0, t[0]), sq, match="singular")
    assert_raises_like_torch(lambda m, t: m.linalg.solve(t, m.ones(4, dtype=t.dtype)), sq, match="AX = B")
    assert_raises_like_torch(lambda m, t: m.linalg.solve(t, t[:2]), sq, match="AX = B")
    assert_raises_like_torch(lambda m, t: m.linalg.solve(t, t[:, :2], left=False), sq, match="XA = B")
    assert_raises_like_torch(lambda m, t: m.linalg.solve(t.float(), t[0]), sq, match="dtype")
    assert_raises_like_torch(lambda m, t: m.linalg.det(t[:2]), sq, match="square")
    assert_raises_like_torch(lambda m, t: m.linalg.qr(t, mode="foo"), sq, match="mode")
    assert_raises_like_torch(lambda m, t: m.linalg.vector_norm(t.long()), sq, match="floating point")
    assert_raises_like_torch(lambda m, t: m.linalg.vector_norm(t, "fro"), sq, match="ord")
    assert_raises_like_torch(lambda m, t: m.linalg.vector_norm(t[:0], float("inf")), sq, match="identity")
    assert_raises_like_torch(lambda m, t: m.linalg.matrix_norm(t, 3), sq, match="Order 3")
    assert_raises_like_torch(lambda m, t: m.linalg.matrix_norm(t[0]), sq, match="2 dimensions")
    assert_raises_like_torch(lambda m, t: m.linalg.norm(t.reshape(1, 3, 3), 2), sq, match="1D or 2D")
    assert_raises_like_torch(lambda m, t: m.linalg.norm(t.reshape(1, 3, 3), dim=(0, 1, 2)), sq, match="length 1 or 2")
