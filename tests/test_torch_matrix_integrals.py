"""dist, vdot, the trapezoid rule, matrix_power, matrix_exp, pinverse and chain_matmul (ops/integrals.py,
ops/matrix_functions.py): values, dtypes, gradients and grad_fn names as torch's, float64 finite differences,
and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from helpers import check_finite_differences, compare_with_torch
from op_helpers import assert_raises_like_torch, assert_same_grad_fn

R = np.random.default_rng(2)
A, B, V, S = R.standard_normal((3, 4)), R.standard_normal(4), R.standard_normal(4), R.standard_normal(())
M = R.standard_normal((3, 3)) * 0.5 + np.eye(3) * 2
BATCH = R.standard_normal((2, 3, 3)) * 0.5

CASES = [
    ("dist", lambda T, a, b: T.dist(a, b), [A, B]),
    ("dist_p1", lambda T, a, b: T.dist(a, b, 1), [A, B]),
    ("dist_p3", lambda T, a, b: a.dist(b, 3.5), [A, A[::-1].copy()]),
    ("dist_inf", lambda T, a, b: T.dist(a, b, float("inf")), [A, B]),
    ("dist_-inf", lambda T, a, b: T.dist(a, b, float("-inf")), [A, B]),
    ("dist_0d", lambda T, a, b: T.dist(a, b), [S, B]),
    ("vdot", lambda T, a, b: T.vdot(a, b), [V, B]),
    ("trapezoid", lambda T, y: T.trapezoid(y), [A]),
    ("trapezoid_dx", lambda T, y: T.trapezoid(y, dx=0.5, dim=0), [A]),
    ("trapezoid_x", lambda T, y, x: T.trapezoid(y, x), [A, np.sort(B)]),
    ("trapezoid_x_dim0", lambda T, y, x: T.trapezoid(y, x, dim=0), [A, np.array([0.0, 0.5, 2.0])]),
    ("trapezoid_x_full", lambda T, y, x: T.trapezoid(y, x), [A, np.sort(R.standard_normal((3, 4)), axis=1)]),
    ("trapz", lambda T, y, x: T.trapz(y, x), [A, np.sort(B)]),
    ("trapz_dx", lambda T, y: T.trapz(y, dx=2.0), [B]),
    ("cumulative_trapezoid", lambda T, y: T.cumulative_trapezoid(y), [A]),
    ("cumulative_trapezoid_dx", lambda T, y: T.cumulative_trapezoid(y, dx=0.25, dim=0), [A]),
    ("cumulative_trapezoid_x", lambda T, y, x: T.cumulative_trapezoid(y, x), [A, np.sort(B)]),
    ("matrix_power_3", lambda T, m: T.matrix_power(m, 3), [M]),
    ("matrix_power_1", lambda T, m: T.matrix_power(m, 1), [M]),
    ("matrix_power_0", lambda T, m: m.matrix_power(0), [M]),
    ("matrix_power_-2", lambda T, m: T.matrix_power(m, -2), [M]),
    ("matrix_power_batch", lambda T, m: T.matrix_power(m, 5), [BATCH]),
    ("matrix_exp", lambda T, m: T.matrix_exp(m), [M]),
    ("matrix_exp_batch", lambda T, m: m.matrix_exp(), [BATCH]),
    ("matrix_exp_1x1", lambda T, m: T.matrix_exp(m), [np.array([[0.3]])]),
    ("pinverse_tall", lambda T, a: T.pinverse(a.mT), [A]),
    ("pinverse_wide", lambda T, a: a.pinverse(), [A]),
    ("pinverse_square", lambda T, m: T.pinverse(m), [M]),
    ("pinverse_batch", lambda T, m: T.pinverse(m), [R.standard_normal((2, 4, 2))]),
]


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, arrays):
    for dtype in (np.float32, np.float64):
        # (torch's float32 matrix_exp backward is off by ~3e-5 relative; chaingrad's, in float64 inside, is exact)
        loose = {"rtol": 1e-4} if dtype == np.float32 and name.startswith("matrix_exp") else {}
        compare_with_torch(fn, arrays, dtype=dtype, **loose)


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_gradients_match_finite_differences(name, fn, arrays):
    check_finite_differences(fn, arrays, rtol=1e-4, atol=1e-6)


# (the trapezoid rule and negative or batched powers are compositions whose last node differs from torch's)
NAMED = [c for c in CASES if not c[0].startswith(("trapezoid", "trapz", "cumulative", "matrix_power_-",
                                                  "matrix_power_batch"))]


@pytest.mark.parametrize("name, fn, arrays", NAMED, ids=[c[0] for c in NAMED])
def test_grad_fn_names_are_torchs(name, fn, arrays):
    assert_same_grad_fn(fn, arrays)


def test_trapezoid_of_integers_and_of_empty_dims():
    for fn in (lambda T, y: T.trapezoid(y), lambda T, y: T.cumulative_trapezoid(y),
               lambda T, y: T.trapezoid(y, T.tensor([0, 1, 3]))):
        compare_with_torch(fn, [np.array([1, 2, 4])])
    for fn in (lambda T, y: T.trapezoid(y), lambda T, y: T.trapezoid(y, T.ones(0)),
               lambda T, y: T.cumulative_trapezoid(y)):
        compare_with_torch(fn, [np.ones((3, 0))])


def test_matrix_exp_gradient_of_a_1x1_is_exact_in_float32():
    import chaingrad as cg

    m = cg.tensor([[0.3]], requires_grad=True)
    cg.matrix_exp(m).backward(cg.tensor([[0.125]]))
    np.testing.assert_allclose(float(m.grad[0, 0]), 0.125 * np.exp(0.3), rtol=1e-6)


def test_dist_at_zero_distance_has_zero_gradient():
    compare_with_torch(lambda T, a, b: T.dist(a, b), [B, B.copy()])


def test_matrix_power_of_integers():
    compare_with_torch(lambda T, m: T.matrix_power(m, 3), [np.array([[1, 2], [0, 1]])])


def test_chain_matmul_warns_and_multiplies():
    for lib_args in ([M, M.T.copy(), M], [M]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compare_with_torch(lambda T, *ms: T.chain_matmul(*ms), lib_args)
    import chaingrad as cg

    with pytest.warns(UserWarning, match="torch.chain_matmul is deprecated"):
        cg.chain_matmul(cg.eye(2), cg.eye(2))


@pytest.mark.parametrize("fn", [
    lambda T: T.dist(T.tensor([1, 2]), T.tensor([0, 0])), lambda T: T.dist(T.ones(3, 4), T.ones(3)),
    lambda T: T.vdot(T.ones(4), T.ones(3)), lambda T: T.vdot(T.ones(4), T.ones(4, dtype=T.float64)),
    lambda T: T.vdot(T.ones(2, 2), T.ones(2, 2)), lambda T: T.trapezoid(T.ones(3, 4), T.ones(3)),
    lambda T: T.trapezoid(T.ones(3), T.ones(3), dx=2), lambda T: T.trapezoid(T.ones(3), 2.0),
    lambda T: T.matrix_power(T.ones(2, 3), 2), lambda T: T.matrix_power(T.ones(3), 2),
    lambda T: T.matrix_power(T.ones(2, 2, dtype=T.int64), -1),
    lambda T: T.matrix_exp(T.ones(2, 2, dtype=T.int64)), lambda T: T.matrix_exp(T.ones(2, 3)),
    lambda T: T.pinverse(T.ones(2, 2, dtype=T.int64)), lambda T: T.pinverse(T.ones(3)),
    lambda T: T.chain_matmul(T.ones(3, 3), T.ones(3, 3, 3)), lambda T: T.chain_matmul(),
])
def test_errors_are_torchs(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        error = assert_raises_like_torch(fn)
        with pytest.raises(Exception) as theirs:
            fn(torch)
    if not isinstance(error, TypeError):
        assert str(error).startswith(str(theirs.value).split("\n")[0][:40]), (str(error), str(theirs.value))
