"""chaingrad.linalg equals torch.linalg for eigh, eigvalsh, cholesky(_ex), solve_triangular, lu(_factor, _ex,
_solve), pinv, matrix_rank, lstsq, cond, inv_ex, solve_ex, multi_dot, vander, vecdot, tensorinv, tensorsolve,
householder_product, matrix_power and matrix_exp, and torch's top-level cholesky, cholesky_solve,
cholesky_inverse, triangular_solve, lu, lu_solve and lu_unpack: values (float64 and float32), batched shapes,
gradients, finite differences, second derivatives, result types and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch
from op_helpers import assert_raises_like_torch, assert_same_grad_fn, compare_second_derivatives

pytestmark = pytest.mark.filterwarnings("ignore:torch.(cholesky|lu|lu_solve|triangular_solve) is deprecated")


def general(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape)


def invertible(shape, seed=0):
    return general(shape, seed) + 2 * np.eye(shape[-1])


def symmetric(shape, seed=0):
    a = general(shape, seed)
    return a + np.swapaxes(a, -1, -2) + np.diag(np.arange(shape[-1]) * 1.5)  # well separated eigenvalues


def positive_definite(shape, seed=0):
    a = general(shape, seed)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def sign_free_eigh(m, wv):
    w, v = wv
    return w * 1.1 + (v * v * 0.7).sum(-1), v.abs().sum(-2) * 0 + (v[..., 0, :] * v[..., 1, :])


# name: (fn(lib, *tensors), [arrays])
OPS = {
    "eigh": (lambda m, a: sign_free_eigh(m, m.linalg.eigh(a)), [symmetric((3, 3))]),
    "eigh_batched_upper": (lambda m, a: sign_free_eigh(m, m.linalg.eigh(a, UPLO="U")), [general((2, 3, 3)) * 3]),
    "eigvalsh": (lambda m, a: m.linalg.eigvalsh(a), [symmetric((2, 4, 4))]),
    "eigvalsh_upper": (lambda m, a: m.linalg.eigvalsh(a, "U"), [general((3, 3))]),
    "cholesky": (lambda m, a: m.linalg.cholesky(a), [positive_definite((3, 3))]),
    "cholesky_upper_batched": (lambda m, a: m.linalg.cholesky(a, upper=True), [positive_definite((2, 3, 3))]),
    "cholesky_ex": (lambda m, a: m.linalg.cholesky_ex(a), [positive_definite((2, 3, 3))]),
    "cholesky_legacy": (lambda m, a: m.cholesky(a, True), [positive_definite((3, 3))]),
    "cholesky_method": (lambda m, a: a.cholesky(), [positive_definite((3, 3))]),
    "cholesky_solve": (lambda m, a, b: m.cholesky_solve(b, m.linalg.cholesky(a)), [positive_definite((2, 3, 3)),
                                                                                   general((2, 3, 2))]),
    "cholesky_solve_upper": (lambda m, a, b: b.cholesky_solve(m.linalg.cholesky(a, upper=True), upper=True),
                             [positive_definite((3, 3)), general((2, 3, 2))]),
    "cholesky_inverse": (lambda m, a: m.cholesky_inverse(m.linalg.cholesky(a)), [positive_definite((2, 3, 3))]),
    "cholesky_inverse_upper": (lambda m, a: m.linalg.cholesky(a, upper=True).cholesky_inverse(True),
                               [positive_definite((3, 3))]),
    "solve_triangular_upper": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
                               [invertible((2, 3, 3)), general((2, 3, 2))]),
    "solve_triangular_lower_right_unit": (lambda m, a, b: m.linalg.solve_triangular(
        a, b, upper=False, left=False, unitriangular=True), [general((3, 3)), general((2, 4, 3))]),
    "solve_triangular_broadcast": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False),
                                   [invertible((2, 1, 3, 3)), general((3, 3, 1))]),
    "triangular_solve": (lambda m, a, b: m.triangular_solve(b, a), [invertible((3, 3)), general((2, 3, 2))]),
    "triangular_solve_transpose_unit": (lambda m, a, b: b.triangular_solve(a, False, True, True),
                                        [general((2, 3, 3)), general((2, 3, 2))]),
    "lu": (lambda m, a: m.linalg.lu(a), [general((2, 3, 3))]),
    "lu_tall": (lambda m, a: m.linalg.lu(a), [general((2, 5, 3))]),
    "lu_wide": (lambda m, a: m.linalg.lu(a), [general((3, 5))]),
    "lu_factor": (lambda m, a: m.linalg.lu_factor(a), [general((2, 4, 4))]),
    "lu_factor_ex_tall": (lambda m, a: m.linalg.lu_factor_ex(a), [general((5, 3))]),
    "lu_factor_ex_wide": (lambda m, a: m.linalg.lu_factor_ex(a), [general((2, 3, 5))]),
    "lu_solve": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b), [invertible((2, 3, 3)),
                                                                               general((2, 3, 2))]),
    "lu_solve_adjoint": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True),
                         [invertible((3, 3)), general((2, 3, 2))]),
    "lu_solve_right": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, left=False),
                       [invertible((2, 3, 3)), general((2, 4, 3))]),
    "lu_solve_right_adjoint": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, left=False,
                                                                 adjoint=True), [invertible((3, 3)), general((4, 3))]),
    "lu_legacy": (lambda m, a: m.lu(a, get_infos=True), [general((2, 3, 3))]),
    "lu_solve_legacy": (lambda m, a, b: b.lu_solve(*a.lu()), [invertible((3, 3)), general((3, 2))]),
    "lu_unpack": (lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a)), [general((2, 3, 3))]),
    "lu_unpack_tall": (lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a)), [general((5, 3))]),
    "pinv": (lambda m, a: m.linalg.pinv(a), [general((2, 4, 3))]),
    "pinv_wide": (lambda m, a: m.linalg.pinv(a), [general((3, 5))]),
    "pinv_hermitian": (lambda m, a: m.linalg.pinv(a, hermitian=True), [symmetric((2, 3, 3))]),
    "pinv_atol": (lambda m, a: m.linalg.pinv(a, atol=0.6), [general((4, 3))]),
    "pinv_rtol": (lambda m, a: m.linalg.pinv(a, rtol=0.4), [general((2, 4, 3))]),
    "pinv_rcond": (lambda m, a: m.linalg.pinv(a, 0.4), [general((4, 3))]),
    "pinverse": (lambda m, a: m.pinverse(a, rcond=0.4), [general((3, 4))]),
    "lstsq": (lambda m, a, b: m.linalg.lstsq(a, b), [general((2, 5, 3)), general((2, 5, 2))]),
    "lstsq_wide": (lambda m, a, b: m.linalg.lstsq(a, b), [general((3, 5)), general((3, 2))]),
    "lstsq_gels": (lambda m, a, b: m.linalg.lstsq(a, b, driver="gels"), [general((2, 5, 3)), general((2, 5, 2))]),
    "lstsq_gels_wide": (lambda m, a, b: m.linalg.lstsq(a, b, driver="gels"), [general((3, 5)), general((3, 2))]),
    "lstsq_gelsd": (lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd"), [general((2, 5, 3)), general((2, 5, 2))]),
    "lstsq_gelss_wide": (lambda m, a, b: m.linalg.lstsq(a, b, driver="gelss"), [general((3, 5)), general((3, 2))]),
    "lstsq_vector": (lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd"), [general((2, 5, 3)), general((2, 5))]),
    "lstsq_batch_broadcast": (lambda m, a, b: m.linalg.lstsq(a, b), [general((1, 5, 3)), general((2, 5, 2))]),
    "matrix_power": (lambda m, a: m.linalg.matrix_power(a, 3), [general((2, 3, 3))]),
    "matrix_power_negative": (lambda m, a: m.linalg.matrix_power(a, -2), [invertible((3, 3))]),
    "matrix_power_zero": (lambda m, a: m.linalg.matrix_power(a, 0), [general((2, 3, 3))]),
    "matrix_exp": (lambda m, a: m.linalg.matrix_exp(a), [general((2, 3, 3))]),
    "multi_dot": (lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), [general(3), general((3, 4)), general((4, 2))]),
    "multi_dot_four": (lambda m, a, b, c, d: m.linalg.multi_dot((a, b, c, d)),
                       [general((2, 6)), general((6, 4)), general((4, 5)), general(5)]),
    "multi_dot_two_vectors": (lambda m, a, b: m.linalg.multi_dot([a, b]), [general(3), general(3)]),
    "vander": (lambda m, a: m.linalg.vander(a), [general((2, 3))]),
    "vander_N": (lambda m, a: m.linalg.vander(a, N=5), [general(3)]),
    "vecdot": (lambda m, a, b: m.linalg.vecdot(a, b), [general((2, 3, 4)), general((3, 4))]),
    "vecdot_dim": (lambda m, a, b: m.linalg.vecdot(a, b, dim=0), [general((3, 4)), general((3, 1))]),
    "tensorinv": (lambda m, a: m.linalg.tensorinv(a, ind=2), [general((4, 6, 8, 3))]),
    "tensorinv_ind1": (lambda m, a: m.linalg.tensorinv(a, ind=1), [general((6, 2, 3))]),
    "tensorsolve": (lambda m, a, b: m.linalg.tensorsolve(a, b), [general((2, 3, 6)), general((2, 3))]),
    "tensorsolve_dims": (lambda m, a, b: m.linalg.tensorsolve(a, b, dims=(0,)), [general((6, 2, 3)),
                                                                                 general((2, 3))]),
    "inv_ex": (lambda m, a: m.linalg.inv_ex(a), [invertible((2, 3, 3))]),
    "solve_ex": (lambda m, a, b: m.linalg.solve_ex(a, b), [invertible((2, 3, 3)), general((2, 3))]),
    "solve_ex_right": (lambda m, a, b: m.linalg.solve_ex(a, b, left=False), [invertible((3, 3)), general((2, 3))]),
    "cond": (lambda m, a: m.linalg.cond(a), [general((2, 3, 3))]),
    "cond_tall": (lambda m, a: m.linalg.cond(a), [general((4, 3))]),
    "cond_2": (lambda m, a: m.linalg.cond(a, 2), [general((3, 3))]),
    "cond_neg2": (lambda m, a: m.linalg.cond(a, -2), [general((3, 5))]),
    "householder_product": (lambda m, a, t: m.linalg.householder_product(a, t), [general((2, 4, 3)),
                                                                                general((2, 2))]),
    "orgqr": (lambda m, a, t: a.orgqr(t), [general((3, 3)), general(3)]),
}

# (torch 2.13 backpropagates through cond with these orders by an in-place op that its autograd then rejects:
# their values are compared with torch's, their gradients with finite differences)
COND_VALUES_ONLY = {f"cond_{p}": (lambda m, a, p=p: m.linalg.cond(a, p), [invertible((2, 3, 3))])
                    for p in ("fro", "nuc", float("inf"), -float("inf"), 1, -1)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(OPS))
def test_matches_torch(name, dtype):
    fn, arrays = OPS[name]
    kw = {} if dtype == np.float64 else dict(rtol=2e-3, atol=2e-4)
    compare_with_torch(fn, arrays, dtype=dtype, **kw)


@pytest.mark.parametrize("name", sorted(COND_VALUES_ONLY))
def test_cond_values_match_torch_and_gradients_finite_differences(name):
    fn, arrays = COND_VALUES_ONLY[name]
    compare_with_torch(fn, arrays, check_grad=False)
    compare_with_torch(fn, [a.astype(np.float32) for a in arrays], check_grad=False, rtol=1e-4, atol=1e-5)
    check_finite_differences(fn, arrays, rtol=1e-4, atol=1e-6)


# (the pseudo-inverse's derivative, torch's formula, is that of the untruncated one: a truncated pinv has another)
NOT_DIFFERENTIABLE = {"matrix_power_zero", "pinv_atol", "pinv_rtol", "pinv_rcond", "pinverse"}
# these read one triangle of a symmetric A; their gradient (torch's) is the symmetric one, which finite
# differences give for a function of (A + A^T) / 2
SYMMETRIC_INPUT = {"eigh", "eigh_batched_upper", "eigvalsh", "eigvalsh_upper", "cholesky", "cholesky_upper_batched",
                   "cholesky_ex", "cholesky_legacy", "cholesky_method", "cholesky_solve", "cholesky_solve_upper",
                   "cholesky_inverse", "cholesky_inverse_upper", "pinv_hermitian"}


def symmetrized(fn):
    return lambda m, a, *rest: fn(m, (a + a.mT) / 2, *rest)


@pytest.mark.parametrize("name", sorted(set(OPS) - NOT_DIFFERENTIABLE))
def test_matches_finite_differences(name):
    fn, arrays = OPS[name]
    check_finite_differences(symmetrized(fn) if name in SYMMETRIC_INPUT else fn, arrays, rtol=1e-4, atol=1e-6)


def test_truncated_pinv_gradient_is_torchs_formula():
    compare_with_torch(lambda m, a: m.linalg.pinv(a, atol=0.6), [general((4, 3))])


@pytest.mark.parametrize("name", ["eigh", "eigvalsh", "cholesky", "cholesky_upper_batched", "cholesky_solve",
                                  "cholesky_inverse", "solve_triangular_upper", "solve_triangular_lower_right_unit",
                                  "lu", "lu_tall", "lu_wide", "lu_factor", "lu_solve", "lu_solve_right_adjoint",
                                  "pinv", "pinv_hermitian", "lstsq_gelsd", "lstsq_wide", "multi_dot", "vander",
                                  "tensorinv", "tensorsolve", "cond", "householder_product"])
def test_second_derivatives_match_torch(name):
    fn, arrays = OPS[name]

    def last(m, *ts):
        out = fn(m, *ts)
        outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o.requires_grad]
        return sum((o ** 2).sum() for o in outs)

    compare_second_derivatives(last, arrays, rtol=1e-5, atol=1e-7)


def test_gradcheck_in_float64():
    a = cg.tensor(positive_definite((3, 3)), requires_grad=True)
    b = cg.tensor(general((3, 2)), requires_grad=True)
    assert cg.autograd.gradcheck(lambda x: cg.linalg.cholesky((x + x.mT) / 2), (a,))
    assert cg.autograd.gradcheck(lambda x: cg.linalg.eigh((x + x.mT) / 2).eigenvalues, (a,))
    assert cg.autograd.gradcheck(lambda x, y: cg.linalg.solve_triangular(x, y, upper=True), (a, b))
    assert cg.autograd.gradcheck(lambda x, y: cg.linalg.lstsq(x, y).solution, (a, b))
    assert cg.autograd.gradcheck(lambda x: cg.linalg.lu(x)[1:], (a,))


def test_results_have_torchs_types_and_fields():
    a = cg.tensor(positive_definite((3, 3)))
    cases = [(cg.linalg.eigh(a), "linalg_eigh", ("eigenvalues", "eigenvectors")),
             (cg.linalg.cholesky_ex(a), "linalg_cholesky_ex", ("L", "info")),
             (cg.linalg.inv_ex(a), "linalg_inv_ex", ("inverse", "info")),
             (cg.linalg.solve_ex(a, a), "linalg_solve_ex", ("result", "info")),
             (cg.linalg.lu(a), "linalg_lu", ("P", "L", "U")),
             (cg.linalg.lu_factor(a), "linalg_lu_factor", ("LU", "pivots")),
             (cg.linalg.lu_factor_ex(a), "linalg_lu_factor_ex", ("LU", "pivots", "info")),
             (cg.linalg.lstsq(a, a), "linalg_lstsq", ("solution", "residuals", "rank", "singular_values")),
             (cg.lu_unpack(*cg.linalg.lu_factor(a)), "lu_unpack", ("P", "L", "U")),
             (cg.triangular_solve(a, a), "triangular_solve", ("solution", "cloned_coefficient"))]
    for result, name, fields in cases:
        assert type(result).__name__ == name and result._fields == fields
        assert repr(result).startswith(f"chaingrad.return_types.{name}(")


def test_lu_factor_pivots_are_lapacks():
    a = general((2, 4, 4), 5)
    ours, theirs = cg.linalg.lu_factor(cg.tensor(a)), torch.linalg.lu_factor(torch.tensor(a))
    assert ours.pivots.dtype == cg.int32
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())


def test_info_of_failed_factorizations_matches_torch():
    bad = np.stack([np.eye(3), [[1.0, 2, 0], [2, 1, 0], [0, 0, 1]], np.zeros((3, 3))])
    for fn in (lambda m, t: m.linalg.cholesky_ex(t), lambda m, t: m.linalg.cholesky_ex(t, upper=True),
               lambda m, t: m.linalg.lu_factor_ex(t), lambda m, t: m.linalg.inv_ex(t).info,
               lambda m, t: m.linalg.solve_ex(t, t).info):
        compare_with_torch(fn, [bad], check_grad=False)
    compare_with_torch(lambda m, t: m.linalg.solve_ex(t, m.ones(2, dtype=t.dtype)), [np.zeros((2, 2))],
                       check_grad=False)
    compare_with_torch(lambda m, t: m.linalg.inv_ex(t), [np.zeros((2, 2))], check_grad=False)
    compare_with_torch(lambda m, t: m.linalg.cond(t, 1), [np.zeros((2, 2))], check_grad=False)


def test_lstsq_reports_rank_and_singular_values_per_driver():
    a = np.outer(np.arange(1.0, 6), np.ones(3))  # rank 1
    b = general((5, 2))
    for driver in (None, "gelsy", "gelsd", "gelss"):
        compare_with_torch(lambda m, x, y, driver=driver: m.linalg.lstsq(x, y, driver=driver), [a, b], check_grad=False)
    q = np.linalg.qr(general((5, 3)))[0]
    gap = q @ np.diag([1.0, 0.5, 1e-3]) @ np.linalg.qr(general((3, 3), 1))[0]  # rank 2 below rcond 0.01
    for driver in (None, "gelsd", "gelss"):
        compare_with_torch(lambda m, x, y, driver=driver: m.linalg.lstsq(x, y, rcond=0.01, driver=driver),
                           [gap, b],
                           check_grad=False)


def test_matrix_rank_matches_torch():
    d = np.diag([1.0, 1e-3, 1e-20])
    for kw in ({}, dict(atol=0.0), dict(atol=1e-2), dict(rtol=1e-2), dict(atol=1e-2, rtol=0.5),
               dict(hermitian=True), dict(tol=1e-2), dict(hermitian=True, rtol=1e-2)):
        compare_with_torch(lambda m, x, kw=kw: m.linalg.matrix_rank(x, **kw), [d], check_grad=False)
    compare_with_torch(lambda m, x: m.linalg.matrix_rank(x, atol=m.tensor([1e-2, 1e-5])), [np.stack([d, d])],
                       check_grad=False)
    compare_with_torch(lambda m, x: m.linalg.matrix_rank(x), [general((2, 4, 3))], check_grad=False)


def test_eigh_with_repeated_eigenvalues_has_torchs_nan_gradient():
    for lib in (cg, torch):
        a = lib.eye(3, dtype=lib.float64, requires_grad=True)
        lib.linalg.eigh(a).eigenvectors.sum().backward()
        assert np.isnan(a.grad.numpy()).all()
    compare_with_torch(lambda m, t: m.linalg.eigh(t).eigenvalues, [np.eye(3)])


def test_out_arguments():
    a = positive_definite((3, 3))
    out = cg.empty(3, 3, dtype=cg.float64)
    assert cg.linalg.cholesky(cg.tensor(a), out=out) is out
    np.testing.assert_allclose(out.numpy(), np.linalg.cholesky(a))
    w, v = cg.empty(0, dtype=cg.float64), cg.empty(0, dtype=cg.float64)
    res = cg.linalg.eigh(cg.tensor(a), out=(w, v))
    assert res.eigenvalues is w and w.shape == (3,)


def test_removed_functions_raise_torchs_errors():
    a = invertible((3, 3))
    for fn in (lambda m, t: m.symeig(t), lambda m, t: t.symeig(), lambda m, t: m.eig(t), lambda m, t: t.eig(),
               lambda m, t: m.lstsq(t, t), lambda m, t: t.lstsq(t), lambda m, t: m.matrix_rank(t)):
        ours = assert_raises_like_torch(fn, a, match="deprecated since version 1.9 and is now removed")
        with pytest.raises(RuntimeError) as theirs:
            fn(torch, torch.tensor(a))
        assert str(ours) == str(theirs.value)


def test_eig_and_eigvals_raise_not_implemented():
    a = cg.tensor(invertible((3, 3)))
    for fn in (cg.linalg.eig, cg.linalg.eigvals):
        with pytest.raises(NotImplementedError, match="complex dtype.*linalg.eigh"):
            fn(a)
    assert_raises_like_torch(lambda m, t: m.linalg.eig(t), general((2, 3)), match="square")


def test_deprecated_spellings_warn_as_torch():
    # (torch warns once a process, from C++: its texts are the ones below, not compared here again)
    a = positive_definite((3, 3))
    for fn, text in ((lambda m, t: m.cholesky(t), "torch.cholesky is deprecated"),
                     (lambda m, t: m.lu(t), "torch.lu is deprecated"),
                     (lambda m, t: m.lu_solve(t, *m.linalg.lu_factor(t)), "torch.lu_solve is deprecated"),
                     (lambda m, t: m.triangular_solve(t, t), "torch.triangular_solve is deprecated")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(cg, cg.tensor(a))
        assert any(str(w.message).startswith(text) and w.category is UserWarning for w in caught), text


def test_bad_arguments_raise_like_torch():
    sq, pd = general((3, 3)), positive_definite((3, 3))
    not_pd = np.array([[1.0, 2.0], [2.0, 1.0]])
    err = assert_raises_like_torch(lambda m, t: m.linalg.cholesky(t), not_pd, match="not positive-definite")
    assert str(err) == str(pytest.raises(Exception, torch.linalg.cholesky, torch.tensor(not_pd)).value)
    err = assert_raises_like_torch(lambda m, t: m.linalg.cholesky(m.stack([t, t])), not_pd, match="Batch element 0")
    assert str(err) == str(pytest.raises(Exception, torch.linalg.cholesky, torch.tensor(np.stack([not_pd] * 2))).value)
    assert_raises_like_torch(lambda m, t: m.linalg.cholesky_ex(t, check_errors=True), not_pd, match="order 2")
    assert_raises_like_torch(lambda m, t: m.cholesky(t), not_pd, match="cholesky: The factorization")
    assert_raises_like_torch(lambda m, t: m.linalg.cholesky(t[:2]), pd, match="square")
    assert_raises_like_torch(lambda m, t: m.linalg.eigh(t[:2]), pd, match="square")
    assert_raises_like_torch(lambda m, t: m.linalg.eigh(t[0]), pd, match="2 dimensions")
    assert_raises_like_torch(lambda m, t: m.linalg.eigh(t.long()), pd, match="Long")
    assert_raises_like_torch(lambda m, t: m.linalg.eigh(t, UPLO="X"), pd, match="UPLO")
    assert_raises_like_torch(lambda m, t: m.linalg.eigvalsh(t, UPLO="upper"), pd, match="UPLO")
    assert_raises_like_torch(lambda m, t: m.linalg.solve_triangular(t, t[0], upper=True), sq, match="2 dimensions")
    assert_raises_like_torch(lambda m, t: m.linalg.solve_triangular(t, t[:2], upper=True), sq, match="AX = B")
    assert_raises_like_torch(lambda m, t: m.linalg.solve_triangular(t, t[:, :2], upper=True, left=False), sq,
                             match="XA = B")
    compare_with_torch(lambda m, a, b: m.linalg.solve_triangular(a, b.float(), upper=True), [sq + 2 * np.eye(3), sq])
    assert_raises_like_torch(lambda m, a, b: m.linalg.lstsq(a, b), general((2, 5, 3)), general((5, 2)))
    assert_raises_like_torch(lambda m, t: m.linalg.solve_triangular(t, t), sq)
    assert_raises_like_torch(lambda m, t: m.linalg.lu_factor(t * 0), sq, match="U[1,1] is zero")
    assert_raises_like_torch(lambda m, t: m.linalg.lu_factor_ex(t * 0, check_errors=True), sq, match="U[1,1]")
    assert_raises_like_torch(lambda m, t: m.linalg.lu_factor(t, pivot=False), sq, match="without pivoting")
    assert_raises_like_torch(lambda m, t: m.linalg.inv_ex(m.stack([t * 0]), check_errors=True), sq,
                             match="(Batch element 0): The diagonal element 1 is zero")
    assert_raises_like_torch(lambda m, t: m.linalg.solve_ex(t * 0, t, check_errors=True), sq, match="singular")
    assert_raises_like_torch(lambda m, t: m.linalg.lstsq(t, t[:2]), sq, match="size(-2)")
    assert_raises_like_torch(lambda m, t: m.linalg.lstsq(t, t.float()), sq, match="same dtype")
    assert_raises_like_torch(lambda m, t: m.linalg.lstsq(t[0], t), sq, match="at least 2 dimensions")
    assert_raises_like_torch(lambda m, t: m.linalg.lstsq(t, t, driver="foo"), sq, match="driver")
    assert_raises_like_torch(lambda m, t: m.linalg.lstsq(t, t.expand(2, 2, 3, 3)), sq, match="input.dim()")
    assert_raises_like_torch(lambda m, a, b: m.linalg.lstsq(a, b, driver="gels"), np.ones((5, 3)), general((5, 2)),
                             match="full rank")
    assert_raises_like_torch(lambda m, t: m.linalg.pinv(t.long()), sq, match="Long{[3, 3]}")
    assert_raises_like_torch(lambda m, t: m.linalg.pinv(t[0]), sq, match="2 or more dimensions")
    assert_raises_like_torch(lambda m, t: m.linalg.matrix_rank(t[0]), sq, match="2 dimensions")
    assert_raises_like_torch(lambda m, t: m.linalg.matrix_rank(t.long()), sq, match="float and double")
    assert_raises_like_torch(lambda m, t: m.linalg.cond(t[0]), sq, match="2 dimensions")
    assert_raises_like_torch(lambda m, t: m.linalg.cond(t[:2], 1), sq, match="cond(ord=1)")
    assert_raises_like_torch(lambda m, t: m.linalg.cond(t, 3), sq, match="invalid norm type")
    assert_raises_like_torch(lambda m, t: m.linalg.matrix_power(t, 2.0), sq, match="must be int")
    assert_raises_like_torch(lambda m, t: m.linalg.multi_dot([t]), sq, match="at least 2 tensors")
    assert_raises_like_torch(lambda m, t: m.linalg.multi_dot([t, t.float()]), sq, match="same dtype")
    assert_raises_like_torch(lambda m, t: m.linalg.multi_dot([t[None], t]), sq, match="first tensor")
    assert_raises_like_torch(lambda m, t: m.linalg.multi_dot([t, t[None]]), sq, match="last tensor")
    assert_raises_like_torch(lambda m, t: m.linalg.multi_dot([t, t[None], t]), sq, match="tensor 1 must be 2D")
    assert_raises_like_torch(lambda m, t: m.linalg.multi_dot([t[0], t, t[:2]]), sq, match="cannot be multiplied")
    assert_raises_like_torch(lambda m, t: m.linalg.vander(t[0], N=1), sq, match="N must be greater than 1")
    assert_raises_like_torch(lambda m, t: m.linalg.vecdot(t, t.float()), sq, match="same dtype")
    assert_raises_like_torch(lambda m, t: m.linalg.vecdot(t.long(), t.long()), sq, match="Long")
    assert_raises_like_torch(lambda m, t: m.linalg.tensorinv(t, ind=0), sq, match="strictly positive")
    assert_raises_like_torch(lambda m, t: m.linalg.tensorinv(t.reshape(9)[:8].reshape(2, 4), ind=1), sq,
                             match="prod(self.shape[ind:])")
    assert_raises_like_torch(lambda m, t: m.linalg.tensorsolve(t.reshape(9)[:6].reshape(2, 3), t[0, :2]), sq,
                             match="prod(self.shape[other.ndim:])")
    assert_raises_like_torch(lambda m, t: m.linalg.householder_product(t, t[:, 0].repeat(2)), sq, match="tau")
    assert_raises_like_torch(lambda m, t: m.linalg.householder_product(t[:2], t[0, :2]), sq, match="input.shape[-2]")
    assert_raises_like_torch(lambda m, t: m.linalg.householder_product(t, t), sq, match="one dimension less")


def test_nodes_are_named_as_torch():
    pd, sq = positive_definite((3, 3)), invertible((3, 3))
    for fn, arrays in ((lambda m, a: m.linalg.eigh(a).eigenvalues, [pd]), (lambda m, a: m.linalg.eigvalsh(a), [pd]),
                       (lambda m, a: m.linalg.cholesky(a), [pd]), (lambda m, a: m.cholesky(a), [pd]),
                       (lambda m, a: m.linalg.cholesky_ex(a).L, [pd]),
                       (lambda m, a: m.linalg.solve_triangular(a, a, upper=True), [sq]),
                       (lambda m, a: m.linalg.lu(a).L, [sq]), (lambda m, a: m.linalg.lu_factor(a).LU, [sq]),
                       (lambda m, a: m.linalg.lu_factor_ex(a).LU, [general((4, 3))]),
                       (lambda m, a: m.linalg.lstsq(a, a).solution, [sq]),
                       (lambda m, a: m.linalg.pinv(a), [sq]), (lambda m, a: m.linalg.pinv(a, hermitian=True), [pd]),
                       (lambda m, a: m.linalg.inv_ex(a).inverse, [sq]),
                       (lambda m, a: m.linalg.solve_ex(a, a).result, [sq])):
        assert_same_grad_fn(fn, arrays)


def test_integer_and_empty_inputs_as_torch():
    ints = np.eye(2, dtype=np.int64)
    for fn, match in ((lambda m, t: m.linalg.cholesky(t), "Long"), (lambda m, t: m.linalg.eigvalsh(t), "Long"),
                      (lambda m, t: m.linalg.solve_triangular(t, t, upper=True), "triangular_solve_cpu"),
                      (lambda m, t: m.linalg.lu_factor(t), "lu_cpu"), (lambda m, t: m.linalg.lu(t), "lu_cpu"),
                      (lambda m, t: m.linalg.lstsq(t, t), "float and double"),
                      (lambda m, t: m.linalg.vander(t[0] > 0), "Bool"),
                      (lambda m, t: m.linalg.householder_product(t, t[0, :1]), "orgqr_cpu")):
        assert_raises_like_torch(fn, ints, match=match)
    for fn, shape in ((lambda m, t: m.linalg.eigh(t), (2, 0, 0)), (lambda m, t: m.linalg.lu_factor(t), (0, 0)),
                      (lambda m, t: m.linalg.lu(t), (2, 0, 3)), (lambda m, t: m.linalg.cholesky(t), (2, 0, 0)),
                      (lambda m, t: m.linalg.inv_ex(t), (0, 0)), (lambda m, t: m.linalg.matrix_rank(t), (3, 0)),
                      (lambda m, t: m.linalg.pinv(t), (3, 0))):
        compare_with_torch(fn, [np.zeros(shape)], check_grad=False)
    compare_with_torch(lambda m, a, b: m.linalg.lstsq(a, b), [np.zeros((0, 3)), np.zeros((0, 2))], check_grad=False)
    compare_with_torch(lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd"), [np.zeros((2, 3, 0)), np.ones((2, 3, 2))],
                       check_grad=False)
