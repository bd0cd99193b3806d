"""User-defined operations with ``chaingrad.autograd.Function``, written exactly as for torch.autograd.Function:
save_for_backward/saved_tensors, needs_input_grad, non-tensor arguments, several outputs,
mark_non_differentiable, and second derivatives through a backward written with tensor ops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg


def make_functions(lib):
    """The same Function subclasses for either library."""

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    class ScaledMul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, scale):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            ctx.seen = ctx.needs_input_grad
            return a * b * scale

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            ga = grad * b * ctx.scale if ctx.needs_input_grad[0] else None
            gb = grad * a * ctx.scale if ctx.needs_input_grad[1] else None
            return ga, gb, None

    class SplitSigns(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0), x.clamp(max=0)

        @staticmethod
        def backward(ctx, g_pos, g_neg):
            (x,) = ctx.saved_tensors
            return g_pos * (x > 0).to(x.dtype) + g_neg * (x <= 0).to(x.dtype)

    class SaveOutput(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    return dict(Cube=Cube, ScaledMul=ScaledMul, SplitSigns=SplitSigns, SaveOutput=SaveOutput)


CG, TH = make_functions(cg), make_functions(torch)


def run(lib, fns, program):
    x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([1.5, 2.0, -0.5], dtype=lib.float64, requires_grad=True)
    out = program(lib, fns, x, w)
    out.backward()
    return out.detach().numpy(), x.grad.numpy(), None if w.grad is None else w.grad.numpy()


PROGRAMS = {
    "cube": lambda m, f, x, w: f["Cube"].apply(x).sum(),
    "cube_chain": lambda m, f, x, w: (f["Cube"].apply(x * w) * w).sum(),
    "scaled_mul": lambda m, f, x, w: f["ScaledMul"].apply(x, w, 2.5).sum(),
    "scaled_mul_const": lambda m, f, x, w: f["ScaledMul"].apply(x, w.detach(), 0.5).pow(2).sum(),
    "two_outputs": lambda m, f, x, w: (f["SplitSigns"].apply(x)[0] * 2 + f["SplitSigns"].apply(x)[1] * 3).sum(),
    "one_of_two_outputs": lambda m, f, x, w: (f["SplitSigns"].apply(x * w)[1] ** 2).sum(),
    "save_output": lambda m, f, x, w: f["SaveOutput"].apply(x).sum(),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_custom_function_matches_torch(name):
    for got, expected in zip(run(cg, CG, PROGRAMS[name]), run(torch, TH, PROGRAMS[name])):
        if expected is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_needs_input_grad_and_non_tensor_arguments():
    a = cg.ones(2, requires_grad=True)
    b = cg.ones(2)
    y = CG["ScaledMul"].apply(a, b, 3.0)
    assert y.grad_fn.seen == (True, False, False)
    assert "ScaledMul" in y.grad_fn.name()
    y.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


def test_no_graph_when_no_input_requires_grad_or_under_no_grad():
    y = CG["Cube"].apply(cg.ones(2))
    assert not y.requires_grad and y.grad_fn is None
    with cg.no_grad():
        assert not CG["Cube"].apply(cg.ones(2, requires_grad=True)).requires_grad


def test_forward_runs_without_recording():
    seen = []

    class Probe(cg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            seen.append((cg.is_grad_enabled(), y.requires_grad))
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    out = Probe.apply(cg.ones(2, requires_grad=True))
    assert seen == [(False, False)] and out.requires_grad


def test_mark_non_differentiable_output():
    x = cg.tensor([3.0, 1.0, 2.0], requires_grad=True)

    class ValuesAndMask(cg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            mask = x > 1.5
            doubled = x * 2
            ctx.mark_non_differentiable(mask)
            return doubled, mask

        @staticmethod
        def backward(ctx, g, g_mask):
            return g * 2

    values, mask = ValuesAndMask.apply(x)
    assert values.requires_grad and not mask.requires_grad

    class FloatIndex(cg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            s = x * 1.0
            ctx.mark_non_differentiable(s)
            return x * 3, s

        @staticmethod
        def backward(ctx, g, g_s):
            return g * 3

    y, s = FloatIndex.apply(x)
    assert y.requires_grad and not s.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0]


def test_saved_tensors_are_released_after_backward():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = CG["Cube"].apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    z = CG["Cube"].apply(x).sum()
    z.backward(retain_graph=True)
    z.backward()
    assert x.grad.tolist() == [9.0, 36.0]


def test_in_place_change_of_a_saved_input_is_detected():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = CG["Cube"].apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()


def test_wrong_number_of_gradients_raises():
    class Bad(cg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return (g,)

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(cg.ones(2, requires_grad=True), cg.ones(2, requires_grad=True)).sum().backward()


def test_second_derivative_through_a_custom_function_matches_torch():
    results = []
    for lib, fns in ((cg, CG), (torch, TH)):
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        y = (fns["Cube"].apply(x) * x.sin()).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        results.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_gradcheck_style_finite_differences_of_a_custom_function():
    x = np.array([0.3, -0.7, 1.1])
    t = cg.tensor(x, requires_grad=True)
    (CG["ScaledMul"].apply(t, t, 1.5) + CG["Cube"].apply(t)).sum().backward()
    eps = 1e-6

    def f(v):
        return float(np.sum(v * v * 1.5 + v ** 3))
    num = [(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(t.grad.numpy(), num, rtol=1e-6)


def test_functions_in_the_setup_context_style():
    def make(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(x, factor):
                return x * factor, (x > 0)

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, factor = inputs
                ctx.factor = factor
                ctx.mark_non_differentiable(output[1])
                ctx.save_for_backward(x)

            @staticmethod
            def backward(ctx, g, _g_mask):
                (x,) = ctx.saved_tensors
                return g * ctx.factor + 0 * x, None

        return Scale

    out = []
    for lib in (torch, cg):
        x = lib.tensor([-1.0, 2.0, 3.0], requires_grad=True)
        y, mask = make(lib).apply(x, 2.5)
        y.sum().backward()
        out.append((y.detach().tolist(), mask.tolist(), mask.requires_grad, x.grad.tolist(),
                    type(y.grad_fn).__name__))
    assert out[0] == out[1]
