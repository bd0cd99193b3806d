"""kron, tensordot, cov and corrcoef equal PyTorch's: values and dtypes on several shapes (0-d, 1-d, broadcast
contractions over a size-1 dim), gradients against torch and float64 finite differences, node names, weights,
out= and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch
from op_helpers import assert_raises_like_torch, assert_same_grad_fn

# warnings torch gives for these inputs too (chaingrad mirrors them); the tests compare values
pytestmark = [pytest.mark.filterwarnings("ignore:cov\\(\\). degrees of freedom:UserWarning")]

R = np.random.default_rng(0)


def _r(*shape):
    return R.standard_normal(shape)


CASES = {
    "kron_matrices": (lambda m, a, b: m.kron(a, b), [_r(2, 3), _r(3, 2)]),
    "kron_ranks_differ": (lambda m, a, b: a.kron(b), [_r(2, 3), _r(4)]),
    "kron_0d": (lambda m, a, b: m.kron(a, b), [_r(), _r(3)]),
    "kron_3d": (lambda m, a, b: m.kron(a, b), [_r(2, 1, 2), _r(1, 3, 2)]),
    "tensordot_2": (lambda m, a, b: m.tensordot(a, b), [_r(2, 3, 4), _r(3, 4, 2)]),
    "tensordot_1": (lambda m, a, b: m.tensordot(a, b, 1), [_r(2, 3), _r(3, 4)]),
    "tensordot_0": (lambda m, a, b: m.tensordot(a, b, dims=0), [_r(2, 3), _r(2)]),
    "tensordot_lists": (lambda m, a, b: m.tensordot(a, b, dims=([0, 2], [2, 0])), [_r(3, 2, 4), _r(4, 5, 3)]),
    "tensordot_negative": (lambda m, a, b: m.tensordot(a, b, dims=([-1], [-2])), [_r(2, 3), _r(3, 4)]),
    "tensordot_size1": (lambda m, a, b: m.tensordot(a, b, dims=([1], [0])), [_r(2, 1), _r(3, 4)]),
    "tensordot_size1_other": (lambda m, a, b: m.tensordot(a, b, dims=([1], [0])), [_r(2, 3), _r(1, 4)]),
    "tensordot_tensor_dims": (lambda m, a, b: m.tensordot(a, b, dims=m.tensor([[1], [0]])), [_r(2, 3), _r(3, 4)]),
    "cov": (lambda m, x: m.cov(x), [_r(3, 5)]),
    "cov_1d": (lambda m, x: x.cov(), [_r(6)]),
    "cov_0d": (lambda m, x: m.cov(x), [_r()]),
    "cov_correction0": (lambda m, x: m.cov(x, correction=0), [_r(2, 4)]),
    "cov_fweights": (lambda m, x: m.cov(x, fweights=m.tensor([1, 2, 0, 3])), [_r(2, 4)]),
    "cov_aweights": (lambda m, x, w: m.cov(x, aweights=w.abs() + 0.1), [_r(2, 4), _r(4)]),
    "cov_both_weights": (lambda m, x, w: m.cov(x, correction=2, fweights=m.tensor([2, 1, 3, 1]),
                                               aweights=w.abs() + 0.5), [_r(3, 4), _r(4)]),
    "corrcoef": (lambda m, x: m.corrcoef(x), [_r(3, 5)]),
    "corrcoef_1d": (lambda m, x: x.corrcoef(), [_r(5)]),
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


def test_integer_bool_and_mixed_dtypes_as_torch():
    i, j = np.array([[1, 2, 3], [4, 0, 2]]), np.array([[2, 1], [0, 1], [1, 1]])
    b = np.array([True, False, True])
    compare_with_torch(lambda m, x, y: (m.kron(x, y), m.tensordot(x, y, 1), m.cov(x), m.corrcoef(x)), [i, j],
                       rtol=1e-6)
    compare_with_torch(lambda m, x: m.kron(x, x), [b])
    compare_with_torch(lambda m, x, y: m.kron(x, y.double()), [_r(2).astype(np.float32), _r(2)])
    compare_with_torch(lambda m, x, y: m.cov(x, aweights=y.abs()), [_r(2, 3).astype(np.float32), _r(3)])
    compare_with_torch(lambda m, x: m.corrcoef(x), [np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])], check_grad=False)
    compare_with_torch(lambda m, x: (m.cov(x), m.cov(x.T)), [np.ones((2, 0))], check_grad=False)


def test_cov_of_integers_takes_its_dtype_from_the_weights_and_the_default_as_torch():
    for default in ("float64", "float32"):
        dtypes = []
        for m in (cg, torch):
            m.set_default_dtype(getattr(m, default))
            try:
                i = m.tensor([[1, 2, 3], [4, 0, 2]], dtype=m.int32)
                dtypes.append([str(t.dtype).rpartition(".")[2] for t in (
                    m.cov(i), m.corrcoef(i), m.cov(i, fweights=m.tensor([1, 2, 1])),
                    m.cov(i, aweights=m.tensor([1.0, 2.0, 1.0], dtype=m.float32)), m.cov(i.half()))])
            finally:
                m.set_default_dtype(m.float32)
        assert dtypes[0] == dtypes[1]


def test_cov_warns_as_torch_when_no_degrees_of_freedom_remain():
    for m in (cg, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = m.cov(m.tensor([1.0, 2.0, 4.0]), correction=3)
        assert float(value) == float("inf")
        assert any("degrees of freedom is <= 0" in str(w.message) for w in caught)


def test_tensordot_out_as_torch():
    a, b = _r(2, 3), _r(3, 4)
    outs = []
    for m in (cg, torch):
        out = m.empty(2, 4, dtype=m.float64)
        assert m.tensordot(m.tensor(a), m.tensor(b), 1, out=out) is out
        outs.append(out.numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)


ERRORS = [
    (lambda m: m.kron(m.ones(2), 3.0), "other"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), dims=-1), "dims >= 0"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), dims=3), "dims < ndim_a"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), dims=1.5), "dims to be int"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(2, 4), dims=([1], [0])), "contracted dimensions need to match"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4).double(), dims=1), "same dtype"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), dims=([1, 1], [0, 0])), "appears multiple times"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), dims=([1],)), "unpack"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), dims=([1, 0], [0])), "same length"),
    (lambda m: m.cov(m.ones(2, 3, 4)), "two or fewer dimensions"),
    (lambda m: m.cov(m.tensor([True, False])), "bool"),
    (lambda m: m.cov(m.ones(3), correction=0.5), "correction"),
    (lambda m: m.cov(m.ones(3), fweights=m.tensor([1.0, 2.0, 3.0])), "integral dtype"),
    (lambda m: m.cov(m.ones(3), fweights=m.tensor([1, 2])), "same numel"),
    (lambda m: m.cov(m.ones(3), fweights=m.tensor([[1, 2, 3]])), "one or fewer dimensions"),
    (lambda m: m.cov(m.ones(3), fweights=m.tensor([-1, 2, 3])), "cannot be negative"),
    (lambda m: m.cov(m.ones(3), aweights=m.tensor([1, 2, 3])), "floating point dtype"),
    (lambda m: m.cov(m.ones(3), aweights=m.tensor([-1.0, 2.0, 3.0])), "cannot be negative"),
    (lambda m: m.corrcoef(m.ones(2, 3, 4)), "corrcoef(): expected input"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_as_torch(case):
    fn, words = ERRORS[case]
    assert_raises_like_torch(fn, match=words)
