"""Power-average pooling, max unpooling, local response norm, the *_with_indices pools, adaptive_avg_pool1d,
pdist, bilinear, channel_shuffle and Softmax2d (functional and module forms) equal torch's in values and
gradients over shapes and options, in float64 and float32; gradients equal finite differences and pass
gradcheck and gradgradcheck; module reprs and errors are torch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def pos(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.3, 2.0, shape)


def _unpool2d(m, x, **kw):
    out, idx = m.nn.functional.max_pool2d(x, 2, return_indices=True)
    return m.nn.functional.max_unpool2d(out * 2, idx, 2, **kw)


CASES = {
    "lp_pool2d_p2": (lambda m, x: m.nn.functional.lp_pool2d(x, 2, 2), [rnd(2, 3, 4, 6)]),
    "lp_pool2d_p3_rect_stride_ceil": (lambda m, x: m.nn.functional.lp_pool2d(x, 3.0, (2, 3), stride=(1, 2),
                                                                             ceil_mode=True), [pos(1, 2, 5, 7)]),
    "lp_pool2d_inf": (lambda m, x: m.nn.functional.lp_pool2d(x, float("inf"), 2), [rnd(2, 2, 4, 4)]),
    "lp_pool2d_unbatched": (lambda m, x: m.nn.functional.lp_pool2d(x, 1.5, 3, stride=2), [pos(2, 7, 7)]),
    "lp_pool1d_p2": (lambda m, x: m.nn.functional.lp_pool1d(x, 2, 3), [rnd(2, 3, 9)]),
    "lp_pool1d_p1_stride": (lambda m, x: m.nn.functional.lp_pool1d(x, 1, 2, stride=1), [pos(3, 6)]),
    "lp_pool1d_ninf": (lambda m, x: m.nn.functional.lp_pool1d(x, -float("inf"), 2), [rnd(2, 2, 6)]),
    "max_unpool2d": (_unpool2d, [rnd(2, 3, 4, 6)]),
    "max_unpool2d_output_size": (lambda m, x: _unpool2d(m, x, output_size=(5, 7)), [rnd(1, 2, 5, 7)]),
    "max_unpool2d_unbatched": (_unpool2d, [rnd(2, 4, 4)]),
    "max_unpool2d_overlapping": (
        lambda m, x: m.nn.functional.max_unpool2d(*m.nn.functional.max_pool2d(x, 3, stride=1, padding=1,
                                                                               return_indices=True), 3, 1, 1),
        [rnd(1, 2, 4, 5)]),
    "max_unpool1d": (lambda m, x: m.nn.functional.max_unpool1d(*m.nn.functional.max_pool1d(
        x, 2, return_indices=True), 2), [rnd(2, 3, 8)]),
    "max_unpool1d_stride_size": (lambda m, x: m.nn.functional.max_unpool1d(*m.nn.functional.max_pool1d(
        x, 3, stride=2, return_indices=True), 3, stride=2, output_size=[2, 2, 10]), [rnd(2, 2, 10)]),
    "local_response_norm_3d": (lambda m, x: m.nn.functional.local_response_norm(x, 3), [rnd(2, 5, 7)]),
    "local_response_norm_4d": (lambda m, x: m.nn.functional.local_response_norm(x, 2, alpha=0.1, beta=0.5, k=2.0),
                               [rnd(2, 6, 3, 4)]),
    "local_response_norm_5d": (lambda m, x: m.nn.functional.local_response_norm(x, 4, alpha=0.3),
                               [rnd(1, 5, 2, 3, 2)]),
    "adaptive_avg_pool1d": (lambda m, x: m.nn.functional.adaptive_avg_pool1d(x, 4), [rnd(2, 3, 10)]),
    "adaptive_avg_pool1d_unbatched": (lambda m, x: m.nn.functional.adaptive_avg_pool1d(x, (3,)), [rnd(3, 7)]),
    "max_pool2d_with_indices": (lambda m, x: m.nn.functional.max_pool2d_with_indices(x, 3, 2, 1),
                                [rnd(2, 2, 7, 6)]),
    "max_pool1d_with_indices": (lambda m, x: m.nn.functional.max_pool1d_with_indices(x, 2, ceil_mode=True),
                                [rnd(2, 3, 7)]),
    "adaptive_max_pool2d_with_indices": (lambda m, x: m.nn.functional.adaptive_max_pool2d_with_indices(x, (2, 3)),
                                         [rnd(2, 2, 5, 7)]),
    "adaptive_max_pool1d_with_indices": (lambda m, x: m.nn.functional.adaptive_max_pool1d_with_indices(x, 3),
                                         [rnd(2, 3, 8)]),
    "pdist": (lambda m, x: m.nn.functional.pdist(x), [rnd(5, 3)]),
    "pdist_p1": (lambda m, x: m.nn.functional.pdist(x, 1), [rnd(4, 6)]),
    "pdist_p3": (lambda m, x: m.nn.functional.pdist(x, p=3.5), [rnd(6, 2)]),
    "pdist_inf": (lambda m, x: m.nn.functional.pdist(x, float("inf")), [rnd(4, 3)]),
    "bilinear": (lambda m, a, b, w, c: m.nn.functional.bilinear(a, b, w, c),
                 [rnd(4, 3), rnd(4, 5, seed=1), rnd(2, 3, 5, seed=2), rnd(2, seed=3)]),
    "bilinear_batch_dims_no_bias": (lambda m, a, b, w: m.nn.functional.bilinear(a, b, w),
                                    [rnd(2, 3, 4), rnd(2, 3, 2, seed=1), rnd(3, 4, 2, seed=2)]),
    "channel_shuffle": (lambda m, x: m.nn.functional.channel_shuffle(x, 3), [rnd(2, 6, 2, 3)]),
    "channel_shuffle_3d": (lambda m, x: m.nn.functional.channel_shuffle(x, 2), [rnd(2, 4, 5)]),
    "softmax2d": (lambda m, x: m.nn.Softmax2d()(x), [rnd(2, 3, 4, 5)]),
    "softmax2d_unbatched": (lambda m, x: m.nn.Softmax2d()(x), [rnd(3, 2, 2)]),
}
# finite differences cross max/|x| kinks or nan regions there (values and torch's gradients still compared)
NO_FINITE_DIFFERENCES = {"lp_pool2d_inf", "lp_pool1d_ninf", "pdist_inf",
                         # overlapping windows share a maximum: the index comes twice, and the gradient is
                         # gathered for each (torch's, which the comparison above checks), not the derivative
                         "max_unpool2d_overlapping", "max_unpool1d_stride_size"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_and_finite_differences(name):
    fn, arrays = CASES[name]
    for dtype in (np.float64, np.float32):
        compare_with_torch(fn, arrays, dtype=dtype)
    if name not in NO_FINITE_DIFFERENCES:
        check_finite_differences(fn, arrays)


@pytest.mark.parametrize("name", ["lp_pool2d_p3_rect_stride_ceil", "max_unpool2d", "local_response_norm_4d",
                                  "pdist_p3", "bilinear", "channel_shuffle"])
def test_gradcheck_and_gradgradcheck(name):
    fn, arrays = CASES[name]
    xs = [cg.tensor(a, requires_grad=True) for a in arrays]
    f = lambda *t: fn(cg, *t)  # noqa: E731
    assert cg.autograd.gradcheck(f, xs)
    assert cg.autograd.gradgradcheck(f, xs)


def test_max_unpool_is_one_node_named_as_torchs():
    for m in (torch, cg):
        out = _unpool2d(m, m.tensor(rnd(1, 1, 4, 4), requires_grad=True))
        assert type(out.grad_fn).__name__ == "MaxUnpool2DBackward0"


MODULES = [
    ("LPPool2d", (2, (2, 3)), dict(stride=1), rnd(2, 2, 5, 6)),
    ("LPPool2d", (1.5, 2), dict(ceil_mode=True), pos(1, 2, 5, 5)),
    ("LPPool1d", (3, 2), dict(), pos(2, 3, 8)),
    ("LocalResponseNorm", (3,), dict(alpha=0.01, k=0.5), rnd(2, 5, 4, 4)),
    ("ChannelShuffle", (2,), dict(), rnd(2, 4, 3, 3)),
    ("Softmax2d", (), dict(), rnd(2, 3, 2, 2)),
]


@pytest.mark.parametrize("name,args,kwargs,x", MODULES)
def test_modules_match_torchs_output_gradient_and_repr(name, args, kwargs, x):
    ours, theirs = getattr(cg.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    xc, xt = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oc, ot = ours(xc), theirs(xt)
    np.testing.assert_allclose(oc.detach().numpy(), ot.detach().numpy(), rtol=1e-10, atol=1e-12)
    oc.sum().backward()
    ot.sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dims", [1, 2])
def test_max_unpool_modules_invert_max_pool_as_torchs(dims):
    x = rnd(2, 3, 6, 8) if dims == 2 else rnd(2, 3, 9)
    results = []
    for m in (torch, cg):
        pool = getattr(m.nn, f"MaxPool{dims}d")(2, stride=2, return_indices=True)
        unpool = getattr(m.nn, f"MaxUnpool{dims}d")(2, stride=2)
        t = m.tensor(x, requires_grad=True)
        out, idx = pool(t)
        size = t.size() if dims == 1 else None
        back = unpool(out, idx, output_size=size) if size is not None else unpool(out, idx)
        back.pow(2).sum().backward()
        results.append((repr(unpool), back.detach().numpy(), t.grad.numpy()))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def _error(m, expr):
    F = m.nn.functional
    x = m.tensor(rnd(2, 3, 4, 4))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    env = dict(F=F, m=m, x=x, out=out, idx=idx)
    try:
        eval(expr, env)
    except Exception as e:  # noqa: BLE001 - the class and message are what is compared
        return type(e), str(e)
    return None, None


ERRORS = [
    "F.max_unpool2d(out, idx.float(), 2)",
    "F.max_unpool2d(out, idx[:, :1], 2)",
    "F.max_unpool2d(out, idx * 9, 2)",
    "F.max_unpool2d(out, idx, 2, output_size=(9, 9))",
    "F.max_unpool2d(out, idx, 2, output_size=(4, 4, 4))",
    "F.local_response_norm(x[0, 0], 2)",
    "F.pdist(x)",
    "F.pdist(x[0, 0], -1.0)",
    "F.pdist(x[0, 0].long())",
    "F.bilinear(x[0, 0], x[0, 0], m.ones(2, 4, 4))",
    "F.bilinear(x[0, 0], x[0, 0], m.ones(2, 4, 4, dtype=m.float64), m.ones(2))",
    "F.bilinear(x[0, 0], x[0], m.ones(2, 4, 4, dtype=m.float64))",
    "F.bilinear(x[0, 0], x[0, 0, :3], m.ones(2, 4, 4, dtype=m.float64))",
    "F.bilinear(x[0, 0], x[0, 0], m.ones(2, 3, 4, dtype=m.float64))",
    "F.bilinear(x[0, 0], x[0, 0], m.ones(2, 4, 3, dtype=m.float64))",
    "F.bilinear(x[0, 0], x[0, 0], m.ones(2, 4, 4, dtype=m.float64), m.ones(3, dtype=m.float64))",
    "F.channel_shuffle(x, 2)",
    "F.channel_shuffle(x, 0)",
    "F.channel_shuffle(x[0, 0], 1)",
    "F.adaptive_avg_pool1d(x, 2)",
    "m.nn.Softmax2d()(x[0, 0])",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_bad_arguments_raise_torchs_errors(expr):
    (t_cls, t_msg), (c_cls, c_msg) = _error(torch, expr), _error(cg, expr)
    assert t_cls is not None and c_cls is t_cls, (t_cls, t_msg, c_cls, c_msg)
    assert c_msg.startswith(t_msg.split(" (")[0].split(":")[0][:30]), (t_msg, c_msg)
