"""gradcheck/gradgradcheck (torch's semantics) pass on the ops in float64 and catch wrong backward rules;
check_hand_gradients compares a learner's gradients with autodiff and finite differences; the demo uses it."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

import chaingrad as torch
import chaingrad.nn.functional as F
from chaingrad.autograd import Function, GradcheckError, check_hand_gradients, gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def t(*shape, low=None):
    a = rng.standard_normal(shape)
    if low is not None:
        a = np.abs(a) + low
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


OPS = {  # name: (function, inputs, twice differentiable)
    "add": (lambda a, b: a + b, (t(2, 3), t(3)), True),
    "sub": (lambda a, b: a - b, (t(2, 3), t(2, 1)), True),
    "mul": (lambda a, b: a * b, (t(2, 3), t(3)), True),
    "div": (lambda a, b: a / b, (t(2, 3), t(3, low=0.5)), True),
    "pow": (lambda a, b: a ** b, (t(3, low=0.5), t(3)), True),
    "pow_scalar": (lambda a: a ** 3, (t(2, 2),), True),
    "neg": (lambda a: -a, (t(3),), True),
    "exp": (torch.exp, (t(2, 3),), True),
    "log": (torch.log, (t(4, low=0.3),), True),
    "log1p": (torch.log1p, (t(4, low=0.3),), True),
    "expm1": (torch.expm1, (t(4),), True),
    "sqrt": (torch.sqrt, (t(4, low=0.3),), True),
    "rsqrt": (torch.rsqrt, (t(4, low=0.3),), True),
    "sin": (torch.sin, (t(4),), True),
    "cos": (torch.cos, (t(4),), True),
    "tanh": (torch.tanh, (t(4),), True),
    "sigmoid": (torch.sigmoid, (t(4),), True),
    "relu": (torch.relu, (t(4, low=0.2),), True),
    "abs": (torch.abs, (t(4, low=0.2),), True),
    "clamp": (lambda a: torch.clamp(a, -0.5, 0.5), (torch.tensor([-1.0, -0.2, 0.3, 0.9], dtype=torch.float64,
                                                                 requires_grad=True),), True),
    "maximum": (torch.maximum, (t(4), t(4)), True),
    "minimum": (torch.minimum, (t(4), t(4)), True),
    "where": (lambda a, b: torch.where(a > 0, a, b), (t(5), t(5)), True),
    "matmul": (torch.matmul, (t(2, 3), t(3, 2)), True),
    "matmul_batched": (torch.matmul, (t(2, 2, 3), t(3, 2)), True),
    "einsum": (lambda a, b: torch.einsum("ij,jk->ik", a, b), (t(2, 3), t(3, 2)), True),
    "sum_dim": (lambda a: a.sum(dim=1), (t(2, 3),), True),
    "mean": (lambda a: a.mean(dim=0, keepdim=True), (t(2, 3),), True),
    "prod": (lambda a: a.prod(dim=1), (t(2, 3),), True),
    "amax": (lambda a: a.amax(dim=1), (t(2, 3),), True),
    "max_dim": (lambda a: a.max(dim=1).values, (t(2, 3),), True),
    "norm": (lambda a: a.norm(), (t(4),), True),
    "logsumexp": (lambda a: torch.logsumexp(a, dim=1), (t(2, 3),), True),
    "cumsum": (lambda a: torch.cumsum(a, dim=1), (t(2, 3),), True),
    "var": (lambda a: a.var(dim=1), (t(2, 4),), True),
    "softmax": (lambda a: torch.softmax(a, dim=1), (t(2, 3),), True),
    "log_softmax": (lambda a: torch.log_softmax(a, dim=1), (t(2, 3),), True),
    "cross_entropy": (lambda a: F.cross_entropy(a, torch.tensor([0, 2])), (t(2, 3),), True),
    "mse_loss": (F.mse_loss, (t(2, 3), t(2, 3)), True),
    "reshape": (lambda a: a.reshape(3, 2), (t(2, 3),), True),
    "permute": (lambda a: a.permute(2, 0, 1), (t(2, 3, 2),), True),
    "transpose": (lambda a: a.T, (t(2, 3),), True),
    "expand": (lambda a: a.expand(3, 4), (t(1, 4),), True),
    "repeat": (lambda a: a.repeat(2, 1), (t(2, 3),), True),
    "flip": (lambda a: a.flip(0), (t(3, 2),), True),
    "cat": (lambda a, b: torch.cat([a, b], dim=0), (t(2, 3), t(1, 3)), True),
    "stack": (lambda a, b: torch.stack([a, b], dim=1), (t(2, 3), t(2, 3)), True),
    "index": (lambda a: a[1:, ::2], (t(3, 4),), True),
    "advanced_index": (lambda a: a[torch.tensor([0, 2, 2])], (t(3, 2),), True),
    "gather": (lambda a: torch.gather(a, 1, torch.tensor([[0, 0], [1, 2]])), (t(2, 3),), True),
    "masked_fill": (lambda a: a.masked_fill(torch.tensor([True, False, True]), 0.0), (t(3),), True),
    "squeeze_unsqueeze": (lambda a: a.unsqueeze(0).squeeze(1), (t(1, 3),), True),
    "clone_cast": (lambda a: a.clone().to(torch.float64), (t(3),), True),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradcheck_and_gradgradcheck_pass_on_ops(name):
    fn, inputs, twice = OPS[name]
    assert gradcheck(fn, inputs)
    if twice:
        assert gradgradcheck(fn, inputs)


class WrongCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x ** 2  # should be 3 x^2


class FirstOrderOnlyCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x.detach() ** 2  # right value, but its own derivative is lost


def test_gradcheck_catches_a_wrong_custom_backward():
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as err:
        gradcheck(WrongCube.apply, (x,))
    msg = str(err.value)
    assert "with respect to input 0" in msg and "input element (0,)" in msg
    assert "analytical 0.5" in msg and "numerical 0.75" in msg
    assert gradcheck(WrongCube.apply, (x,), raise_exception=False) is False
    assert isinstance(err.value, RuntimeError)


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert gradcheck(FirstOrderOnlyCube.apply, (x,))
    assert gradgradcheck(FirstOrderOnlyCube.apply, (x,), raise_exception=False) is False


def test_gradcheck_warns_on_float32_and_needs_an_input_requiring_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="double precision"):
        gradcheck(lambda a: a * 2, (x,), raise_exception=False)
    with pytest.raises(ValueError):
        gradcheck(lambda a: a * 2, (torch.tensor([1.0, 2.0], dtype=torch.float64),))


def seed_tensors(dtype=torch.float32):
    x = torch.tensor([[1.0], [2.0], [3.0]], dtype=dtype)
    y_true = torch.tensor([[2.0], [4.0], [6.0]], dtype=dtype)
    w = torch.tensor([[0.5]], dtype=dtype)
    b = torch.tensor([0.0], dtype=dtype)
    return x, y_true, w, b


def test_hand_gradients_of_the_seed_agree():
    x, y_true, w, b = seed_tensors()
    y_pred = torch.matmul(x, w) + b
    dL_dy_pred = y_pred - y_true
    dL_dw = torch.matmul(x.T, dL_dy_pred)
    dL_db = torch.sum(dL_dy_pred)
    report = check_hand_gradients(lambda: 0.5 * torch.sum((torch.matmul(x, w) + b - y_true) ** 2),
                                  {w: dL_dw, b: dL_db})
    assert report.ok
    assert [r.name for r in report.rows] == ["w", "b"]
    np.testing.assert_allclose(report["w"].autodiff, [[-21.0]])
    np.testing.assert_allclose(report["b"].numerical, [-9.0], rtol=1e-3)
    assert not w.requires_grad and w.grad is None and b.grad is None  # nothing changed
    assert "All hand-derived gradients agree." in str(report)


def test_a_wrong_hand_gradient_is_reported_with_element_and_size():
    x, y_true, w, b = seed_tensors(torch.float64)
    wrong_dw = np.array([[-20.0]])
    report = check_hand_gradients(lambda: 0.5 * torch.sum((torch.matmul(x, w) + b - y_true) ** 2),
                                  {w: wrong_dw, b: -9.0})
    assert not report.ok and report["b"].ok and not report["w"].ok
    row = report["w"]
    assert row.worst_index == (0, 0) and row.worst_error == pytest.approx(1.0)
    assert "MISMATCH at w[0, 0]: yours -20, autodiff -21" in row.message
    with pytest.raises(GradcheckError, match="MISMATCH"):
        check_hand_gradients(lambda: 0.5 * torch.sum((torch.matmul(x, w) + b - y_true) ** 2), {w: wrong_dw},
                             raise_exception=True)


def test_hand_gradients_against_an_output_tensor_and_wrong_shapes():
    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    loss = (w ** 2).sum()
    report = check_hand_gradients(loss, {w: 2 * w.detach()})
    assert report.ok and report["w"].numerical is None and w.grad is None
    bad = check_hand_gradients(loss, {w: np.zeros(2)})
    assert not bad.ok and "wrong shape" in bad["w"].message


SEED_EXPECTED = [
    'Epoch [10/100], Loss: 0.6542',
    'Epoch [20/100], Loss: 0.0729',
    'Epoch [30/100], Loss: 0.0537',
    'Epoch [40/100], Loss: 0.0496',
    'Epoch [50/100], Loss: 0.0462',
    'Epoch [60/100], Loss: 0.0429',
    'Epoch [70/100], Loss: 0.0400',
    'Epoch [80/100], Loss: 0.0372',
    'Epoch [90/100], Loss: 0.0346',
    'Epoch [100/100], Loss: 0.0322',
    'Final weight: 1.8305, Final bias: 0.3852',
]


def test_demo_uses_the_checker_and_keeps_the_seed_lines(tmp_path):
    from chaingrad import demo

    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert demo.main(str(tmp_path)) == 0
    text = out.getvalue()
    lines = text.splitlines()
    for line in SEED_EXPECTED:  # the seed's printed lines, exactly
        assert line in lines
    assert "dL/dw         -21.0000    -21.0000      -21.0000" in text
    assert not hasattr(demo, "finite_difference")
