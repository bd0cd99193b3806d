"""Every loss (module and functional form) equals torch's in value and in the gradients of input (and target
where torch differentiates it), over reductions and options, in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad import nn
from helpers import check_finite_differences, compare_with_torch
from nn_helpers import check_fn, check_module

DTYPES = [np.float64, np.float32]
REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def probs(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.02, 0.98, shape)


SMOOTH = {
    "smooth_l1": lambda m, x, y, r: m.nn.functional.smooth_l1_loss(x, y, reduction=r),
    "smooth_l1_beta": lambda m, x, y, r: m.nn.functional.smooth_l1_loss(x, y, reduction=r, beta=0.4),
    "huber": lambda m, x, y, r: m.nn.functional.huber_loss(x, y, reduction=r),
    "huber_delta": lambda m, x, y, r: m.nn.functional.huber_loss(x, y, reduction=r, delta=0.3),
    "huber_weight": lambda m, x, y, r: m.nn.functional.huber_loss(x, y, reduction=r, weight=m.linspace(0, 2, 20)
                                                                   .reshape(4, 5).to(x.dtype)),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_smooth_l1_and_huber_are_one_node_matching_torch_and_finite_differences(name, reduction):
    """SmoothL1LossBackward0 / HuberLossBackward0 with edges to input and target: values and gradients of both
    equal torch's in float32 and float64, and finite differences in float64."""
    x, y = rnd(4, 5), rnd(4, 5, seed=1) * 0.5
    fn = lambda m, x, y: SMOOTH[name](m, x, y, reduction)  # noqa: E731
    for dtype in DTYPES:
        compare_with_torch(fn, [x, y], dtype=dtype)
    check_finite_differences(fn, [x, y])
    out = fn(cg, cg.tensor(x, requires_grad=True), cg.tensor(y, requires_grad=True))
    node = out.grad_fn
    while type(node).__name__ in ("MeanBackward0", "SumBackward0", "MulBackward0"):  # huber's weight: loss * w
        node = node.next_functions[0][0]
    assert type(node).__name__ == ("HuberLossBackward0" if "huber" in name else "SmoothL1LossBackward0")
    assert len(node.next_functions) == 2


@pytest.mark.parametrize("name", ["smooth_l1_beta", "huber_delta"])
def test_smooth_l1_and_huber_double_backward_like_torch(name):
    x, y = rnd(4, 5), rnd(4, 5, seed=1) * 0.5

    def second(m):
        a, b = m.tensor(x, requires_grad=True), m.tensor(y, requires_grad=True)
        (ga,) = m.autograd.grad(SMOOTH[name](m, a, b, "sum"), [a], create_graph=True)
        (gga, ggb) = m.autograd.grad((ga * ga.detach().sign() * a).sum(), [a, b])
        return ga.detach().numpy(), gga.numpy(), ggb.numpy()

    for ours, theirs in zip(second(cg), second(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_smooth_l1_of_a_broadcast_target_expands_it_like_torch():
    x, y = rnd(3, 4), rnd(4, seed=1)
    with pytest.warns(UserWarning):
        compare_with_torch(lambda m, x, y: m.nn.functional.smooth_l1_loss(x, y), [x, y])
    with pytest.warns(UserWarning):
        out = cg.nn.functional.huber_loss(cg.tensor(x, requires_grad=True), cg.tensor(y, requires_grad=True))
    assert [type(f).__name__ for f, _ in out.grad_fn.next_functions] == ["AccumulateGrad", "ExpandBackward0"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {}),
                                     ("SmoothL1Loss", dict(beta=0.5)), ("SmoothL1Loss", dict(beta=0.0)),
                                     ("HuberLoss", {}), ("HuberLoss", dict(delta=0.3))])
def test_regression_losses_match_torch(name, kw, reduction, dtype):
    check_module(lambda nn: getattr(nn, name)(reduction=reduction, **kw), [rnd(4, 5), rnd(4, 5, seed=1)],
                 dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(label_smoothing=0.2), dict(ignore_index=2), dict(weight=True),
                                dict(weight=True, ignore_index=1, label_smoothing=0.1)])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5), (4,)])
def test_cross_entropy_with_class_indices_matches_torch(shape, kw, reduction, dtype):
    kw = dict(kw)
    c = shape[1] if len(shape) > 1 else shape[0]
    target = np.random.default_rng(1).integers(0, c, (shape[0],) + shape[2:] if len(shape) > 1 else ())
    if target.ndim == 0:
        target = np.array(3)  # a single sample that is not ignored (all-ignored 'mean' is 0/0 = nan)
    w = rng.uniform(0.5, 2.0, c).astype(dtype) if kw.pop("weight", False) else None

    def make(lib_nn):
        lib = torch if lib_nn is torch.nn else cg
        return lib_nn.CrossEntropyLoss(weight=None if w is None else lib.tensor(w), reduction=reduction, **kw)

    check_module(make, [rnd(*shape) * 2, target], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(label_smoothing=0.3), dict(weight=True)])
def test_cross_entropy_with_probabilities_matches_torch(kw, reduction, dtype):
    kw = dict(kw)
    w = rng.uniform(0.5, 2.0, 4).astype(dtype) if kw.pop("weight", False) else None
    p = np.random.default_rng(2).dirichlet(np.ones(4), size=(5, 3)).transpose(0, 2, 1)

    def fn(F, lib, x, t):
        return F.cross_entropy(x, t, weight=None if w is None else lib.tensor(w), reduction=reduction, **kw)

    check_fn(fn, [rnd(5, 4, 3), p], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(ignore_index=0), dict(weight=True)])
def test_nll_loss_matches_torch(kw, reduction, dtype):
    kw = dict(kw)
    w = rng.uniform(0.5, 2.0, 5).astype(dtype) if kw.pop("weight", False) else None
    target = np.array([0, 4, 2, 0, 1, 3])

    def make(lib_nn):
        lib = torch if lib_nn is torch.nn else cg
        return lib_nn.Sequential(lib_nn.LogSoftmax(1)), lib_nn.NLLLoss(
            weight=None if w is None else lib.tensor(w), reduction=reduction, **kw)

    def fn(F, lib, x, t):
        return F.nll_loss(F.log_softmax(x, 1), t, weight=None if w is None else lib.tensor(w), reduction=reduction,
                          **kw)

    check_fn(fn, [rnd(6, 5), target], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_matches_torch_including_target_gradient(weighted, reduction, dtype):
    w = rng.uniform(0.5, 2, (3, 4)) if weighted else None

    def fn(F, lib, x, t):
        return F.binary_cross_entropy(x, t, weight=None if w is None else lib.tensor(w.astype(dtype)),
                                      reduction=reduction)

    check_fn(fn, [probs(3, 4), probs(3, 4, seed=1)], dtype=dtype)


def test_bce_clamps_logs_like_torch():
    x = np.array([0.0, 1.0, 0.5, 1e-30])
    t = np.array([1.0, 0.0, 0.5, 1.0])
    check_fn(lambda F, lib, a, b: F.binary_cross_entropy(a, b, reduction="none"), [x, t], grad=False)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        nn.BCELoss()(cg.tensor([1.5]), cg.tensor([1.0]))
    with pytest.raises(ValueError, match="different to the input size"):
        nn.BCELoss()(cg.tensor([0.5, 0.5]), cg.tensor([1.0]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(weight=True), dict(pos_weight=True), dict(weight=True, pos_weight=True)])
def test_bce_with_logits_matches_torch(kw, reduction, dtype):
    w = rng.uniform(0.5, 2, (3, 4)).astype(dtype) if kw.get("weight") else None
    pw = rng.uniform(0.5, 3, 4).astype(dtype) if kw.get("pos_weight") else None

    def make(lib_nn):
        lib = torch if lib_nn is torch.nn else cg
        return lib_nn.BCEWithLogitsLoss(weight=None if w is None else lib.tensor(w), reduction=reduction,
                                        pos_weight=None if pw is None else lib.tensor(pw))

    check_module(make, [rnd(3, 4) * 3, probs(3, 4, seed=1)], dtype=dtype)


def test_bce_with_logits_is_stable_for_huge_logits():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    t = np.array([1.0, 0.0, 1.0, 0.0, 0.5])
    check_fn(lambda F, lib, a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"), [x, t])
    check_fn(lambda F, lib, a, b: F.binary_cross_entropy_with_logits(a, b), [x.astype(np.float32), t],
             dtype=np.float32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    p = np.random.default_rng(3).dirichlet(np.ones(4), size=3)
    t = np.log(p) if log_target else p
    fn = lambda F, lib, x, y: F.kl_div(F.log_softmax(x, 1), y, reduction=reduction, log_target=log_target)  # noqa
    check_fn(fn, [rnd(3, 4), t])
    p[0, 0] = 0.0  # 0 * log(0) counts as 0
    check_fn(fn, [rnd(3, 4), p], grad=False)


def test_loss_reprs_match_torch():
    for name in ("MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "HuberLoss",
                 "SmoothL1Loss", "KLDivLoss"):
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())


def test_loss_errors():
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")(cg.zeros(2), cg.zeros(2))
    with pytest.raises(IndexError, match="out of bounds"):
        nn.CrossEntropyLoss()(cg.zeros(2, 3), cg.tensor([0, 3]))
    with pytest.raises(RuntimeError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)(cg.zeros(2, 3), cg.tensor([0, 1]))
    with pytest.warns(UserWarning, match="different to the input size"):
        nn.L1Loss()(cg.zeros(2, 1), cg.zeros(2))
