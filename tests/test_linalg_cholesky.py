"""chaingrad.linalg.cholesky, cholesky_ex, solve_triangular and chaingrad.cholesky_inverse equal torch's: values,
batched and broadcast shapes, gradients (against torch, finite differences and second derivatives), node names
and torch's errors for matrices that are not positive-definite."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch
from op_helpers import assert_same_grad_fn, compare_second_derivatives


def spd(shape, seed=0):
    a = np.random.default_rng(seed).uniform(-1, 1, shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def sym(lib, a):
    return (a + a.mT) / 2  # (gradients of a symmetric input, as torch's cholesky_backward assumes)


def tri(shape, seed=1, upper=False):
    a = np.random.default_rng(seed).uniform(-1, 1, shape) + 3 * np.eye(shape[-1])
    return np.triu(a) if upper else np.tril(a)


def rhs(shape, seed=2):
    return np.random.default_rng(seed).uniform(-2, 2, shape)


OPS = {
    "cholesky": (lambda m, a: m.linalg.cholesky(sym(m, a)), lambda: [spd((3, 3))]),
    "cholesky_batched": (lambda m, a: m.linalg.cholesky(sym(m, a)), lambda: [spd((2, 4, 4))]),
    "cholesky_upper": (lambda m, a: m.linalg.cholesky(sym(m, a), upper=True), lambda: [spd((3, 3))]),
    "cholesky_ex": (lambda m, a: m.linalg.cholesky_ex(sym(m, a)).L, lambda: [spd((2, 3, 3))]),
    "cholesky_inverse": (lambda m, a: m.cholesky_inverse(m.linalg.cholesky(sym(m, a))), lambda: [spd((3, 3))]),
    "cholesky_inverse_upper": (lambda m, a: m.cholesky_inverse(a.triu() + 3 * m.eye(3, dtype=a.dtype), upper=True),
                               lambda: [rhs((3, 3))]),
    "cholesky_inverse_reads_one_triangle": (lambda m, a: m.cholesky_inverse(a),
                                            lambda: [rhs((2, 3, 3)) + 3 * np.eye(3)]),
    "solve_lower": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False), lambda: [tri((3, 3)), rhs((3, 2))]),
    "solve_upper": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
                    lambda: [tri((3, 3), upper=True), rhs((3, 4))]),
    "solve_right": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, left=False),
                    lambda: [tri((3, 3)), rhs((2, 3))]),
    "solve_unit": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True, unitriangular=True),
                   lambda: [rhs((3, 3)), rhs((3, 2), 3)]),
    "solve_reads_one_triangle": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False),
                                 lambda: [rhs((3, 3)) + 3 * np.eye(3), rhs((3, 1))]),
    "solve_broadcast": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False),
                        lambda: [tri((2, 1, 3, 3)), rhs((4, 3, 2))]),
    "solve_right_unit_batched": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, left=False,
                                                                           unitriangular=True),
                                 lambda: [tri((2, 3, 3)), rhs((2, 4, 3))]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_matches_torch(name):
    fn, arrays = OPS[name]
    compare_with_torch(fn, arrays())
    compare_with_torch(fn, [a.astype(np.float32) for a in arrays()], rtol=1e-4, atol=1e-5)


# (torch's cholesky_inverse gradient is -S L for the whole input, the derivative for a triangular one only)
@pytest.mark.parametrize("name", sorted(set(OPS) - {"cholesky_inverse_reads_one_triangle"}))
def test_matches_finite_differences(name):
    fn, arrays = OPS[name]
    check_finite_differences(fn, arrays(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["cholesky", "cholesky_upper", "solve_lower", "solve_right", "solve_unit",
                                  "cholesky_inverse_upper"])
def test_second_derivatives_match_torch(name):
    fn, arrays = OPS[name]
    compare_second_derivatives(lambda m, *xs: fn(m, *xs) ** 2, arrays(), rtol=1e-7, atol=1e-9)


def test_node_names_match_torch():
    assert_same_grad_fn(lambda m, a: m.linalg.cholesky(a), [spd((3, 3))])
    assert_same_grad_fn(lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False), [tri((3, 3)), rhs((3, 1))])
    assert_same_grad_fn(lambda m, a: m.cholesky_inverse(a), [tri((3, 3))])


def test_not_positive_definite_errors_match_torch():
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    for a in (bad, np.stack([np.eye(2), bad])):
        msgs = []
        for m in (cg, torch):
            with pytest.raises(RuntimeError) as info:
                m.linalg.cholesky(m.tensor(a))
            assert type(info.value).__name__.endswith("LinAlgError")
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]
    third = spd((3, 3))
    third[2, 2] = -5.0
    for a in (bad, np.stack([np.eye(2), bad, -np.eye(2)]), third):
        infos = [m.linalg.cholesky_ex(m.tensor(a)).info for m in (cg, torch)]
        assert infos[0].tolist() == infos[1].tolist() and str(infos[0].dtype) == "chaingrad.int32"
    with pytest.raises(RuntimeError, match="not positive-definite"):
        cg.linalg.cholesky_ex(cg.tensor(bad), check_errors=True)
    assert type(cg.linalg.cholesky_ex(cg.eye(2))).__name__ == "linalg_cholesky_ex"


def test_shape_errors_name_the_op():
    for m in (cg, torch):
        with pytest.raises(RuntimeError, match="solve_triangular"):
            m.linalg.solve_triangular(m.eye(3), m.ones(2, 1), upper=False)
        with pytest.raises(RuntimeError, match="cholesky"):
            m.linalg.cholesky(m.ones(2, 3))
