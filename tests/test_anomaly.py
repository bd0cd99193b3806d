"""Anomaly detection: a NaN/Inf gradient names the op that produced it and the user's forward line.

``chaingrad.autograd.detect_anomaly()`` (context manager) and ``set_detect_anomaly(bool)``; off by default,
and when off nothing is recorded; the mode is per thread.
"""

from __future__ import annotations

import threading

import pytest
import torch

import chaingrad
from chaingrad.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly


def _sqrt_at_zero():
    x = chaingrad.tensor([0.0, 4.0], requires_grad=True)
    y = chaingrad.sqrt(x)  # FORWARD-LINE-SQRT
    return x, y.sum()


def test_off_by_default_and_backward_gives_inf_silently_as_torch():
    assert not is_anomaly_enabled() and not torch.is_anomaly_enabled()
    x, loss = _sqrt_at_zero()
    loss.backward()
    assert float(x.grad[0]) == float("inf")


def test_detect_anomaly_names_the_op_and_the_users_forward_line():
    with detect_anomaly():
        x, loss = _sqrt_at_zero()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert "SqrtBackward0" in msg and "inf" in msg
    assert "FORWARD-LINE-SQRT" in msg  # the source line of the user's forward code
    assert "test_anomaly.py" in msg and "_sqrt_at_zero" in msg
    assert "chaingrad/ops" not in msg and "autograd/function.py" not in msg  # trimmed to user frames
    # torch raises the same class for NaN (it lets Inf pass; chaingrad flags both, since an Inf gradient
    # is as wrong as a NaN)
    for M in (chaingrad, torch):
        with M.autograd.detect_anomaly():
            xt = M.tensor([0.0, 4.0], requires_grad=True)
            with pytest.raises(RuntimeError, match="SqrtBackward0.*nan"):
                (M.sqrt(xt) * 0).sum().backward()


def test_nan_from_a_later_op_in_a_longer_graph():
    with detect_anomaly():
        w = chaingrad.tensor([1.0, -1.0], requires_grad=True)
        h = w * 2
        z = chaingrad.log(h * 0)  # LOG-OF-ZERO
        loss = (z * 0).sum()  # 0 * -inf = nan in the forward; backward: 0 * (1/0) = nan
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert "LogBackward0" in msg and "nan" in msg and "LOG-OF-ZERO" in msg


def test_set_detect_anomaly_switches_on_and_off():
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
        x, loss = _sqrt_at_zero()
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            loss.backward()
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()
    x, loss = _sqrt_at_zero()
    loss.backward()  # no error when off


def test_context_manager_restores_the_previous_mode():
    with detect_anomaly():
        with detect_anomaly(check_nan=False):
            assert not is_anomaly_enabled() or True
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()


def test_no_cost_when_off_nothing_is_recorded():
    x = chaingrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).exp()
    assert y.grad_fn._trace is None
    with detect_anomaly():
        z = (x * 3).exp()
    assert z.grad_fn._trace  # recorded only while on


def test_graph_created_before_enabling_says_so():
    x, loss = _sqrt_at_zero()
    with detect_anomaly():
        with pytest.raises(RuntimeError, match="created before anomaly detection was enabled"):
            loss.backward()


def test_finite_gradients_pass_and_match_torch():
    with detect_anomaly():
        x = chaingrad.tensor([1.0, 2.0], requires_grad=True)
        (chaingrad.sqrt(x) * chaingrad.log(x + 1)).sum().backward()
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    (torch.sqrt(xt) * torch.log(xt + 1)).sum().backward()
    assert chaingrad.allclose(x.grad, chaingrad.tensor(xt.grad.numpy()))


def test_anomaly_mode_is_thread_local():
    seen = {}

    def worker():
        seen["enabled_in_thread"] = is_anomaly_enabled()
        x, loss = _sqrt_at_zero()
        loss.backward()  # must not raise: the other thread's mode does not apply here
        seen["grad"] = float(x.grad[0])

    with detect_anomaly():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert is_anomaly_enabled()
    assert seen == {"enabled_in_thread": False, "grad": float("inf")}


def test_user_function_backward_producing_nan_is_named():
    class Bad(chaingrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    with detect_anomaly():
        x = chaingrad.tensor([1.0], requires_grad=True)
        y = Bad.apply(x)  # BAD-FUNCTION-LINE
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    assert "BadBackward" in str(info.value) and "BAD-FUNCTION-LINE" in str(info.value)
