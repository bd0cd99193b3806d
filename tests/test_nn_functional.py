"""chaingrad.nn.functional equals torch.nn.functional: values and gradients, float64 and float32, plus
double backward through the new kernels (conv, pooling, linear, activations)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
import chaingrad.nn.functional as F
from helpers import check_finite_differences
from nn_helpers import check_fn

DTYPES = [np.float64, np.float32]


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kw", [
    ("relu", {}), ("leaky_relu", dict(negative_slope=0.3)), ("gelu", {}), ("gelu", dict(approximate="tanh")),
    ("silu", {}), ("mish", {}), ("elu", dict(alpha=0.5)), ("selu", {}), ("celu", dict(alpha=2.0)),
    ("softplus", dict(beta=2.0, threshold=3.0)), ("logsigmoid", {}), ("hardtanh", dict(min_val=-0.5, max_val=2.0)),
    ("relu6", {}), ("hardsigmoid", {}), ("hardswish", {}), ("softsign", {}), ("tanhshrink", {}),
    ("softshrink", dict(lambd=0.3)), ("hardshrink", dict(lambd=0.3)), ("sigmoid", {}), ("tanh", {}),
    ("softmax", dict(dim=1)), ("log_softmax", dict(dim=0)), ("softmin", dict(dim=1)), ("glu", dict(dim=1)),
    ("normalize", dict(dim=1)), ("threshold", dict(threshold=0.2, value=-3.0)),
])
def test_activations_match_torch(name, kw, dtype):
    check_fn(lambda Fn, lib, x: getattr(Fn, name)(x, **kw), [rnd(3, 4, 5) * 3], dtype=dtype)


def test_inplace_activation_writes_into_input():
    x = cg.randn(4)
    y = F.leaky_relu(x, 0.1, inplace=True)
    assert y is x and (x.numpy() >= -10).all()
    a = cg.randn(3, requires_grad=True)
    b = a * 1
    F.elu(b, inplace=True).sum().backward()
    ta = torch.tensor(a.detach().numpy(), requires_grad=True)
    torch.nn.functional.elu(ta * 1, inplace=True).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_conv_pool_functional_match_torch(dtype):
    w, b = rnd(3, 4, seed=1), rnd(3, seed=2)
    check_fn(lambda Fn, lib, x, w, b: Fn.linear(x, w, b), [rnd(2, 5, 4), w, b], dtype=dtype)
    check_fn(lambda Fn, lib, x, w: Fn.linear(x, w), [rnd(4), w], dtype=dtype)
    check_fn(lambda Fn, lib, x, w, b: Fn.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
             [rnd(2, 3, 6, 7), rnd(4, 3, 3, 2, seed=1), rnd(4, seed=2)], dtype=dtype)
    check_fn(lambda Fn, lib, x, w: Fn.conv2d(x, w, groups=3, padding="same"),
             [rnd(2, 3, 5, 5), rnd(6, 1, 3, 3, seed=1)], dtype=dtype)
    check_fn(lambda Fn, lib, x, w: Fn.conv1d(x, w, stride=2, padding=1), [rnd(2, 3, 9), rnd(4, 3, 3, seed=1)],
             dtype=dtype)
    check_fn(lambda Fn, lib, x: Fn.max_pool2d(x, 3, 2, 1), [rnd(2, 3, 7, 7)], dtype=dtype)
    check_fn(lambda Fn, lib, x: Fn.avg_pool2d(x, (2, 3), (1, 2), (1, 1)), [rnd(2, 3, 7, 7)], dtype=dtype)
    check_fn(lambda Fn, lib, x: Fn.adaptive_avg_pool2d(x, (3, 2)), [rnd(3, 7, 7)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_and_layer_norm_functional_match_torch(training, dtype):
    rm, rv = rnd(3, seed=1), np.abs(rnd(3, seed=2)) + 0.5
    rms = {}

    def fn(Fn, lib, x, w, b):
        m, v = lib.tensor(rm.astype(dtype)), lib.tensor(rv.astype(dtype))
        out = Fn.batch_norm(x, m, v, w, b, training=training, momentum=0.2, eps=1e-3)
        rms[lib.__name__] = (m.numpy(), v.numpy())
        return out

    check_fn(fn, [rnd(4, 3, 5), rnd(3, seed=3), rnd(3, seed=4)], dtype=dtype)
    for a, b in zip(rms["chaingrad"], rms["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    check_fn(lambda Fn, lib, x, w, b: Fn.layer_norm(x, (3, 5), w, b, eps=1e-4),
             [rnd(4, 3, 5), rnd(3, 5, seed=3), rnd(3, 5, seed=4)], dtype=dtype)
    check_fn(lambda Fn, lib, x, w, b: Fn.group_norm(x, 2, w, b), [rnd(2, 4, 3), rnd(4, seed=3), rnd(4, seed=4)],
             dtype=dtype)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2), (2, 0, 1, 1), (1, 1, 2, 2)])
def test_pad_matches_torch(mode, pad):
    kw = dict(value=1.5) if mode == "constant" else {}
    shape = (2, 3, 4, 5) if len(pad) == 4 else (3, 4, 5)
    check_fn(lambda Fn, lib, x: Fn.pad(x, pad, mode=mode, **kw), [rnd(*shape)])


def test_negative_constant_pad_crops_like_torch():
    check_fn(lambda Fn, lib, x: Fn.pad(x, (-1, 2, 0, -2)), [rnd(2, 4, 5)])


def test_embedding_and_one_hot_match_torch():
    idx = np.array([[1, 0, 3], [3, 3, 2]])
    check_fn(lambda Fn, lib, w: Fn.embedding(lib.tensor(idx), w, padding_idx=3), [rnd(5, 2)])
    a = F.one_hot(cg.tensor([0, 2, 1]), 4)
    b = torch.nn.functional.one_hot(torch.tensor([0, 2, 1]), 4)
    assert a.dtype == cg.int64 and (a.numpy() == b.numpy()).all()
    assert F.one_hot(cg.tensor([[0], [3]])).shape == (2, 1, 4)


def test_dropout_functional():
    x = cg.ones(100)
    assert F.dropout(x, 0.5, training=False) is x
    y = F.dropout(x, 0.5)
    assert set(np.unique(y.numpy())) <= {0.0, 2.0}
    with pytest.raises(ValueError):
        F.dropout(x, -0.1)


def _double_backward(fn, arrays):
    """d/dinputs of sum(grad(fn)^2) equals torch's (second derivatives through the backward rules)."""
    out = []
    for lib in (cg, torch):
        Fn = F if lib is cg else torch.nn.functional
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = fn(Fn, *xs)
        grads = lib.autograd.grad((y * lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))).sum(), xs,
                                  create_graph=True)
        total = sum((g * g).sum() for g in grads)
        second = lib.autograd.grad(total, xs, allow_unused=True)
        out.append([np.zeros(a.shape) if g is None else g.detach().numpy() for g, a in zip(second, arrays)])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("case", ["conv", "conv_groups", "conv1d", "conv1d_unbatched", "maxpool", "avgpool", "linear",
                                  "gelu", "leaky", "softplus", "bce", "adaptive", "pad_circular"])
def test_double_backward_matches_torch(case):
    x4 = rnd(2, 4, 6, 6)
    fns = {
        "conv": (lambda Fn, x, w, b: Fn.conv2d(x, w, b, stride=2, padding=1), [x4, rnd(3, 4, 3, 3, seed=1),
                                                                               rnd(3, seed=2)]),
        "conv_groups": (lambda Fn, x, w: Fn.conv2d(x, w, groups=2, dilation=2), [x4, rnd(4, 2, 2, 2, seed=1)]),
        "conv1d": (lambda Fn, x, w, b: Fn.conv1d(x, w, b, stride=2, padding=1, dilation=2) ** 2,
                   [rnd(2, 4, 9), rnd(3, 4, 3, seed=1), rnd(3, seed=2)]),
        "conv1d_unbatched": (lambda Fn, x, w: Fn.conv1d(x, w, groups=2, padding="same") ** 2,
                             [rnd(4, 7), rnd(4, 2, 3, seed=1)]),
        "maxpool": (lambda Fn, x: Fn.max_pool2d(x, 2) ** 2, [x4]),
        "pad_circular": (lambda Fn, x: Fn.pad(x, (1, 2, -1, 3), mode="circular") ** 2, [x4]),
        "avgpool": (lambda Fn, x: Fn.avg_pool2d(x, 3, 2, 1) ** 2, [x4]),
        "adaptive": (lambda Fn, x: Fn.adaptive_avg_pool2d(x, 4) ** 2, [x4]),
        "linear": (lambda Fn, x, w, b: Fn.linear(x, w, b) ** 2, [rnd(3, 4), rnd(2, 4, seed=1), rnd(2, seed=2)]),
        "gelu": (lambda Fn, x: Fn.gelu(x), [rnd(10)]),
        "leaky": (lambda Fn, x: Fn.leaky_relu(x, 0.2) ** 2, [rnd(10)]),
        "softplus": (lambda Fn, x: Fn.softplus(x, 2.0), [rnd(10)]),
        "bce": (lambda Fn, x, t: Fn.binary_cross_entropy(x, t), [np.random.default_rng(0).uniform(0.1, 0.9, 6),
                                                                 np.random.default_rng(1).uniform(0, 1, 6)]),
    }
    fn, arrays = fns[case]
    _double_backward(fn, arrays)


LAYER_NORMS = {
    "affine": lambda F, x, w, b: F.layer_norm(x, (3, 5), w, b, eps=1e-4),
    "weight_only": lambda F, x, w, b: F.layer_norm(x, (3, 5), w),
    "plain": lambda F, x, w, b: F.layer_norm(x, (5,)),
    "every_dim": lambda F, x, w, b: F.layer_norm(x[0], (3, 5), w, b),
}


@pytest.mark.parametrize("name", sorted(LAYER_NORMS))
def test_layer_norm_is_one_node_matching_finite_differences(name):
    """NativeLayerNormBackward0 with edges (input, weight, bias), None for an absent one; its gradients for all
    three equal finite differences in float64 (and torch's, in the tests above)."""
    arrays = [rnd(4, 3, 5), rnd(3, 5, seed=3), rnd(3, 5, seed=4)]
    check_finite_differences(lambda m, x, w, b: LAYER_NORMS[name](m.nn.functional, x, w, b), arrays)
    x, w, b = (cg.tensor(a, requires_grad=True) for a in arrays)
    node = LAYER_NORMS[name](cg.nn.functional, x, w, b).grad_fn
    assert type(node).__name__ == "NativeLayerNormBackward0"
    edges = [None if f is None else type(f).__name__ for f, _ in node.next_functions]
    assert edges == {"affine": ["AccumulateGrad"] * 3, "weight_only": ["AccumulateGrad", "AccumulateGrad", None],
                     "plain": ["AccumulateGrad", None, None],
                     "every_dim": ["SelectBackward0", "AccumulateGrad", "AccumulateGrad"]}[name]


def test_layer_norm_double_backward_like_torch():
    arrays = [rnd(4, 3, 5), rnd(3, 5, seed=3), rnd(3, 5, seed=4)]

    def second(lib):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in arrays)
        out = lib.nn.functional.layer_norm(x, (3, 5), w, b)
        gx, gw = lib.autograd.grad((out.sin() * out).sum(), [x, w], create_graph=True)
        return [g.detach().numpy() for g in (gx, gw, *lib.autograd.grad((gx ** 2).sum() + (gw * gw).sum(),
                                                                        [x, w, b], allow_unused=True))]

    for ours, theirs in zip(second(cg), second(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11)


def test_layer_norm_weight_of_another_shape_or_dtype_raises_like_torch():
    for lib in (cg, torch):
        with pytest.raises(RuntimeError, match="normalized_shape"):
            lib.nn.functional.layer_norm(lib.ones(2, 4), (4,), lib.ones(3))
        with pytest.raises(RuntimeError):
            lib.nn.functional.layer_norm(lib.ones(2, 4, dtype=lib.float64), (4,), lib.ones(4))
