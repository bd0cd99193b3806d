"""Settings and tensor questions of torch's top-level namespace: each answers as torch 2.13 CPU does, with
torch's exceptions for bad input (chaingrad/_queries.py, _autocast.py, the anomaly and inference-mode flags)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _both(name, *args):
    """(chaingrad's answer, torch's answer) for chaingrad.name(*args), the arguments built in each library."""
    def build(lib):
        return [lib.tensor(a.tolist(), dtype=getattr(lib, str(a.dtype) if a.dtype != np.bool_ else "bool"))
                if isinstance(a, np.ndarray) else a for a in args]
    return getattr(chaingrad, name)(*build(chaingrad)), getattr(torch, name)(*build(torch))


def test_matmul_precision_is_recorded_and_unknown_values_warn_as_torch():
    before = torch.get_float32_matmul_precision()
    assert chaingrad.get_float32_matmul_precision() == before == "highest"
    try:
        for p in ("high", "medium", "highest"):
            chaingrad.set_float32_matmul_precision(p)
            torch.set_float32_matmul_precision(p)
            assert chaingrad.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == p
        with pytest.warns(UserWarning, match="not one of 'highest', 'high', or 'medium'"):
            chaingrad.set_float32_matmul_precision("low")
        assert chaingrad.get_float32_matmul_precision() == "highest"
    finally:
        chaingrad.set_float32_matmul_precision("highest")
        torch.set_float32_matmul_precision(before)


def test_matmul_precision_changes_no_result():
    a = chaingrad.randn(5, 7)
    b = chaingrad.randn(7, 3)
    exact = (a @ b).numpy()
    try:
        chaingrad.set_float32_matmul_precision("medium")
        np.testing.assert_array_equal((a @ b).numpy(), exact)
    finally:
        chaingrad.set_float32_matmul_precision("highest")


def test_interop_threads():
    assert chaingrad.get_num_interop_threads() >= 1
    for bad, message in ((0, "positive integer"), (-2, "positive integer"), (1.5, "expects an int")):
        with pytest.raises(RuntimeError, match=message):
            chaingrad.set_num_interop_threads(bad)
        with pytest.raises(RuntimeError, match=message):
            torch.set_num_interop_threads(bad)
    chaingrad.set_num_interop_threads(3)
    assert chaingrad.get_num_interop_threads() == 3


def test_warn_always_flag():
    assert chaingrad.is_warn_always_enabled() is torch.is_warn_always_enabled() is False
    try:
        chaingrad.set_warn_always(True)
        assert chaingrad.is_warn_always_enabled() is True
    finally:
        chaingrad.set_warn_always(False)
    assert chaingrad.is_warn_always_enabled() is False


def test_inference_mode_flag_as_context_and_decorator():
    assert chaingrad.is_inference_mode_enabled() is torch.is_inference_mode_enabled() is False
    with chaingrad.inference_mode():
        assert chaingrad.is_inference_mode_enabled() and not chaingrad.is_grad_enabled()
        with chaingrad.inference_mode(False):
            assert not chaingrad.is_inference_mode_enabled() and chaingrad.is_grad_enabled()
        assert chaingrad.is_inference_mode_enabled()
    assert not chaingrad.is_inference_mode_enabled() and chaingrad.is_grad_enabled()

    @chaingrad.inference_mode()
    def inside():
        return chaingrad.is_inference_mode_enabled(), chaingrad.is_grad_enabled()

    assert inside() == (True, False)
    assert not chaingrad.is_inference_mode_enabled()


def test_is_inference_is_false_outside_inference_mode():
    t = chaingrad.ones(2)
    assert chaingrad.is_inference(t) is t.is_inference() is torch.ones(2).is_inference() is False
    with pytest.raises(TypeError, match=r"is_inference\(\): argument 'input' \(position 1\) must be Tensor"):
        chaingrad.is_inference([1])


def test_anomaly_flags_match_torch_and_drive_anomaly_mode():
    assert chaingrad.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
    assert chaingrad.is_anomaly_check_nan_enabled() is torch.is_anomaly_check_nan_enabled() is True
    try:
        for mode, check in ((True, False), (True, True), (False, True)):
            chaingrad.set_anomaly_enabled(mode, check)
            torch.set_anomaly_enabled(mode, check)
            assert chaingrad.is_anomaly_enabled() is torch.is_anomaly_enabled() is mode
            assert chaingrad.is_anomaly_check_nan_enabled() is torch.is_anomaly_check_nan_enabled() is check
        chaingrad.set_anomaly_enabled(True)
        x = chaingrad.tensor([0.0, 4.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="returned inf values"):
            chaingrad.sqrt(x).sum().backward()
        chaingrad.set_anomaly_enabled(True, check_nan=False)  # traces only: the inf gradient goes through
        y = chaingrad.sqrt(x)
        assert y.grad_fn._trace
        y.sum().backward()
        assert float(x.grad[0]) == float("inf")
    finally:
        chaingrad.set_anomaly_enabled(False)
        torch.set_anomaly_enabled(False)


@pytest.mark.parametrize("values", [[0.0], [1], [True], [False], [[0.5]], [float("nan")], 0.0, -3])
def test_is_nonzero_of_one_element(values):
    a, b = _both("is_nonzero", np.array(values))
    assert a is b or a == b
    assert chaingrad.tensor(values).is_nonzero() == b


@pytest.mark.parametrize("values", [[], [1, 2], [[0.0, 0.0]]])
def test_is_nonzero_of_other_sizes_raises_as_torch(values):
    with pytest.raises(RuntimeError) as theirs:
        torch.is_nonzero(torch.tensor(values))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with") as ours:
        chaingrad.is_nonzero(chaingrad.tensor(values))
    assert str(ours.value).startswith(str(theirs.value))
    with pytest.raises(TypeError, match=r"is_nonzero\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        chaingrad.is_nonzero([1])


def test_is_same_size():
    for s, t in (((2, 3), (2, 3)), ((2,), (2, 1)), ((), ()), ((0,), (0,)), ((), (1,))):
        a, b = chaingrad.zeros(s), chaingrad.zeros(t)
        assert chaingrad.is_same_size(a, b) == a.is_same_size(b) == torch.is_same_size(torch.zeros(s), torch.zeros(t))
    with pytest.raises(TypeError, match=r"is_same_size\(\): argument 'other' \(position 2\) must be Tensor, not list"):
        chaingrad.is_same_size(chaingrad.ones(1), [1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_questions(dtype):
    ours, theirs = chaingrad.zeros(2, dtype=getattr(chaingrad, dtype)), torch.zeros(2, dtype=getattr(torch, dtype))
    for name in ("is_signed", "is_complex", "is_conj", "is_neg"):
        assert getattr(chaingrad, name)(ours) is getattr(ours, name)() is getattr(torch, name)(theirs), name
    assert chaingrad.typename(ours) == torch.typename(theirs).replace("torch.", "chaingrad.")
    assert chaingrad.get_device(ours) == ours.get_device() == torch.get_device(theirs) == -1


def test_typename_of_other_objects():
    assert chaingrad.typename(3) == torch.typename(3) == "int"
    assert chaingrad.typename(None) == torch.typename(None) == "NoneType"
    assert chaingrad.typename(chaingrad.nn.Linear(1, 1)).endswith("Linear")
    assert chaingrad.typename(chaingrad.nn.Parameter(chaingrad.ones(1))) == "chaingrad.FloatTensor"


@pytest.mark.parametrize("shapes", [((2, 1), (3,)), (), ((0,), (1,)), (2, (3, 1)), ((1, 4), [5, 1, 1], ()),
                                    ((), (2, 3)), ((4,),), ((2, 1, 3), (2, 3))])
def test_broadcast_shapes_matches_torch(shapes):
    ours = chaingrad.broadcast_shapes(*shapes)
    assert isinstance(ours, chaingrad.Size)
    assert tuple(ours) == tuple(torch.broadcast_shapes(*shapes))


@pytest.mark.parametrize("shapes, error", [(((2,), (3,)), RuntimeError), (((2, 3), (4, 1, 2)), RuntimeError),
                                           (((-1,),), ValueError)])
def test_broadcast_shapes_errors_match_torch(shapes, error):
    with pytest.raises(error) as theirs:
        torch.broadcast_shapes(*shapes)
    with pytest.raises(error) as ours:
        chaingrad.broadcast_shapes(*shapes)
    assert str(ours.value) == str(theirs.value)


def test_can_cast_matches_torch_for_every_pair():
    for a in DTYPES:
        for b in DTYPES:
            expected = torch.can_cast(getattr(torch, a), getattr(torch, b))
            assert chaingrad.can_cast(getattr(chaingrad, a), getattr(chaingrad, b)) is expected, (a, b)
    with pytest.raises(TypeError, match=r"can_cast\(\): argument 'from_' \(position 1\) must be torch.dtype"):
        chaingrad.can_cast(1, chaingrad.float32)


def test_autocast_disabled_is_a_no_op_as_context_and_decorator():
    with chaingrad.autocast(device_type="cpu", enabled=False):
        assert (chaingrad.ones(2, 2) @ chaingrad.ones(2, 2)).dtype == chaingrad.float32
    assert not chaingrad.is_autocast_enabled()

    @chaingrad.autocast("cpu", enabled=False)
    def f(x):
        return x @ x

    assert f(chaingrad.ones(2, 2)).dtype == chaingrad.float32


@pytest.mark.parametrize("kwargs", [{}, {"dtype": chaingrad.float16}])
def test_autocast_enabled_raises_instead_of_being_ignored(kwargs):
    with pytest.raises(NotImplementedError, match="does not implement autocast's per-op casting"):
        with chaingrad.autocast(device_type="cpu", **kwargs):
            pass


def test_autocast_with_a_dtype_cpu_autocast_refuses_warns_and_disables_as_torch():
    with pytest.warns(UserWarning, match="target dtype is not supported. Disabling autocast") as theirs:
        torch.autocast(device_type="cpu", dtype=torch.float64)
    with pytest.warns(UserWarning) as ours:
        with chaingrad.autocast(device_type="cpu", dtype=chaingrad.float64):
            y = chaingrad.ones(2, dtype=chaingrad.float64) * 2
    assert str(ours[0].message) == str(theirs[0].message)
    assert y.dtype == chaingrad.float64


def test_autocast_bad_device_type_raises_as_torch():
    with pytest.raises(RuntimeError) as theirs:
        torch.autocast("cpux")
    with pytest.raises(RuntimeError) as ours:
        chaingrad.autocast("cpux")
    assert str(ours.value) == str(theirs.value)


def test_bfloat16_is_missing_with_a_clear_message():
    with pytest.raises(AttributeError, match="NumPy has no bfloat16"):
        chaingrad.bfloat16  # noqa: B018
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert chaingrad.float16 is chaingrad.half
