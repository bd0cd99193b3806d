"""softmax, log_softmax, cross_entropy, nll_loss, mse_loss: values and gradients equal PyTorch's (all
reductions, weights, ignore_index, label smoothing, probability targets, N-d inputs) and finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chaingrad as cg
import chaingrad.nn.functional as CF
from helpers import check_finite_differences, compare_with_torch, rand_array


def F(m):
    return TF if m is torch else CF


LABELS = np.array([1, 0, 3, 3, 2])
NN = {
    "softmax_-1": (lambda m, x: m.softmax(x, -1), (5, 4)),
    "softmax_0": (lambda m, x: m.softmax(x, dim=0), (5, 4)),
    "softmax_method": (lambda m, x: x.softmax(1), (2, 3, 4)),
    "softmax_F": (lambda m, x: F(m).softmax(x, dim=1), (5, 4)),
    "softmax_1d": (lambda m, x: m.softmax(x, 0), (4,)),
    "log_softmax_-1": (lambda m, x: m.log_softmax(x, -1), (5, 4)),
    "log_softmax_0": (lambda m, x: x.log_softmax(0), (2, 3, 4)),
    "log_softmax_F": (lambda m, x: F(m).log_softmax(x, dim=1), (5, 4)),
    "relu_F": (lambda m, x: F(m).relu(x), (5, 4)),
    "sigmoid_F": (lambda m, x: F(m).sigmoid(x), (5, 4)),
    "tanh_F": (lambda m, x: F(m).tanh(x), (5, 4)),
    "ce_mean": (lambda m, x: F(m).cross_entropy(x, m.tensor(LABELS)), (5, 4)),
    "ce_sum": (lambda m, x: F(m).cross_entropy(x, m.tensor(LABELS), reduction="sum"), (5, 4)),
    "ce_none": (lambda m, x: F(m).cross_entropy(x, m.tensor(LABELS), reduction="none"), (5, 4)),
    "ce_weight": (lambda m, x: F(m).cross_entropy(x, m.tensor(LABELS), weight=m.tensor([1.0, 2.0, 0.5, 3.0],
                                                                                        dtype=x.dtype)), (5, 4)),
    "ce_weight_sum": (lambda m, x: F(m).cross_entropy(x, m.tensor(LABELS), weight=m.tensor([1.0, 2.0, 0.5, 3.0],
                                                                                            dtype=x.dtype),
                                                      reduction="sum"), (5, 4)),
    "ce_ignore": (lambda m, x: F(m).cross_entropy(x, m.tensor([1, -100, 3, 3, 2])), (5, 4)),
    "ce_ignore_index_3": (lambda m, x: F(m).cross_entropy(x, m.tensor(LABELS), ignore_index=3), (5, 4)),
    "ce_smoothing": (lambda m, x: F(m).cross_entropy(x, m.tensor(LABELS), label_smoothing=0.2), (5, 4)),
    "ce_smoothing_sum": (lambda m, x: F(m).cross_entropy(x, m.tensor(LABELS), label_smoothing=0.1,
                                                         reduction="sum"), (5, 4)),
    "ce_smoothing_weight": (lambda m, x: F(m).cross_entropy(x, m.tensor(LABELS), label_smoothing=0.3,
                                                            weight=m.tensor([1.0, 2.0, 0.5, 3.0], dtype=x.dtype)),
                            (5, 4)),
    "ce_probs": (lambda m, x: F(m).cross_entropy(x, m.softmax(m.arange(20.0, dtype=x.dtype).reshape(5, 4).cos(), 1)),
                 (5, 4)),
    "ce_probs_none": (lambda m, x: F(m).cross_entropy(x, m.softmax(m.ones(5, 4, dtype=x.dtype), 1),
                                                      reduction="none"), (5, 4)),
    "ce_1d": (lambda m, x: F(m).cross_entropy(x, m.tensor(2)), (4,)),
    "ce_nd": (lambda m, x: F(m).cross_entropy(x, m.tensor([[[0, 1], [2, 2]], [[1, 1], [0, 2]]])), (2, 3, 2, 2)),
    "ce_nd_none": (lambda m, x: F(m).cross_entropy(x, m.tensor([[0, 1], [2, 2]]), reduction="none"), (2, 3, 2)),
    "nll": (lambda m, x: F(m).nll_loss(m.log_softmax(x, 1), m.tensor(LABELS)), (5, 4)),
    "nll_raw_input": (lambda m, x: F(m).nll_loss(x, m.tensor(LABELS), reduction="sum"), (5, 4)),
    "nll_none": (lambda m, x: F(m).nll_loss(x, m.tensor(LABELS), reduction="none"), (5, 4)),
    "nll_weight": (lambda m, x: F(m).nll_loss(x, m.tensor(LABELS), weight=m.tensor([1.0, 2.0, 0.5, 3.0],
                                                                                    dtype=x.dtype)), (5, 4)),
    "nll_ignore": (lambda m, x: F(m).nll_loss(x, m.tensor([1, 0, 3, -100, 2])), (5, 4)),
    "mse_mean": (lambda m, x: F(m).mse_loss(x, m.ones(5, 4, dtype=x.dtype) * 0.3), (5, 4)),
    "mse_sum": (lambda m, x: F(m).mse_loss(x[:2], x[2:4], reduction="sum"), (5, 4)),
    "mse_none": (lambda m, x: F(m).mse_loss(x, m.full((5, 4), 0.5, dtype=x.dtype), reduction="none"), (5, 4)),
    "softmax_chain": (lambda m, x: (m.softmax(x, 1) * m.log_softmax(x * 2, 1)).sum(0), (5, 4)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(NN))
def test_nn_op_matches_torch(name, dtype):
    fn, shape = NN[name]
    compare_with_torch(fn, [rand_array(np.random.default_rng(0), shape)], dtype=dtype)


@pytest.mark.parametrize("name", sorted(NN))
def test_nn_op_matches_finite_differences(name):
    fn, shape = NN[name]
    check_finite_differences(fn, [rand_array(np.random.default_rng(1), shape)])


def test_cross_entropy_is_stable_for_huge_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-1e4, 1e4, 3.0]])
    compare_with_torch(lambda m, x: (F(m).cross_entropy(x, m.tensor([0, 2])), m.log_softmax(x, 1),
                                     m.softmax(x, 1)), [x])


def test_mse_loss_warns_on_shape_mismatch_like_torch():
    with pytest.warns(UserWarning, match="target size"):
        CF.mse_loss(cg.ones(3, 1), cg.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CF.mse_loss(cg.ones(3), cg.ones(3))


def test_softmax_of_integers_and_float32_dtypes():
    assert cg.softmax(cg.tensor([1, 2, 3]), 0).dtype is cg.float32
    assert cg.softmax(cg.ones(3), 0, dtype=cg.float64).dtype is cg.float64
    x = cg.ones(2, 3, requires_grad=True)
    assert CF.cross_entropy(x, cg.tensor([0, 1])).dtype is cg.float32


@pytest.mark.parametrize("call", [
    lambda m: F(m).cross_entropy(m.ones(3, 4), m.tensor([0, 1])),
    lambda m: F(m).nll_loss(m.ones(3, 4), m.tensor([0, 1])),
])
def test_batch_size_mismatch_raises_value_error(call):
    for lib in (cg, torch):
        with pytest.raises(ValueError):
            call(lib)


def test_target_out_of_range_raises():
    for lib in (cg, torch):
        with pytest.raises((IndexError, RuntimeError)):
            F(lib).cross_entropy(lib.ones(2, 3), lib.tensor([0, 3]))
        with pytest.raises((IndexError, RuntimeError)):
            F(lib).nll_loss(lib.ones(2, 3), lib.tensor([0, 3]))


def test_bad_reduction_raises_value_error():
    for lib in (cg, torch):
        with pytest.raises(ValueError):
            F(lib).cross_entropy(lib.ones(2, 3), lib.tensor([0, 1]), reduction="avg")


def test_softmax_dim_out_of_range_raises_index_error():
    for lib in (cg, torch):
        with pytest.raises(IndexError):
            lib.softmax(lib.ones(2, 3), 2)
        with pytest.raises(IndexError):
            lib.log_softmax(lib.ones(2, 3), -3)
