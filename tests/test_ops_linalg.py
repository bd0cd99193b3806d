"""Matrix products: matmul/@ for 1-D, 2-D, batched and broadcast operands, mm, bmm, mv, dot, outer, einsum;
values and gradients equal PyTorch's and finite differences; shape/dtype errors like torch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array

MATMUL_SHAPES = [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 2)), ((5, 2, 3), (3,)),
    ((1, 3), (3, 1)),
]

PRODUCTS = {
    "mm": (lambda m, a, b: m.mm(a, b), (2, 3), (3, 4)),
    "mm_method": (lambda m, a, b: a.mm(b), (1, 3), (3, 1)),
    "bmm": (lambda m, a, b: m.bmm(a, b), (4, 2, 3), (4, 3, 2)),
    "mv": (lambda m, a, b: m.mv(a, b), (2, 3), (3,)),
    "dot": (lambda m, a, b: m.dot(a, b), (3,), (3,)),
    "inner": (lambda m, a, b: m.inner(a, b), (3,), (3,)),
    "outer": (lambda m, a, b: m.outer(a, b), (3,), (4,)),
    "ger": (lambda m, a, b: a.outer(b), (2,), (4,)),
    "einsum_mm": (lambda m, a, b: m.einsum("ij,jk->ik", a, b), (2, 3), (3, 4)),
    "einsum_batch": (lambda m, a, b: m.einsum("bij,bjk->bik", a, b), (4, 2, 3), (4, 3, 2)),
    "einsum_implicit": (lambda m, a, b: m.einsum("ij,jk", a, b), (2, 3), (3, 4)),
    "einsum_dot": (lambda m, a, b: m.einsum("i,i->", a, b), (3,), (3,)),
    "einsum_outer": (lambda m, a, b: m.einsum("i,j->ij", a, b), (3,), (4,)),
    "einsum_reduce_only_one": (lambda m, a, b: m.einsum("ij,k->i", a, b), (2, 3), (4,)),
    "einsum_transpose": (lambda m, a, b: m.einsum("ij->ji", a) * b.sum(), (2, 3), (1,)),
    "einsum_list": (lambda m, a, b: m.einsum("ij,kj->ik", [a, b]), (2, 3), (4, 3)),
    "einsum_spaces": (lambda m, a, b: m.einsum("i j, j k -> i k", a, b), (2, 3), (3, 4)),
    "matmul_chain": (lambda m, a, b: ((a @ b).tanh() @ b.T).sum(1) @ a, (3, 3), (3, 3)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(shapes, dtype):
    rng = np.random.default_rng(0)
    compare_with_torch(lambda m, a, b: a @ b, [rand_array(rng, shapes[0]), rand_array(rng, shapes[1])], dtype=dtype)
    compare_with_torch(lambda m, a, b: m.matmul(a, b), [rand_array(rng, shapes[0]), rand_array(rng, shapes[1])],
                       dtype=dtype)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_finite_differences(shapes):
    rng = np.random.default_rng(1)
    check_finite_differences(lambda m, a, b: a.matmul(b), [rand_array(rng, shapes[0]), rand_array(rng, shapes[1])])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_product_matches_torch(name, dtype):
    fn, sa, sb = PRODUCTS[name]
    rng = np.random.default_rng(2)
    compare_with_torch(fn, [rand_array(rng, sa), rand_array(rng, sb)], dtype=dtype)


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_product_matches_finite_differences(name):
    fn, sa, sb = PRODUCTS[name]
    rng = np.random.default_rng(3)
    check_finite_differences(fn, [rand_array(rng, sa), rand_array(rng, sb)])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), k=st.integers(1, 3), p=st.integers(1, 3),
       batch_a=st.lists(st.sampled_from([1, 2]), max_size=2), batch_b=st.lists(st.sampled_from([1, 2]), max_size=2),
       vec_a=st.booleans(), vec_b=st.booleans())
def test_matmul_random_shapes(n, k, p, batch_a, batch_b, vec_a, vec_b):
    sa = (k,) if vec_a else (*batch_a, n, k)
    sb = (k,) if vec_b else (*batch_b, k, p)
    rng = np.random.default_rng(n * 100 + k * 10 + p)
    compare_with_torch(lambda m, a, b: a @ b, [rand_array(rng, sa), rand_array(rng, sb)])


def test_matmul_of_integers_like_torch():
    compare_with_torch(lambda m, a, b: (a @ b, m.mm(a, b)), [np.arange(6).reshape(2, 3), np.arange(6).reshape(3, 2)],
                       check_grad=False)


@pytest.mark.parametrize("call", [
    lambda m: m.ones(2, 3) @ m.ones(2, 3),
    lambda m: m.ones(3) @ m.ones(4),
    lambda m: m.ones(2, 2, 3) @ m.ones(3, 3, 2),
    lambda m: m.mm(m.ones(2, 3), m.ones(2, 3)),
    lambda m: m.mm(m.ones(3), m.ones(3, 2)),
    lambda m: m.bmm(m.ones(2, 3), m.ones(3, 2)),
    lambda m: m.bmm(m.ones(2, 2, 3), m.ones(3, 3, 2)),
    lambda m: m.mv(m.ones(2, 3), m.ones(2)),
    lambda m: m.dot(m.ones(3), m.ones(2)),
    lambda m: m.dot(m.ones(2, 3), m.ones(2, 3)),
    lambda m: m.ones(()) @ m.ones(3),
    lambda m: m.ones(2, 3) @ m.ones(3, 2, dtype=m.float64),
    lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(4, 2)),
    lambda m: m.einsum("ij,jk->ik", m.ones(2, 3)),
])
def test_matmul_errors_like_torch(call):
    for lib in (cg, torch):
        with pytest.raises(RuntimeError):
            call(lib)


def test_matmul_shape_error_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"2x3 and 2x3"):
        cg.ones(2, 3) @ cg.ones(2, 3)
