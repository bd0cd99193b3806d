"""Lazy layers (LazyLinear, LazyConv1d/2d, LazyBatchNorm1d/2d) against torch: the uninitialized parameters and
their errors, the shapes read from the first batch, the same seeded initialization as torch's (so values and
gradients equal torch's bitwise for one seed), the module becoming the ordinary layer in place (an optimizer
made before the first batch trains the same objects), dtype conversion before the first batch, state dicts
of lazy modules both ways, deepcopy, and torch's errors for bad first inputs."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import chaingrad

warnings.filterwarnings("ignore", message="Lazy modules are a new feature")


def _both(make):
    """The same lazy module built in torch and chaingrad after the same seed."""
    torch.manual_seed(3)
    chaingrad.manual_seed(3)
    return make(torch.nn), make(chaingrad.nn)


CASES = [
    (lambda nn: nn.LazyLinear(4), (5, 3)),
    (lambda nn: nn.LazyLinear(4, bias=False), (2, 6, 3)),
    (lambda nn: nn.LazyConv2d(4, 3, padding=1), (2, 3, 5, 5)),
    (lambda nn: nn.LazyConv2d(4, (2, 3), stride=2, groups=2), (2, 6, 6, 7)),
    (lambda nn: nn.LazyConv2d(3, 3), (2, 5, 5)),  # unbatched
    (lambda nn: nn.LazyConv1d(2, 3, bias=False), (3, 4, 9)),
    (lambda nn: nn.LazyBatchNorm1d(), (6, 3)),
    (lambda nn: nn.LazyBatchNorm1d(affine=False), (6, 3, 4)),
    (lambda nn: nn.LazyBatchNorm2d(momentum=0.3), (4, 3, 2, 2)),
]


@pytest.mark.parametrize("make, shape", CASES)
def test_first_forward_shapes_initializes_and_differentiates_as_torch(make, shape):
    theirs, ours = _both(make)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xt, xc = torch.tensor(x, requires_grad=True), chaingrad.tensor(x, requires_grad=True)
    yt, yc = theirs(xt), ours(xc)
    assert type(ours).__name__ == type(theirs).__name__ and repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    for (n, bc), (_, bt) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(bc.numpy(), bt.numpy(), rtol=1e-6, atol=1e-7, err_msg=n)
    np.testing.assert_allclose(yc.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    (yt * torch.tensor(g)).sum().backward()
    (yc * chaingrad.tensor(g)).sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    for (n, pc), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_array_equal(pc.detach().numpy(), pt.detach().numpy(), err_msg=n)  # same seeded init
        np.testing.assert_allclose(pc.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


def test_uninitialized_parameter_prints_and_refuses_use_as_torch():
    m = chaingrad.nn.LazyLinear(3)
    w = m.weight
    assert repr(w) == str(w) == "<UninitializedParameter>"
    assert isinstance(w, chaingrad.nn.Parameter) and isinstance(w, chaingrad.nn.UninitializedParameter)
    assert w.requires_grad and w.dtype == chaingrad.float32
    assert m.in_features == 0 and m.has_uninitialized_params()
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        _ = w.shape
    for use in (lambda: w.numel(), lambda: w + 1, lambda: w.sum(), lambda: chaingrad.nn.init.zeros_(w),
                lambda: sum(p.numel() for p in m.parameters())):
        with pytest.raises(ValueError, match="uninitialized parameter"):
            use()
    b = chaingrad.nn.LazyBatchNorm2d()
    assert repr(b.running_mean) == "<UninitializedBuffer>" and b.num_batches_tracked.item() == 0
    assert repr(b) == repr(torch.nn.LazyBatchNorm2d())


def test_materialization_is_in_place_so_an_optimizer_made_before_trains_it():
    torch.manual_seed(0)
    chaingrad.manual_seed(0)
    results = []
    for lib in (torch, chaingrad):
        net = lib.nn.Sequential(lib.nn.Flatten(), lib.nn.LazyLinear(3))
        opt = lib.optim.SGD(net.parameters(), lr=0.5)
        x = lib.tensor(np.linspace(-1, 1, 24, dtype=np.float32).reshape(4, 2, 3))
        y = lib.tensor([0, 2, 1, 0])
        for _ in range(3):
            loss = lib.nn.functional.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert opt.param_groups[0]["params"][0] is net[1].weight
        assert type(net[1]) is lib.nn.Linear and type(net[1].weight) is lib.nn.Parameter
        assert net[1].in_features == 6 and not hasattr(net[1], "_initialize_hook")
        results.append((loss.item(), net[1].weight.detach().numpy().copy()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5, atol=1e-6)


def test_no_grad_first_batch_and_dtype_conversion_before_it():
    m = chaingrad.nn.LazyLinear(2).double()
    assert m.weight.dtype == chaingrad.float64
    with chaingrad.no_grad():
        out = m(chaingrad.ones(1, 3, dtype=chaingrad.float64))
    assert out.dtype == chaingrad.float64 and not out.requires_grad
    assert m.weight.requires_grad and m.weight.dtype == chaingrad.float64 and m.weight.grad_fn is None
    b = chaingrad.nn.LazyBatchNorm1d().double()
    assert b.running_var.dtype == chaingrad.float64
    b(chaingrad.ones(2, 3, dtype=chaingrad.float64))
    assert b.running_var.dtype == chaingrad.float64 and type(b.running_var) is chaingrad.Tensor


def test_state_dicts_of_lazy_modules_and_loading_gives_the_shapes():
    lazy = chaingrad.nn.Sequential(chaingrad.nn.LazyLinear(3), chaingrad.nn.LazyBatchNorm1d())
    sd = lazy.state_dict()
    assert [(k, repr(v)) for k, v in sd.items()] == [
        ("0.weight", "<UninitializedParameter>"), ("0.bias", "<UninitializedParameter>"),
        ("1.weight", "<UninitializedParameter>"), ("1.bias", "<UninitializedParameter>"),
        ("1.running_mean", "<UninitializedBuffer>"), ("1.running_var", "<UninitializedBuffer>"),
        ("1.num_batches_tracked", "tensor(0)")]
    other = chaingrad.nn.Sequential(chaingrad.nn.LazyLinear(3), chaingrad.nn.LazyBatchNorm1d())
    other.load_state_dict(sd)  # lazy into lazy: both stay without a shape
    assert other[0].has_uninitialized_params()

    torch.manual_seed(1)
    full = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.BatchNorm1d(3))
    full(torch.randn(4, 5))
    lazy.load_state_dict({k: chaingrad.tensor(v.numpy()) for k, v in full.state_dict().items()})
    assert lazy[0].weight.shape == (3, 5) and type(lazy[0].weight) is chaingrad.nn.Parameter
    np.testing.assert_array_equal(lazy[1].running_mean.numpy(), full[1].running_mean.numpy())
    x = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    full.eval()
    lazy.eval()
    np.testing.assert_allclose(lazy(chaingrad.tensor(x)).detach().numpy(),
                               full(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(lazy[0].weight.detach().numpy(), full[0].weight.detach().numpy())


def test_deepcopy_of_a_lazy_module_is_lazy_and_independent():
    m = chaingrad.nn.LazyConv2d(2, 3)
    c = copy.deepcopy(m)
    assert repr(c.weight) == "<UninitializedParameter>" and c.weight is not m.weight
    c(chaingrad.ones(1, 4, 5, 5))
    assert type(c).__name__ == "Conv2d" and c.weight.shape == (2, 4, 3, 3)
    assert type(m).__name__ == "LazyConv2d" and m.has_uninitialized_params()


def test_bad_first_inputs_raise_torchs_errors():
    for lib in (torch, chaingrad):
        with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d"):
            lib.nn.LazyConv2d(2, 3)(lib.ones(2, 3))
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            lib.nn.LazyConv2d(4, 1, groups=2)(lib.ones(1, 3, 2, 2))
        with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
            lib.nn.LazyBatchNorm2d()(lib.ones(2, 3))
        m = lib.nn.LazyLinear(2)
        m(lib.ones(1, 3))
        with pytest.raises(RuntimeError):  # a later batch of another width is the plain Linear's error
            m(lib.ones(1, 4))
