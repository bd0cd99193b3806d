"""Every layer equals torch's after copying torch's weights: outputs, input gradients, parameter
gradients and buffers, in float64 (tight) and float32 (loose)."""

from __future__ import annotations

import numpy as np
import pytest

from nn_helpers import check_module

DTYPES = [np.float64, np.float32]


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,bias", [((5, 4), True), ((4,), True), ((2, 3, 4), False), ((0, 4), True)])
def test_linear_matches_torch(shape, bias, dtype):
    check_module(lambda nn: nn.Linear(4, 3, bias=bias), [rnd(*shape)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_matches_torch(dtype):
    def make(nn):
        return nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 3),
                             nn.LogSoftmax(dim=1))

    check_module(make, [rnd(5, 3, 4)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [
    dict(),
    dict(stride=2, padding=1),
    dict(padding="same", dilation=2),
    dict(padding="same", kernel_size=(2, 4)),
    dict(padding="valid", stride=(2, 1)),
    dict(groups=2, padding=(1, 2)),
    dict(groups=4, bias=False, stride=2),
    dict(dilation=(2, 1), padding=2, bias=False),
    dict(padding=1, padding_mode="reflect"),
    dict(padding="same", padding_mode="replicate"),
    dict(padding=2, padding_mode="circular", stride=2),
])
def test_conv2d_matches_torch(kw, dtype):
    kw = dict(kw)
    k = kw.pop("kernel_size", 3)
    check_module(lambda nn: nn.Conv2d(4, 6 if kw.get("groups", 1) != 4 else 8, k, **kw), [rnd(2, 4, 7, 8)],
                 dtype=dtype)


def test_conv2d_unbatched_input_matches_torch():
    check_module(lambda nn: nn.Conv2d(2, 3, 3, padding=1), [rnd(2, 5, 5)])


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2, groups=2)])
def test_conv1d_matches_torch(kw):
    check_module(lambda nn: nn.Conv1d(4, 6, 3, **kw), [rnd(2, 4, 9)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
])
def test_max_pool2d_matches_torch(kw, dtype):
    check_module(lambda nn: nn.MaxPool2d(**kw), [rnd(2, 3, 7, 8)], dtype=dtype)


def test_max_pool2d_return_indices_matches_torch():
    cm, tm = check_module(lambda nn: nn.MaxPool2d(3, 2, padding=1, return_indices=True), [rnd(2, 3, 7, 8)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), divisor_override=5),
])
def test_avg_pool2d_matches_torch(kw, dtype):
    check_module(lambda nn: nn.AvgPool2d(**kw), [rnd(2, 3, 7, 8)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, (3, 4), (5, 3), (None, 2), 7])
def test_adaptive_avg_pool2d_matches_torch(size, dtype):
    check_module(lambda nn: nn.AdaptiveAvgPool2d(size), [rnd(2, 3, 7, 8)], dtype=dtype)


def test_pool1d_matches_torch():
    check_module(lambda nn: nn.MaxPool1d(3, 2, 1), [rnd(2, 3, 9)])
    check_module(lambda nn: nn.AvgPool1d(3, 2, 1), [rnd(2, 3, 9)])
    check_module(lambda nn: nn.AdaptiveAvgPool1d(4), [rnd(2, 3, 9)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(), dict(momentum=None), dict(affine=False), dict(track_running_stats=False),
                                dict(momentum=0.3, eps=1e-3)])
def test_batchnorm2d_train_and_eval_match_torch(kw, dtype):
    import chaingrad as cg

    cm, tm = check_module(lambda nn: nn.BatchNorm2d(3, **kw), [rnd(4, 3, 5, 6)], dtype=dtype)
    # a second and third training step move the running statistics the same way
    for seed in (1, 2):
        x = rnd(4, 3, 5, 6, seed=seed).astype(dtype)
        import torch

        tm(torch.tensor(x))
        cm(cg.tensor(x))
    for name, b in cm.named_buffers():
        np.testing.assert_allclose(b.numpy(), dict(tm.named_buffers())[name].numpy(), rtol=1e-5, atol=1e-6)
    # eval mode uses the running statistics
    tm.eval()
    cm.eval()
    x = rnd(2, 3, 5, 6, seed=3).astype(dtype)
    np.testing.assert_allclose(cm(cg.tensor(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(), rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("shape", [(6, 4), (5, 4, 7)])
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm1d_matches_torch(shape, train):
    check_module(lambda nn: nn.BatchNorm1d(4), [rnd(*shape)], train=train)


def test_batchnorm_errors_match_torch():
    import chaingrad as cg

    with pytest.raises(ValueError, match="expected 4D input"):
        cg.nn.BatchNorm2d(3)(cg.zeros(2, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        cg.nn.BatchNorm1d(3)(cg.zeros(1, 3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ns,shape,kw", [(4, (3, 4), {}), ((3, 4), (2, 3, 4), {}),
                                         (4, (2, 5, 4), dict(elementwise_affine=False)), (4, (3, 4), dict(bias=False)),
                                         (4, (3, 4), dict(eps=1e-2))])
def test_layernorm_matches_torch(ns, shape, kw, dtype):
    def make(nn):
        m = nn.LayerNorm(ns, **kw)
        return m

    cm, tm = check_module(make, [rnd(*shape)], dtype=dtype)


def test_layernorm_with_trained_affine_matches_torch():
    import torch

    def make(nn):
        m = nn.LayerNorm(4)
        if nn is torch.nn:
            with torch.no_grad():
                m.weight.normal_()
                m.bias.normal_()
        return m

    check_module(make, [rnd(3, 4)])


def test_groupnorm_matches_torch():
    check_module(lambda nn: nn.GroupNorm(2, 4), [rnd(3, 4, 5)])


@pytest.mark.parametrize("kw", [dict(), dict(padding_idx=0), dict(padding_idx=-1), dict(max_norm=1.0)])
def test_embedding_matches_torch(kw):
    idx = np.array([[0, 2, 4], [4, 4, 1]])
    cm, tm = check_module(lambda nn: nn.Embedding(5, 3, **kw), [idx], grad_inputs=False)


def test_embedding_padding_row_gets_no_gradient():
    import chaingrad as cg

    emb = cg.nn.Embedding(4, 2, padding_idx=1)
    assert (emb.weight[1].detach().numpy() == 0).all()
    emb(cg.tensor([1, 1, 2])).sum().backward()
    assert (emb.weight.grad.numpy()[1] == 0).all() and (emb.weight.grad.numpy()[2] == 1).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,args", [
    ("ReLU", ()), ("LeakyReLU", (0.2,)), ("GELU", ()), ("GELU", ("tanh",)), ("Sigmoid", ()), ("Tanh", ()),
    ("Softmax", (1,)), ("LogSoftmax", (1,)), ("Softmin", (0,)), ("ELU", (0.7,)), ("SELU", ()), ("CELU", (1.3,)),
    ("SiLU", ()), ("Mish", ()), ("Softplus", ()), ("Softplus", (2.0, 1.0)), ("LogSigmoid", ()), ("Hardtanh", ()),
    ("ReLU6", ()), ("Hardsigmoid", ()), ("Hardswish", ()), ("Softsign", ()), ("Tanhshrink", ()), ("PReLU", ()),
    ("PReLU", (3,)), ("Threshold", (0.1, 20.0)), ("GLU", ()), ("Identity", ()),
])
def test_activation_modules_match_torch(name, args, dtype):
    x = rnd(4, 3, 6) * 3
    check_module(lambda nn: getattr(nn, name)(*args), [x], dtype=dtype)


def test_activation_extreme_inputs_are_finite_like_torch():
    x = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])
    for name in ("Softplus", "LogSigmoid", "SiLU", "Mish", "GELU", "ELU", "Sigmoid", "Tanh"):
        check_module(lambda nn, name=name: getattr(nn, name)(), [x])


def test_dropout_train_and_eval():
    import chaingrad as cg

    cg.manual_seed(0)
    d = cg.nn.Dropout(0.4)
    x = cg.ones(2000, requires_grad=True)
    y = d(x)
    kept = y.detach().numpy() != 0
    assert 0.5 < kept.mean() < 0.7
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.6, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)
    assert y.dtype == cg.float32
    d.eval()
    assert d(x) is x
    assert (cg.nn.Dropout(1.0)(x).detach().numpy() == 0).all()
    with pytest.raises(ValueError, match="dropout probability"):
        cg.nn.Dropout(1.5)


def test_dropout2d_zeroes_whole_channels():
    import chaingrad as cg

    cg.manual_seed(1)
    y = cg.nn.Dropout2d(0.5)(cg.ones(4, 8, 3, 3)).numpy()
    per_channel = y.reshape(4, 8, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()


def test_flatten_unflatten_match_torch():
    check_module(lambda nn: nn.Sequential(nn.Flatten(0, 1), nn.Unflatten(1, (2, 3))), [rnd(2, 3, 6)])


def test_bilinear_matches_torch():
    check_module(lambda nn: nn.Bilinear(3, 4, 2), [rnd(5, 3), rnd(5, 4)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_lenet_matches_torch(dtype):
    def make(nn):
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.Sigmoid(), nn.AvgPool2d(2, 2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                             nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.LayerNorm(84),
                             nn.Linear(84, 10))

    check_module(make, [rnd(3, 1, 28, 28)], dtype=dtype)


def test_float32_stays_float32_through_every_layer():
    import chaingrad as cg
    from chaingrad import nn

    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.GELU(), nn.MaxPool2d(2),
                        nn.AvgPool2d(1), nn.AdaptiveAvgPool2d(3), nn.Flatten(), nn.Linear(18, 4), nn.LayerNorm(4),
                        nn.Dropout(0.1), nn.ELU(), nn.Softplus())
    x = cg.randn(2, 1, 6, 6, requires_grad=True)
    y = net(x)
    assert y.dtype == cg.float32
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(y, cg.tensor([0, 3]))
    assert loss.dtype == cg.float32
    loss.backward()
    assert x.grad.dtype == cg.float32
    assert all(p.grad.dtype == cg.float32 for p in net.parameters())
