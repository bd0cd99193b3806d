"""The margin, embedding and likelihood losses (hinge embedding, soft margin, multi-label soft margin, multi-class
and multi-label margin, triplet margin, Gaussian NLL, and the modules of cosine embedding, margin ranking and
Poisson NLL) equal torch's in value and gradients, over reductions, options and shapes, in float64 and float32;
their gradients equal finite differences (and pass gradcheck, with second derivatives); errors are torch's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch

REDUCTIONS = ["mean", "sum", "none"]


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def signs(*shape, seed=3, zero=False):
    values = [-1.0, 1.0, 0.5] if zero else [-1.0, 1.0]
    return np.random.default_rng(seed).choice(values, shape)


def classes(n, c, seed=4):
    return np.random.default_rng(seed).integers(0, c, n)


LABELS = np.array([[3, 0, -1, 1, 2], [1, 2, 4, -1, 0], [-1, 0, 0, 0, 0], [0, 0, 4, 3, -1]])  # (4, 5)


def const(m, a, like):
    return m.tensor(a).to(like.dtype)


# name -> (fn(lib, reduction, *tensors), arrays); targets that torch does not differentiate are closed over
CASES = {
    "hinge_embedding": (lambda m, r, x: m.nn.functional.hinge_embedding_loss(x, const(m, signs(4, 5), x),
                                                                             reduction=r), [rnd(4, 5)]),
    "hinge_embedding_margin_other_targets": (
        lambda m, r, x: m.nn.functional.hinge_embedding_loss(x, const(m, signs(3, 6, zero=True), x), margin=0.4,
                                                             reduction=r), [rnd(3, 6)]),
    "hinge_embedding_1d": (lambda m, r, x: m.nn.functional.hinge_embedding_loss(x, const(m, signs(7), x),
                                                                                reduction=r), [rnd(7)]),
    "soft_margin": (lambda m, r, x: m.nn.functional.soft_margin_loss(x, const(m, signs(4, 5), x), reduction=r),
                    [rnd(4, 5)]),
    "soft_margin_3d": (lambda m, r, x: m.nn.functional.soft_margin_loss(x, const(m, signs(2, 3, 4), x),
                                                                        reduction=r), [rnd(2, 3, 4)]),
    "multilabel_soft_margin": (lambda m, r, x, y: m.nn.functional.multilabel_soft_margin_loss(x, y, reduction=r),
                               [rnd(4, 5), np.random.default_rng(5).uniform(0, 1, (4, 5))]),
    "multilabel_soft_margin_weight": (
        lambda m, r, x, y, w: m.nn.functional.multilabel_soft_margin_loss(x, y, weight=w, reduction=r),
        [rnd(3, 4), np.random.default_rng(5).uniform(0, 1, (3, 4)), np.array([0.5, 1.0, 2.0, 0.1])]),
    "multi_margin": (lambda m, r, x: m.nn.functional.multi_margin_loss(x, m.tensor(classes(4, 5)), reduction=r),
                     [rnd(4, 5)]),
    "multi_margin_p2_margin_weight": (
        lambda m, r, x: m.nn.functional.multi_margin_loss(x, m.tensor(classes(5, 3)), p=2, margin=0.7,
                                                          weight=const(m, [0.3, 1.0, 2.5], x), reduction=r),
        [rnd(5, 3)]),
    "multi_margin_1d": (lambda m, r, x: m.nn.functional.multi_margin_loss(x, m.tensor([2]), reduction=r),
                        [rnd(6)]),
    "multi_margin_1d_scalar_target": (
        lambda m, r, x: m.nn.functional.multi_margin_loss(x, m.tensor(1), p=2, reduction=r), [rnd(4)]),
    "multilabel_margin": (lambda m, r, x: m.nn.functional.multilabel_margin_loss(x, m.tensor(LABELS), reduction=r),
                          [rnd(4, 5)]),
    "multilabel_margin_1d": (lambda m, r, x: m.nn.functional.multilabel_margin_loss(x, m.tensor(LABELS[0]),
                                                                                    reduction=r), [rnd(5)]),
    "triplet": (lambda m, r, a, p, n: m.nn.functional.triplet_margin_loss(a, p, n, reduction=r),
                [rnd(4, 5), rnd(4, 5, seed=1), rnd(4, 5, seed=2)]),
    "triplet_p1_swap_margin": (lambda m, r, a, p, n: m.nn.functional.triplet_margin_loss(
        a, p, n, margin=2.0, p=1, eps=1e-3, swap=True, reduction=r),
        [rnd(6, 3), rnd(6, 3, seed=1) * 0.3, rnd(6, 3, seed=2)]),
    "triplet_1d_broadcast": (lambda m, r, a, p, n: m.nn.functional.triplet_margin_loss(a, p, n, p=3, reduction=r),
                             [rnd(5), rnd(5, seed=1), rnd(5, seed=2)]),
    "triplet_distance_default": (lambda m, r, a, p, n: m.nn.functional.triplet_margin_with_distance_loss(
        a, p, n, reduction=r), [rnd(4, 5), rnd(4, 5, seed=1), rnd(4, 5, seed=2)]),
    "triplet_distance_cosine_swap": (lambda m, r, a, p, n: m.nn.functional.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda u, v: 1 - m.nn.functional.cosine_similarity(u, v), margin=0.5,
        swap=True, reduction=r), [rnd(4, 5), rnd(4, 5, seed=1), rnd(4, 5, seed=2)]),
    "gaussian_nll": (lambda m, r, x, y, v: m.nn.functional.gaussian_nll_loss(x, y, v, reduction=r),
                     [rnd(4, 3), rnd(4, 3, seed=1), np.random.default_rng(2).uniform(0.2, 2, (4, 3))]),
    "gaussian_nll_full_per_sample_var": (
        lambda m, r, x, y, v: m.nn.functional.gaussian_nll_loss(x, y, v, full=True, reduction=r),
        [rnd(4, 3), rnd(4, 3, seed=1), np.random.default_rng(2).uniform(0.2, 2, (4,))]),
    "gaussian_nll_shared_dim_var": (
        lambda m, r, x, y, v: m.nn.functional.gaussian_nll_loss(x, y, v, reduction=r),
        [rnd(2, 3, 4), rnd(2, 3, 4, seed=1), np.random.default_rng(2).uniform(0.2, 2, (2, 1, 4))]),
    "gaussian_nll_float_var": (lambda m, r, x, y: m.nn.functional.gaussian_nll_loss(x, y, 0.7, reduction=r),
                               [rnd(5), rnd(5, seed=1)]),
    "gaussian_nll_clamped_var": (  # a variance below eps: clamped, its gradient passed through
        lambda m, r, x, y, v: m.nn.functional.gaussian_nll_loss(x, y, v, eps=0.5, reduction=r),
        [rnd(3, 2), rnd(3, 2, seed=1), np.array([[0.1, 1.0], [2.0, 0.3], [0.7, 0.05]])]),
    "margin_ranking": (lambda m, r, a, b: m.nn.functional.margin_ranking_loss(a, b, const(m, signs(6), a),
                                                                             margin=0.3, reduction=r),
                       [rnd(6), rnd(6, seed=1)]),
    "cosine_embedding": (lambda m, r, a, b: m.nn.functional.cosine_embedding_loss(
        a, b, const(m, signs(5, zero=True), a), margin=0.1, reduction=r), [rnd(5, 3), rnd(5, 3, seed=1)]),
    "cosine_embedding_1d": (lambda m, r, a, b: m.nn.functional.cosine_embedding_loss(
        a, b, const(m, -1.0, a), margin=-0.5, reduction=r), [rnd(4), rnd(4, seed=1)]),
    "poisson_nll": (lambda m, r, x: m.nn.functional.poisson_nll_loss(x, const(m, [[0, 1, 2], [3, 5, 1]], x),
                                                                     reduction=r), [rnd(2, 3)]),
    "poisson_nll_rates_full": (lambda m, r, x, y: m.nn.functional.poisson_nll_loss(x, y, log_input=False,
                                                                                   full=True, reduction=r),
                               [np.random.default_rng(1).uniform(0.5, 3, (2, 4)),
                                np.random.default_rng(2).uniform(0.0, 4, (2, 4))]),
}
# the finite differences step over a clamp's kink where a variance sits below eps
NO_FINITE_DIFFERENCES = {"gaussian_nll_clamped_var"}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_losses_match_torch_and_finite_differences(name, reduction):
    fn, arrays = CASES[name]
    bound = lambda m, *xs: fn(m, reduction, *xs)  # noqa: E731
    for dtype in (np.float64, np.float32):
        compare_with_torch(bound, arrays, dtype=dtype)
    if name not in NO_FINITE_DIFFERENCES:
        check_finite_differences(bound, arrays)


@pytest.mark.parametrize("name", ["multi_margin_p2_margin_weight", "multilabel_margin", "triplet_p1_swap_margin",
                                  "gaussian_nll_full_per_sample_var", "soft_margin", "multilabel_soft_margin"])
def test_losses_pass_gradcheck_and_gradgradcheck(name):
    fn, arrays = CASES[name]
    xs = [cg.tensor(a, requires_grad=True) for a in arrays]
    f = lambda *t: fn(cg, "sum", *t)  # noqa: E731
    assert cg.autograd.gradcheck(f, xs)
    assert cg.autograd.gradgradcheck(f, xs)


LEGACY = [(None, False), (False, None), (True, True), (False, True)]


@pytest.mark.parametrize("size_average,reduce", LEGACY)
@pytest.mark.parametrize("name", ["hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
                                  "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_loss"])
def test_legacy_size_average_and_reduce_choose_torchs_reduction(name, size_average, reduce):
    x = rnd(4, 5)

    def call(m):
        F = getattr(m.nn.functional, name)
        t = m.tensor(x)
        if name == "multi_margin_loss":
            return F(t, m.tensor(classes(4, 5)), size_average=size_average, reduce=reduce)
        if name == "multilabel_margin_loss":
            return F(t, m.tensor(LABELS), size_average=size_average, reduce=reduce)
        if name == "triplet_margin_loss":
            return F(t, t * 0.5, t.flip(0), size_average=size_average, reduce=reduce)
        target = m.tensor(signs(4, 5) if name != "multilabel_soft_margin_loss" else (signs(4, 5) + 1) / 2)
        return F(t, target, size_average=size_average, reduce=reduce)

    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        ours = call(cg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = call(torch)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def _error(m, expr):
    F = m.nn.functional
    x, x3 = m.tensor(rnd(3, 4), requires_grad=True), m.tensor(rnd(2, 3, 4))
    y = m.tensor(signs(3, 4))
    labels = m.tensor([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 0, 0]])
    env = dict(F=F, m=m, x=x, x3=x3, y=y, t=m.tensor([1, 0, 3]), labels=labels)
    try:
        eval(expr, env)
    except Exception as e:  # noqa: BLE001 - the class and message are what is compared
        return type(e), str(e)
    return None, None


ERRORS = [
    "F.soft_margin_loss(x, y.requires_grad_())",
    "F.soft_margin_loss(x, y, reduction='bad')",
    "F.hinge_embedding_loss(x, y, reduction='bad')",
    "F.multilabel_soft_margin_loss(x, y, reduction='bad')",
    "F.multi_margin_loss(x, t, reduction='bad')",
    "F.multi_margin_loss(x, m.tensor([1, 0]))",
    "F.multi_margin_loss(x, m.tensor([1, 0, 5]))",
    "F.multi_margin_loss(x, m.tensor([1, 0, -1]))",
    "F.multi_margin_loss(x[0], m.tensor([1, 0]))",
    "F.multi_margin_loss(x, t, weight=m.ones(3))",
    "F.multi_margin_loss(x, t, weight=m.ones(2, 2))",
    "F.multi_margin_loss(x, t, p=3)",
    "F.multi_margin_loss(x, t.float())",
    "F.multi_margin_loss(x, t, weight=m.ones(4, requires_grad=True))",
    "F.multi_margin_loss(x3, t)",
    "F.multilabel_margin_loss(x, labels[:2])",
    "F.multilabel_margin_loss(x, m.tensor([[5, 0, -1, 1]] * 3))",
    "F.multilabel_margin_loss(x, labels.float())",
    "F.multilabel_margin_loss(x3, m.zeros(2, 3, 4, dtype=m.long))",
    "F.triplet_margin_loss(x, x, x[0])",
    "F.triplet_margin_loss(x, x, x, margin=0)",
    "F.triplet_margin_with_distance_loss(x, x, x, margin=-1.0)",
    "F.triplet_margin_with_distance_loss(x, x, x, reduction='bad')",
    "F.triplet_margin_with_distance_loss(x, x, x[0])",
    "F.gaussian_nll_loss(x, y, -1.0)",
    "F.gaussian_nll_loss(x, y, m.ones(3, 5))",
    "F.gaussian_nll_loss(x, y, m.ones(2, 2))",
    "F.gaussian_nll_loss(x, y, m.ones(3, 4) - 2)",
    "F.gaussian_nll_loss(x, y, m.ones(3, 4), reduction='x')",
    "F.poisson_nll_loss(x, y, reduction='bad')",
    "F.margin_ranking_loss(x, x, y, reduction='bad')",
    "F.margin_ranking_loss(x, x, y[0])",
    "F.cosine_embedding_loss(x, x, y[:, 0], reduction='bad')",
    "F.cosine_embedding_loss(x, x, y)",
    "F.cosine_embedding_loss(x, x, y[0, 0])",
    "F.cosine_embedding_loss(x, x[0], y[:, 0])",
    "F.cosine_embedding_loss([1.0], x, y[:, 0])",
    "m.nn.MultiMarginLoss(p=3)",
    "m.nn.MultiMarginLoss(weight=m.ones(2, 2))",
    "m.nn.TripletMarginLoss(margin=0.0)",
    "m.nn.TripletMarginWithDistanceLoss(margin=0.0)",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_bad_arguments_raise_torchs_errors(expr):
    (t_cls, t_msg), (c_cls, c_msg) = _error(torch, expr), _error(cg, expr)
    assert t_cls is not None and c_cls is t_cls, (t_cls, t_msg, c_cls, c_msg)
    assert c_msg.startswith(t_msg.split(" (")[0][:40]), (t_msg, c_msg)


MODULES = [
    ("HingeEmbeddingLoss", dict(margin=0.5, reduction="sum"), "hinge_embedding_loss", 2),
    ("SoftMarginLoss", dict(reduction="none"), "soft_margin_loss", 2),
    ("MultiLabelSoftMarginLoss", dict(), "multilabel_soft_margin_loss", 2),
    ("MultiMarginLoss", dict(p=2, margin=0.3), "multi_margin_loss", 2),
    ("MultiLabelMarginLoss", dict(reduction="sum"), "multilabel_margin_loss", 2),
    ("CosineEmbeddingLoss", dict(margin=0.2), "cosine_embedding_loss", 3),
    ("MarginRankingLoss", dict(margin=0.1, reduction="none"), "margin_ranking_loss", 3),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, swap=True), "triplet_margin_loss", 3),
    ("TripletMarginWithDistanceLoss", dict(margin=0.5, swap=True), "triplet_margin_with_distance_loss", 3),
    ("PoissonNLLLoss", dict(log_input=False, full=True), "poisson_nll_loss", 2),
    ("GaussianNLLLoss", dict(full=True, eps=1e-3), "gaussian_nll_loss", 3),
]


def _module_inputs(name, m):
    x = m.tensor(rnd(4, 5), requires_grad=True)
    if name in ("MultiMarginLoss",):
        return x, m.tensor(classes(4, 5))
    if name == "MultiLabelMarginLoss":
        return x, m.tensor(LABELS)
    if name == "MultiLabelSoftMarginLoss":
        return x, m.tensor((signs(4, 5) + 1) / 2)
    if name in ("HingeEmbeddingLoss", "SoftMarginLoss"):
        return x, m.tensor(signs(4, 5))
    if name == "CosineEmbeddingLoss":
        return x, m.tensor(rnd(4, 5, seed=1), requires_grad=True), m.tensor(signs(4))
    if name == "MarginRankingLoss":
        return x[:, 0], m.tensor(rnd(4, seed=1), requires_grad=True), m.tensor(signs(4))
    if name.startswith("Triplet"):
        return x, m.tensor(rnd(4, 5, seed=1)), m.tensor(rnd(4, 5, seed=2), requires_grad=True)
    if name == "PoissonNLLLoss":
        return m.tensor(np.random.default_rng(1).uniform(0.5, 3, (4, 5)), requires_grad=True), \
            m.tensor(np.random.default_rng(2).integers(0, 5, (4, 5)).astype(np.float64))
    return x, m.tensor(rnd(4, 5, seed=1)), m.tensor(np.random.default_rng(2).uniform(0.2, 2, (4, 5)),
                                                    requires_grad=True)


@pytest.mark.parametrize("name,kwargs,functional,n_inputs", MODULES)
def test_loss_modules_equal_torchs_functional_and_module(name, kwargs, functional, n_inputs):
    ours, theirs = getattr(cg.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert ours.reduction == theirs.reduction
    xs_c, xs_t = _module_inputs(name, cg), _module_inputs(name, torch)
    assert len(xs_c) == n_inputs
    out_c, out_t = ours(*xs_c), theirs(*xs_t)
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    out_c.sum().backward()
    out_t.sum().backward()
    for c, t in zip(xs_c, xs_t):
        if t.requires_grad:
            leaf_c = c if c.is_leaf else None
            if leaf_c is not None:
                np.testing.assert_allclose(leaf_c.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert hasattr(cg.nn.functional, functional)


@pytest.mark.parametrize("name", ["HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
                                  "MultiMarginLoss", "MultiLabelMarginLoss", "CosineEmbeddingLoss",
                                  "MarginRankingLoss", "TripletMarginLoss", "PoissonNLLLoss"])
def test_loss_modules_take_the_legacy_flags(name):
    with pytest.warns(UserWarning, match="reduction='sum'"):
        ours = getattr(cg.nn, name)(size_average=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(torch.nn, name)(size_average=False)
    assert ours.reduction == theirs.reduction == "sum"


def test_grad_fn_names_of_the_composed_losses_are_torchs():
    x = rnd(3, 4)
    for expr, name in [("F.hinge_embedding_loss(x, y)", "MeanBackward0"),
                       ("F.hinge_embedding_loss(x, y, reduction='none')", "AddBackward0"),
                       ("F.triplet_margin_loss(x, x * 0.5, x.flip(0), reduction='none')", "ClampMinBackward0"),
                       ("F.multilabel_soft_margin_loss(x, (y + 1) / 2, reduction='sum')", "SumBackward0"),
                       ("F.gaussian_nll_loss(x, y, x.exp(), reduction='none')", "MulBackward0"),
                       ("F.margin_ranking_loss(x, x.flip(0), y, reduction='none')", "ClampMinBackward0"),
                       ("F.cosine_embedding_loss(x, x.flip(0), y[:, 0], reduction='none')", "AddBackward0"),
                       ("F.poisson_nll_loss(x, y.abs() * 3, full=True)", "MeanBackward0")]:
        for m in (torch, cg):
            env = dict(F=m.nn.functional, x=m.tensor(x, requires_grad=True), y=m.tensor(signs(3, 4)))
            assert type(eval(expr, env).grad_fn).__name__ == name, (m, expr)
