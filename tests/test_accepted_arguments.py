"""Arguments torch accepts that change what a call does are honoured, not ignored: the legacy
``size_average``/``reduce`` flags of the functional losses, ``inplace=True`` of the activations,
``memory_format=`` of ``empty``; what chaingrad does not have (sparse gradients) raises."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg


def _pair(make):
    return make(torch), make(cg)


LOSSES = {
    "nll_loss": lambda L, **k: L.nn.functional.nll_loss(L.tensor([[-1.0, -2.0, -0.5], [-0.3, -1.5, -2.5]]),
                                                         L.tensor([2, 0]), **k),
    "cross_entropy": lambda L, **k: L.nn.functional.cross_entropy(L.tensor([[1.0, 2.0, 0.5], [0.3, -1.5, 2.5]]),
                                                                   L.tensor([2, 1]), **k),
    "mse_loss": lambda L, **k: L.nn.functional.mse_loss(L.tensor([1.0, 2.0, 4.0]), L.tensor([0.5, 2.5, 1.0]), **k),
    "l1_loss": lambda L, **k: L.nn.functional.l1_loss(L.tensor([1.0, 2.0, 4.0]), L.tensor([0.5, 2.5, 1.0]), **k),
    "smooth_l1_loss": lambda L, **k: L.nn.functional.smooth_l1_loss(L.tensor([1.0, 2.0, 4.0]),
                                                                     L.tensor([0.5, 2.5, 1.0]), **k),
    "binary_cross_entropy": lambda L, **k: L.nn.functional.binary_cross_entropy(L.tensor([0.2, 0.7, 0.9]),
                                                                                 L.tensor([0.0, 1.0, 1.0]), **k),
    "binary_cross_entropy_with_logits": lambda L, **k: L.nn.functional.binary_cross_entropy_with_logits(
        L.tensor([0.2, -0.7, 1.9]), L.tensor([0.0, 1.0, 1.0]), **k),
    "kl_div": lambda L, **k: L.nn.functional.kl_div(L.tensor([-1.0, -0.5, -2.0]), L.tensor([0.2, 0.5, 0.3]), **k),
    "poisson_nll_loss": lambda L, **k: L.nn.functional.poisson_nll_loss(L.tensor([0.5, 1.0, 2.0]),
                                                                         L.tensor([1.0, 0.0, 3.0]), **k),
    "margin_ranking_loss": lambda L, **k: L.nn.functional.margin_ranking_loss(
        L.tensor([0.5, 1.0, 2.0]), L.tensor([1.0, 0.0, 3.0]), L.tensor([1.0, -1.0, 1.0]), **k),
    "cosine_embedding_loss": lambda L, **k: L.nn.functional.cosine_embedding_loss(
        L.tensor([[0.5, 1.0], [2.0, 1.0]]), L.tensor([[1.0, 0.0], [3.0, -1.0]]), L.tensor([1.0, -1.0]), **k),
}
FLAGS = [dict(size_average=False), dict(reduce=False), dict(size_average=True), dict(size_average=False, reduce=True),
         dict(size_average=True, reduce=False)]


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()))
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_legacy_reduction_flags_choose_the_reduction_with_torchs_warning(name, flags):
    out = []
    for lib in (torch, cg):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = LOSSES[name](lib, **flags)
        out.append((value.detach().numpy(), [str(w.message) for w in caught if w.category is UserWarning]))
    (want, want_warn), (got, got_warn) = out
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert got_warn == want_warn and len(want_warn) == 1


ACTIVATIONS = ["silu", "mish", "selu", "celu", "hardsigmoid", "hardswish", "elu", "relu6", "hardtanh",
               "leaky_relu", "threshold", "rrelu"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_inplace_activations_write_into_their_input(name):
    results = []
    for lib in (torch, cg):
        w = lib.tensor([-3.5, -1.0, 0.0, 0.5, 2.0, 4.0, 7.0], requires_grad=True)
        x = w * 1.0
        f = getattr(lib.nn.functional, name)
        y = f(x, 0.1, 2.0, inplace=True) if name == "threshold" else (
            f(x, training=False, inplace=True) if name == "rrelu" else f(x, inplace=True))
        (y * lib.arange(7.0)).sum().backward()
        results.append((y is x, x.detach().numpy().copy(), w.grad.numpy().copy()))
    (t_same, t_x, t_g), (c_same, c_x, c_g) = results
    assert t_same and c_same
    np.testing.assert_allclose(c_x, t_x, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(c_g, t_g, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fmt,shape", [("channels_last", (2, 3, 4, 5)), ("channels_last_3d", (2, 3, 4, 5, 6)),
                                       ("contiguous_format", (2, 3))])
def test_empty_lays_out_its_memory_format(fmt, shape):
    want = torch.empty(*shape, memory_format=getattr(torch, fmt))
    got = cg.empty(*shape, memory_format=getattr(cg, fmt))
    assert got.stride() == want.stride() and tuple(got.shape) == shape
    assert got.is_contiguous(memory_format=getattr(cg, fmt))


def test_empty_rejects_what_torch_rejects():
    for lib in (torch, cg):
        with pytest.raises(RuntimeError, match="Preserve"):
            lib.empty(2, memory_format=lib.preserve_format)
        with pytest.raises(RuntimeError, match="rank 4"):
            lib.empty(2, 3, memory_format=lib.channels_last)


def test_sparse_gradients_are_refused():
    x = cg.ones(2, 2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="sparse_grad"):
        cg.gather(x, 1, cg.tensor([[0], [1]]), sparse_grad=True)
    assert cg.gather(x, 1, cg.tensor([[0], [1]]), sparse_grad=False).shape == (2, 1)


def test_jvp_strict_refuses_an_output_independent_of_the_inputs():
    for lib in (torch, cg):
        x = lib.ones(3)
        with pytest.raises(RuntimeError, match="independent of the inputs"):
            lib.func.jvp(lambda t, lib=lib: lib.ones(3), (x,), (x,), strict=True)
        assert lib.func.jvp(lambda t, lib=lib: lib.ones(3), (x,), (x,))[1].tolist() == [0.0, 0.0, 0.0]
        assert lib.func.jvp(lambda t: t * 2, (x,), (x,), strict=True)[1].tolist() == [2.0, 2.0, 2.0]


def test_gradcheck_forward_mode_and_its_other_options():
    x = cg.tensor([0.3, -1.2, 2.0], dtype=cg.float64, requires_grad=True)
    assert cg.autograd.gradcheck(lambda t: (t * t).sin(), (x,), check_forward_ad=True)
    assert cg.autograd.gradcheck(lambda t: (t * t).sin(), (x,), check_forward_ad=True, check_backward_ad=False)
    assert cg.autograd.gradgradcheck(lambda t: (t * t).sin(), (x,), check_fwd_over_rev=True,
                                     gen_non_contig_grad_outputs=True)

    class WrongGradient(cg.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    for kw in (dict(), dict(check_forward_ad=True, check_backward_ad=False)):
        with pytest.raises(RuntimeError, match="Jacobian mismatch"):
            cg.autograd.gradcheck(WrongGradient.apply, (x,), **kw)
    for lib in (torch, cg):
        y = lib.tensor([0.3], dtype=lib.float64, requires_grad=True)
        with pytest.raises(AssertionError, match="at least one of check_forward_ad or check_backward_ad"):
            lib.autograd.gradcheck(lambda t: t * 2, (y,), check_backward_ad=False)
    with pytest.raises(NotImplementedError, match="vmap"):
        cg.autograd.gradcheck(lambda t: t * 2, (x,), check_batched_grad=True)


@pytest.mark.parametrize("name", ["ReLU", "ReLU6", "ELU", "SELU", "CELU", "SiLU", "Mish", "Hardsigmoid", "Hardswish",
                                  "Hardtanh", "LeakyReLU", "RReLU", "Dropout"])
def test_inplace_modules_write_into_their_input(name):
    out = []
    for lib in (torch, cg):
        lib.manual_seed(0)
        layer = getattr(lib.nn, name)(inplace=True)
        x = lib.linspace(-4, 4, 9)
        y = layer(x)
        out.append((y is x, x.numpy().copy(), repr(layer)))
    assert out[0][0] and out[1][0] and out[0][2] == out[1][2]
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-6, atol=1e-7)


def test_jacobian_strategies_give_the_same_numbers_and_torchs_refusals():
    data = np.array([0.3, -1.2, 2.0])
    results = []
    for lib in (torch, cg):
        F = lib.autograd.functional
        x = lib.tensor(data)
        f = lambda t, lib=lib: (t * t).sin()  # noqa: E731
        rev = F.jacobian(f, x)
        fwd = F.jacobian(f, x, vectorize=True, strategy="forward-mode")
        hes = F.hessian(lambda t: (t * t).sin().sum(), x, vectorize=True, outer_jacobian_strategy="forward-mode")
        results.append((rev.detach().numpy(), fwd.detach().numpy(), hes.detach().numpy()))
        for kw, err in [(dict(strategy="sideways"), AssertionError),
                        (dict(strategy="forward-mode"), NotImplementedError),
                        (dict(strategy="forward-mode", vectorize=True, create_graph=True), NotImplementedError),
                        (dict(strategy="forward-mode", vectorize=True, strict=True), RuntimeError)]:
            with pytest.raises(err):
                F.jacobian(f, x, **kw)
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-13)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logic_ops_take_tensors_only_as_torchs(name):
    for lib in (torch, cg):
        t = lib.tensor([True, False])
        fn, method = getattr(lib, name), getattr(t, name)
        for args, call in (((t, 1), fn), ((1, t), fn), ((1,), method)):
            with pytest.raises(TypeError, match="must be Tensor, not int"):
                call(*args)
    assert getattr(cg, name)(cg.tensor([True, False]), cg.tensor([1, 1])).tolist() == \
        getattr(torch, name)(torch.tensor([True, False]), torch.tensor([1, 1])).tolist()


def test_grad_mode_decorators_without_parentheses():
    for lib in (torch, cg):
        @lib.no_grad
        def off(x):
            return x * 2

        @lib.enable_grad
        def on(x):
            return x * 2

        @lib.inference_mode
        def infer(x):
            return x * 2

        x = lib.ones(2, requires_grad=True)
        assert not off(x).requires_grad and not infer(x).requires_grad
        with lib.no_grad():
            assert on(x).requires_grad
        with lib.inference_mode(False):
            assert (x * 2).requires_grad


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (4, 3)), ((2, 2, 3), (3,)), ((2, 3), ()), ((), (4, 3))])
def test_inner_over_the_last_dims(shapes):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    out = []
    for lib in (torch, cg):
        x = lib.tensor(a, requires_grad=True)
        y = lib.inner(x, lib.tensor(b))
        y.sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-12)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-12)
    assert out[1][2] == out[0][2]
    with pytest.raises(RuntimeError, match="last dimension must match"):
        cg.inner(cg.ones(2, 3), cg.ones(4, 2))
