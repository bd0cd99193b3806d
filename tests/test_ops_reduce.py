"""Reductions: values, (values, indices) namedtuples, dtypes and gradients equal PyTorch's for dim=None, int,
negative and tuple dims, keepdim; gradients equal finite differences; ties split like torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array

REDUCTIONS = {
    "sum": lambda m, x, d, k: x.sum() if d is None else x.sum(d, keepdim=k),
    "sum_fn": lambda m, x, d, k: m.sum(x) if d is None else m.sum(x, dim=d, keepdim=k),
    "mean": lambda m, x, d, k: x.mean() if d is None else x.mean(d, keepdim=k),
    "prod": lambda m, x, d, k: x.prod() if d is None or isinstance(d, tuple) else x.prod(d, keepdim=k),
    "amax": lambda m, x, d, k: m.amax(x) if d is None else m.amax(x, d, keepdim=k),
    "amin": lambda m, x, d, k: m.amin(x) if d is None else x.amin(d, keepdim=k),
    "max": lambda m, x, d, k: x.max() if d is None or isinstance(d, tuple) else x.max(d, keepdim=k),
    "min": lambda m, x, d, k: m.min(x) if d is None or isinstance(d, tuple) else m.min(x, dim=d, keepdim=k),
    "var": lambda m, x, d, k: x.var() if d is None else x.var(d, keepdim=k),
    "var_biased": lambda m, x, d, k: m.var(x, d, unbiased=False, keepdim=k),
    "var_correction": lambda m, x, d, k: m.var(x, dim=d, correction=0, keepdim=k),
    "std": lambda m, x, d, k: x.std() if d is None else x.std(d, keepdim=k),
    "std_correction2": lambda m, x, d, k: m.std(x, dim=d, correction=2, keepdim=k),
    "norm": lambda m, x, d, k: x.norm() if d is None else x.norm(dim=d, keepdim=k),
    "norm_p1": lambda m, x, d, k: m.norm(x, p=1, dim=d, keepdim=k),
    "norm_p3": lambda m, x, d, k: m.norm(x, p=3, dim=d, keepdim=k),
    "norm_inf": lambda m, x, d, k: m.norm(x, p=float("inf"), dim=d, keepdim=k),
    "logsumexp": lambda m, x, d, k: m.logsumexp(x, dim=tuple(range(x.ndim)) if d is None else d, keepdim=k),
    "var_mean": lambda m, x, d, k: m.var_mean(x, dim=d, keepdim=k),
    "std_mean": lambda m, x, d, k: m.std_mean(x, dim=d, keepdim=k),
    "var_mean_correction0": lambda m, x, d, k: m.var_mean(x, d, keepdim=k, correction=0),
    "std_mean_unbiased": lambda m, x, d, k: m.std_mean(x, d, False, k),
    "cumsum": lambda m, x, d, k: x.cumsum(0 if d is None or isinstance(d, tuple) else d),
}
DIMS = [None, 0, 1, -1, (0, 2), (-1, 0)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_matches_torch(name, dim, keepdim, dtype):
    x = rand_array(np.random.default_rng(0), (2, 3, 4), "nonzero")
    compare_with_torch(lambda m, x: REDUCTIONS[name](m, x, dim, keepdim), [x], dtype=dtype)


@pytest.mark.parametrize("dim", [None, 1, (0, 2)], ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_matches_finite_differences(name, dim):
    x = rand_array(np.random.default_rng(1), (2, 3, 2), "nonzero")
    check_finite_differences(lambda m, x: REDUCTIONS[name](m, x, dim, False), [x])


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data(),
       name=st.sampled_from(["sum", "mean", "amax", "var", "norm", "logsumexp", "max", "prod"]))
def test_reduction_over_random_shapes(shape, data, name):
    nd = len(shape)
    dim = data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1)))
    keepdim = data.draw(st.booleans())
    x = rand_array(np.random.default_rng(len(shape)), tuple(shape), "nonzero")
    compare_with_torch(lambda m, x: REDUCTIONS[name](m, x, dim, keepdim), [x], atol=1e-8)


def test_max_with_dim_returns_values_and_indices_namedtuple():
    x = cg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    out = x.max(dim=1)
    assert out.values.tolist() == [5.0, 7.0]
    assert out.indices.tolist() == [1, 0]
    values, indices = cg.min(x, 0, keepdim=True)
    assert values.tolist() == [[1.0, 0.0, 2.0]] and indices.tolist() == [[0, 1, 0]]
    assert indices.dtype is cg.int64


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin"])
def test_ties_split_the_gradient_like_torch(op):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    compare_with_torch(lambda m, x: getattr(m, op)(x), [x])
    compare_with_torch(lambda m, x: getattr(x, op)(1) if op in ("amax", "amin") else getattr(x, op)(1)[0], [x])
    compare_with_torch(lambda m, x: getattr(m, op)(x, dim=0, keepdim=True)
                       if op in ("amax", "amin") else getattr(m, op)(x, dim=0, keepdim=True).values, [x])


def test_prod_with_zeros_like_torch():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    compare_with_torch(lambda m, x: (x.prod(), x.prod(1), x.prod(0, keepdim=True)), [x])


def test_norm_gradient_at_zero_like_torch():
    compare_with_torch(lambda m, x: x.norm(), [np.zeros(3)])


def test_arg_reductions_like_torch():
    x = np.array([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]])
    compare_with_torch(lambda m, x: (x.argmax(), x.argmin(), m.argmax(x, 1), m.argmin(x, dim=0, keepdim=True),
                                     x.argmax(dim=-1, keepdim=True)), [x], check_grad=False)


def test_all_any_count_nonzero_like_torch():
    x = np.array([[0.0, 1.0], [2.0, 3.0]])
    compare_with_torch(lambda m, x: (m.all(x), m.any(x), x.all(1), x.any(0, keepdim=True), (x > 0).all(),
                                     m.count_nonzero(x), m.count_nonzero(x, dim=0)), [x], check_grad=False)


def test_sum_and_cumsum_dtypes_like_torch():
    def fn(m, i, b):
        return (i.sum(), b.sum(), i.sum(0), b.cumsum(0), i.sum(dtype=m.float64), m.prod(i), i.max(), b.any(),
                i.int().sum(), i.float().mean())
    compare_with_torch(fn, [np.array([[1, 2], [3, 4]]), np.array([True, False, True])], check_grad=False)


def test_integer_and_bool_dtype_arguments_keep_their_dtype_like_torch():
    """sum/prod/cumsum/cumprod(dtype=int16, uint8, bool) compute in that dtype (NumPy would upcast to int64:
    uint8 overflows as torch's does, bool sums are any(), bool products all())."""
    def fn(m, i, u):
        return (i.sum(dtype=m.int32), i.sum(dtype=m.int16), i.sum(dtype=m.uint8), i.sum(dtype=m.bool),
                m.sum(i, 1, dtype=m.bool), i.prod(dtype=m.int32), i.prod(dtype=m.bool), i.prod(1, dtype=m.int16),
                i.cumsum(1, dtype=m.int16), i.cumprod(1, dtype=m.int16), u.sum(dtype=m.uint8))
    compare_with_torch(fn, [np.array([[1, 0, 2], [3, 4, 5]], np.int32), np.array([200, 100], np.uint8)],
                       check_grad=False)
    for lib in (torch, cg):
        for op in ("cumsum", "cumprod"):
            with pytest.raises(NotImplementedError, match=f"{op}_out_cpu. not implemented for 'Bool'"):
                getattr(lib.ones(3, dtype=lib.int32), op)(0, dtype=lib.bool)


@pytest.mark.parametrize("name", ["sum", "sum_dim", "mean", "mean_dim", "cumsum"])
def test_reductions_in_a_dtype_are_one_node_with_torchs_values_and_gradients(name):
    """sum/mean/cumsum(dtype=float64) of float32 compute in float64 in the one node (as torch: no ToCopy before
    it) and give x a float32 gradient."""
    fns = {"sum": lambda m, x: x.sum(dtype=m.float64), "sum_dim": lambda m, x: m.sum(x, 1, dtype=m.float64),
           "mean": lambda m, x: x.mean(dtype=m.float64), "mean_dim": lambda m, x: x.mean(0, True, dtype=m.float64),
           "cumsum": lambda m, x: x.cumsum(1, dtype=m.float64)}
    x = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
    (leaf,) = compare_with_torch(fns[name], [x])
    assert leaf.grad.dtype is cg.float32
    y = fns[name](cg, cg.tensor(x, requires_grad=True))
    assert y.dtype is cg.float64 and type(y.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"
    check_finite_differences(fns[name], [x.astype(np.float64)])


@pytest.mark.parametrize("op", ["var_mean", "std_mean"])
def test_var_mean_is_one_node_with_two_outputs_differentiable_twice_like_torch(op):
    """One VarMeanBackward0 (StdMeanBackward0) node, outputs 0 and 1; a gradient through only one output,
    and the second derivative through both, equal torch's."""
    x = np.random.default_rng(6).standard_normal((3, 4))

    def run(m):
        a = m.tensor(x, requires_grad=True)
        s, mu = getattr(m, op)(a, 1)
        (g_only_mean,) = m.autograd.grad(mu.sum(), [a], retain_graph=True)
        (g,) = m.autograd.grad((s * mu).sum(), [a], create_graph=True)
        (gg,) = m.autograd.grad((g ** 2).sum(), [a])
        return type(s.grad_fn).__name__, (s.grad_fn is mu.grad_fn, s.output_nr, mu.output_nr), g_only_mean, g, gg

    ours, theirs = run(cg), run(torch)
    assert ours[:2] == theirs[:2] == ({"var_mean": "VarMeanBackward0", "std_mean": "StdMeanBackward0"}[op],
                                      (True, 0, 1))
    for o, t in zip(ours[2:], theirs[2:]):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_reductions_of_float32_stay_float32():
    x = cg.ones(3, 4)
    for y in (x.sum(), x.mean(), x.var(), x.std(), x.norm(), x.logsumexp(0), x.prod(), x.max(), x.amax(1)):
        assert y.dtype is cg.float32


def test_mean_of_integers_raises_like_torch():
    with pytest.raises(RuntimeError):
        cg.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).mean()


@pytest.mark.parametrize("call", [lambda m, x: x.sum(3), lambda m, x: x.mean(-4), lambda m, x: x.max(5),
                                  lambda m, x: m.amax(x, 3), lambda m, x: x.argmax(3), lambda m, x: x.var(3),
                                  lambda m, x: x.cumsum(3), lambda m, x: m.logsumexp(x, 3)])
def test_dim_out_of_range_raises_index_error(call):
    for lib in (cg, torch):
        with pytest.raises(IndexError):
            call(lib, lib.ones(2, 3, 4))


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_and_min_with_dim_print_as_torchs_return_types(op):
    """print(x.max(dim=1)) used to show ValuesIndices(values=..., indices=...); torch prints
    torch.return_types.max( and then one field a line."""
    data = [[1.0, 5.0], [7.0, 2.0]]
    ours = repr(getattr(cg.tensor(data), op)(dim=1))
    theirs = repr(getattr(torch.tensor(data), op)(dim=1))
    assert ours.replace("chaingrad.return_types.", "torch.return_types.") == theirs
    assert repr(getattr(cg, op)(cg.tensor(2.0), 0)).replace("chaingrad.", "torch.") == repr(
        getattr(torch, op)(torch.tensor(2.0), 0))
    values, indices = getattr(cg.tensor(data), op)(1)
    assert type(getattr(cg.tensor(data), op)(1)).__name__ == op and indices.dtype == cg.int64


def test_max_of_empty_tensor_raises():
    with pytest.raises(RuntimeError):
        cg.zeros(0).max()


def test_logsumexp_is_stable():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [-np.inf, 0.0]])
    compare_with_torch(lambda m, x: m.logsumexp(x, 1), [x])


def test_var_of_a_single_element_is_nan_like_torch():
    compare_with_torch(lambda m, x: (x.var(), x.std(0)), [np.array([3.0])], check_grad=False)


def test_sum_of_a_scalar_and_dim_0_of_a_0d_tensor_like_torch():
    compare_with_torch(lambda m, x: (x.sum(), x.sum(0), x.mean(-1), x.max(0)[0]), [np.array(2.5)])


def test_arg_and_cumsum_of_a_0d_tensor_like_torch():
    compare_with_torch(lambda m, x: (x.argmax(0), x.argmin(-1), x.cumsum(0), x.min(0)[1]), [np.array(2.5)])
