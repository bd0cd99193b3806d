"""nn.RMSNorm / F.rms_norm and nn.CosineSimilarity, nn.PairwiseDistance / F.pairwise_distance against torch:
reprs, outputs and gradients (weights copied; float64 and float32), the default eps (the dtype's epsilon),
finite differences, node names, state dicts, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch
from nn_helpers import check_module
from op_helpers import assert_same_grad_fn

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make", [
    lambda nn: nn.RMSNorm(4), lambda nn: nn.RMSNorm([3, 4], eps=1e-3),
    lambda nn: nn.RMSNorm(4, elementwise_affine=False),
])
def test_rms_norm_module_matches_torch(make, dtype):
    with torch.no_grad():
        theirs = make(torch.nn)
        if theirs.weight is not None:
            theirs.weight.uniform_(0.5, 1.5)  # (not all ones: the weight's gradient and product show)
    ours, _ = check_module(lambda nn: theirs if nn is torch.nn else make(nn), [X], dtype=dtype)
    assert repr(ours) == repr(theirs)


def test_rms_norm_function_eps_names_finite_differences_and_errors():
    fns = [lambda m, x: m.nn.functional.rms_norm(x, (4,)),
           lambda m, x, w: m.nn.functional.rms_norm(x, [3, 4], w * 1.5, eps=0.1)]
    compare_with_torch(fns[0], [X])
    compare_with_torch(fns[0], [X * 1e-4], dtype=np.float32)  # (where the default eps matters)
    compare_with_torch(fns[1], [X, np.ones((3, 4))])
    assert_same_grad_fn(fns[0], [X])
    check_finite_differences(fns[1], [X, np.ones((3, 4))])
    for lib in (torch, cg):
        with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[5\], expected input with shape \[\*5\]"):
            lib.nn.functional.rms_norm(lib.ones(2, 4), (5,))
        with pytest.raises(RuntimeError, match="Expected weight to be of same shape as normalized_shape"):
            lib.nn.functional.rms_norm(lib.ones(2, 4), (4,), lib.ones(3))


@pytest.mark.parametrize("make", [lambda nn: nn.CosineSimilarity(), lambda nn: nn.CosineSimilarity(dim=0, eps=1e-3),
                                  lambda nn: nn.PairwiseDistance(), lambda nn: nn.PairwiseDistance(p=1, keepdim=True),
                                  lambda nn: nn.PairwiseDistance(p=3.0, eps=0.1)])
def test_distance_modules_match_torch(make):
    a, b = RNG.standard_normal((3, 5)), RNG.standard_normal((3, 5))
    ours, theirs = check_module(make, [a, b])
    assert repr(ours) == repr(theirs)


def test_pairwise_distance_broadcasts_names_and_differentiates_as_torch():
    pd = [lambda m, x, y: m.nn.functional.pairwise_distance(x, y),
          lambda m, x, y: m.nn.functional.pairwise_distance(x, y[0], p=1.0, keepdim=True),
          lambda m, x, y: m.nn.functional.pairwise_distance(x[0], y[1], 4.0)]
    arrays = [RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))]
    for fn in pd:
        compare_with_torch(fn, arrays)
        compare_with_torch(fn, arrays, dtype=np.float32)
        assert_same_grad_fn(fn, arrays)
        check_finite_differences(fn, arrays)
    for lib in (torch, cg):
        with pytest.raises(TypeError):
            lib.nn.functional.pairwise_distance([1.0], lib.ones(1))
