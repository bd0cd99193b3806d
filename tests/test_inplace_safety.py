"""In-place safety: version counters as torch's.

A tensor that a recorded op saved for backward and that is then modified in place makes that backward
raise, naming the op and the versions; in-place on a leaf that requires grad raises outside no_grad; views
share their base's version counter; ``.data`` is outside the version tracking. Each case is also run on
torch, which must behave the same way (raise, or agree on the gradient).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import chaingrad


def _raises_like_torch(fn):
    """Run ``fn(M)`` on both libraries; both raise RuntimeError, or both return equal gradients."""
    results = []
    for M in (chaingrad, torch):
        try:
            results.append(np.asarray(fn(M).detach().numpy(), dtype=float))
        except RuntimeError as e:
            results.append(e)
    got, want = results
    if isinstance(want, RuntimeError):
        assert isinstance(got, RuntimeError), f"torch raised ({want}) but chaingrad returned {got}"
        return got
    assert not isinstance(got, RuntimeError), f"chaingrad raised {got} but torch returned {want}"
    np.testing.assert_allclose(got, want, rtol=1e-6)
    return None


# ops that save an input for backward: modifying that input afterwards must be detected
SAVES_INPUT = {
    "mul": lambda M, x, w: x * w,
    "div": lambda M, x, w: w / x,
    "pow": lambda M, x, w: x ** w,
    "log": lambda M, x, w: M.log(x) * w,
    "sin": lambda M, x, w: M.sin(x) * w,
    "cos": lambda M, x, w: M.cos(x) * w,
    "abs": lambda M, x, w: M.abs(x) * w,
    "clamp": lambda M, x, w: M.clamp(x, 0.5, 2.5) * w,
    "maximum": lambda M, x, w: M.maximum(x, w),
    "matmul": lambda M, x, w: x.reshape(1, 3) @ w.reshape(3, 1),
    "prod": lambda M, x, w: M.prod(x) * w,
    "amax": lambda M, x, w: x.amax() * w,
    "norm": lambda M, x, w: x.norm() * w,
    "logsumexp": lambda M, x, w: M.logsumexp(x, 0) * w,
}

# ops that save their output: modifying the output in place must be detected
SAVES_OUTPUT = {
    "exp": lambda M, x: M.exp(x),
    "tanh": lambda M, x: M.tanh(x),
    "sigmoid": lambda M, x: M.sigmoid(x),
    "sqrt": lambda M, x: M.sqrt(x),
    "relu": lambda M, x: M.relu(x),
    "softmax": lambda M, x: M.softmax(x, 0),
    "log_softmax": lambda M, x: M.log_softmax(x, 0),
}


@pytest.mark.parametrize("name", sorted(SAVES_INPUT))
def test_modifying_a_saved_input_makes_backward_raise(name):
    def run(M):
        w = M.tensor([0.5, 1.5, 2.0], requires_grad=True)
        x = M.tensor([1.0, 2.0, 3.0], requires_grad=True).clone()
        y = SAVES_INPUT[name](M, x, w)
        x.add_(1)
        y.sum().backward()
        return w.grad

    err = _raises_like_torch(run)
    assert err is not None
    msg = str(err)
    assert "modified by an inplace operation" in msg
    assert "version 1" in msg and "expected version 0" in msg
    assert re.search(r"saved by \w+Backward\d", msg)  # names the op that saved the tensor


@pytest.mark.parametrize("name", sorted(SAVES_OUTPUT))
def test_modifying_a_saved_output_makes_backward_raise(name):
    def run(M):
        x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = SAVES_OUTPUT[name](M, x)
        y.mul_(2)
        y.sum().backward()
        return x.grad

    err = _raises_like_torch(run)
    assert err is not None
    assert type(err).__name__ == "RuntimeError"
    assert "version 1" in str(err) and "expected version 0" in str(err)


def test_message_names_the_op_and_versions():
    x = chaingrad.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = a * a
    a.add_(1)
    a.add_(1)
    with pytest.raises(RuntimeError, match=r"MulBackward0") as info:
        y.sum().backward()
    assert "is at version 2; expected version 0" in str(info.value)
    assert "[chaingrad.float32 [2]]" in str(info.value)


def test_in_place_ops_that_do_not_need_old_values_are_allowed():
    def run(M):
        x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = x * 2
        y = a + 1  # add saves nothing
        a.mul_(3)
        (y * y).sum().backward()
        return x.grad

    assert _raises_like_torch(run) is None


def test_in_place_on_a_leaf_that_requires_grad_raises():
    for M in (chaingrad, torch):
        w = M.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            w.add_(1)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            w[0] = 5.0
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            w *= 2


def test_in_place_on_a_leaf_is_fine_under_no_grad_and_bumps_the_version():
    w = chaingrad.tensor([1.0, 2.0], requires_grad=True)
    v0 = w._version[0]
    with chaingrad.no_grad():
        w.sub_(0.5)
    assert w._version[0] == v0 + 1
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.detach().numpy(), [0.5, 1.5])


def test_update_under_no_grad_after_forward_is_detected_at_backward():
    # the classic mistake: step the optimizer before backward
    def run(M):
        w = M.tensor([1.0, 2.0], requires_grad=True)
        loss = (w * w).sum()
        with M.no_grad():
            w -= 0.1
        loss.backward()
        return w.grad

    assert _raises_like_torch(run) is not None


def test_views_share_the_version_counter_with_their_base():
    x = chaingrad.zeros(3, 4)
    views = [x[0], x[:, 1:], x.t(), x.reshape(12), x.view(4, 3), x.unsqueeze(0), x.permute(1, 0), x.detach()]
    x.add_(1)
    for v in views:
        assert v._version is x._version and v._version[0] == 1
    views[0].mul_(2)
    assert x._version[0] == 2
    # torch agrees that these are views (same memory)
    assert views[0].numpy()[0] == 2 and x.numpy()[0, 0] == 2


def test_reshape_that_copies_is_not_a_view():
    x = chaingrad.zeros(3, 4)
    y = x.t().reshape(12)  # needs a copy, as in torch
    y.add_(1)
    assert x._version[0] == 0 and float(x.sum()) == 0.0


def test_modifying_a_view_of_a_saved_tensor_is_detected():
    def run(M):
        w = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = M.ones(3)
        y = (w * x).sum()
        x[1:].mul_(2)
        y.backward()
        return w.grad

    assert _raises_like_torch(run) is not None


def test_modifying_data_is_not_tracked():
    def run(M):
        w = M.tensor([1.0, 2.0], requires_grad=True)
        y = (w * w).sum()
        w.data.mul_(10)  # .data is outside autograd: no version bump, no error (the gradient uses new values)
        y.backward()
        return w.grad

    assert _raises_like_torch(run) is None
    w = chaingrad.tensor([1.0, 2.0], requires_grad=True)
    w.data.add_(1)
    assert w._version[0] == 0


def test_detach_shares_the_version_counter():
    def run(M):
        w = M.tensor([1.0, 2.0], requires_grad=True)
        a = w * 1
        y = (a * a).sum()
        a.detach().zero_()
        y.backward()
        return w.grad

    assert _raises_like_torch(run) is not None


def test_retain_graph_second_backward_after_modification_raises():
    def run(M):
        w = M.tensor([1.0, 2.0], requires_grad=True)
        a = w * 1
        y = (a.exp()).sum()
        y.backward(retain_graph=True)
        a.add_(1)
        y.backward()
        return w.grad

    assert _raises_like_torch(run) is None  # exp saves its output, not a: torch and chaingrad both allow it


@pytest.mark.parametrize("case", ["setitem", "view_mul", "t_sub", "masked_fill_"])
def test_in_place_through_views_of_graph_tensors_matches_torch(case):
    def run(M):
        w = M.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        b = w * 1
        if case == "setitem":
            b[0, 1:] = w[1, :2] ** 2
        elif case == "view_mul":
            b[1].mul_(w[0])
        elif case == "t_sub":
            b.t()[0].sub_(w[1, 0])
        else:
            b[:, 0].masked_fill_(M.tensor([True, False]), 7.0)
        (b * b).sum().backward()
        return w.grad

    assert _raises_like_torch(run) is None


def test_in_place_version_bumps_match_torch():
    for M in (chaingrad, torch):
        x = M.zeros(3)
        x.add_(1)
        x[0] = 2
        x.mul_(2)
        x.zero_()
        version = x._version if M is torch else x._version[0]
        assert version == 4
