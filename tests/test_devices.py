"""Devices as tutorials write them: ``chaingrad.device`` parses, compares and prints as torch.device; every
creation function and ``.to()`` accepts the CPU and refuses CUDA with torch's exception class and a message
saying what to do; ``chaingrad.cuda`` / ``backends`` / ``accelerator`` answer as torch does without CUDA."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import chaingrad
from helpers import outcome


def _outcome(lib, expr: str):
    return outcome(lib, expr, x=lib.zeros(2), m=lib.nn.Linear(2, 2), copy=copy, pickle=pickle)


DEVICE_EXPRESSIONS = [
    'T.device("cpu")', 'T.device("cuda")', 'T.device("cuda:0")', 'T.device("cuda", 1)', 'T.device("cpu", 0)',
    'T.device("mps")', 'T.device("cpu:0")', 'T.device(T.device("cpu"))', 'T.device(T.device("cuda:1"))',
    'T.device("meta")', 'T.device(type="cuda", index=2)', 'T.device("cpu", None)', 'T.device("cuda", index=0)',
    'T.device(b"cpu")',
    'T.device("cuda:x")', 'T.device("gpu")', 'T.device("cuda:-1")', 'T.device("cuda", -1)', 'T.device(0)',
    'T.device("CPU")', 'T.device(" cpu")', 'T.device("cuda:01")', 'T.device("cpu:")', 'T.device(":0")',
    'T.device("cpu:0:1")', 'T.device("cuda:0", 1)', 'T.device("cuda", "0")', 'T.device("cuda", 1.0)',
    'T.device("cuda", True)', 'T.device(None)', 'T.device(T.device("cpu"), 0)',
    'T.device("cpu") == "cpu"', '"cpu" == T.device("cpu")', 'T.device("cpu") != "cuda"', 'T.device("cpu") == 1',
    'T.device("cpu") == T.device("cpu", 0)', 'T.device("cpu") == T.device("cpu")',
    'T.device("cuda") == T.device("cuda:0")',
    'T.device("cuda", 0) == T.device("cuda:0")', 'hash(T.device("cuda:1")) == hash(T.device("cuda", 1))',
    'len({T.device("cpu"), T.device("cpu"), T.device("cpu", 0)})', 'T.device("cpu") < T.device("cpu")',
    'T.device("cpu").type', 'T.device("cpu").index', 'T.device("cuda:1").index', 'T.device("cuda:1").type',
    'str(T.device("cuda:1"))', 'str(T.device("cpu"))', 'f"{T.device(\'cpu\')}"', 'repr(T.device("cpu", 3))',
    'copy.copy(T.device("cuda:1"))', 'copy.deepcopy(T.device("cpu"))', 'pickle.loads(pickle.dumps(T.device("cpu")))',
    'isinstance(x.device, T.device)', 'x.device', 'x.device.type == "cpu"', 'x.device == T.device("cpu")',
    'str(x.device)', 'x.is_cuda', 'x.is_cpu', 'x.is_mps', 'x.get_device()', 'x.is_pinned()',
]


@pytest.mark.parametrize("expr", DEVICE_EXPRESSIONS)
def test_device_objects_behave_as_torchs(expr):
    assert _outcome(chaingrad, expr) == _outcome(torch, expr)


def test_device_is_immutable():
    d = chaingrad.device("cpu")
    with pytest.raises(AttributeError):
        d.type = "cuda"


TO_EXPRESSIONS = [
    'x.to("cpu")', 'x.to(T.device("cpu"))', 'x.to("cpu", T.float64)', 'x.to(T.device("cpu"), T.int64)',
    'x.to(T.zeros(1, dtype=T.int64))', 'x.to("cpu", non_blocking=True)',
    'x.to(device="cpu", dtype=T.float64, copy=True)',
    'x.to("cpu", T.float64, True)', 'x.to(T.float64, True, True)', 'x.to(float)', 'x.to(int)', 'x.to(tensor=x)',
    'x.to(None, T.float64)', 'x.to(device=None)', 'x.to(dtype=None)', 'x.to("cpu:1").device',
    'x.to(dtype=T.float64, device="cpu")',
    'x.to("cpu", dtype=T.float64)', 'x.to(T.zeros(1), non_blocking=True)',
    'x.to() is x', 'x.to(None) is x', 'x.to(T.float32) is x', 'x.to(T.float32, copy=True) is x',
    'x.to(T.float64, True, True) is x', 'x.to("cpu", T.float32, False, True) is x', 'x.to(x, True, True) is x',
    'x.to("cpu") is x', 'x.cpu() is x',
    'x.to("cpu", "cpu")', 'x.to(T.float64, T.float32)', 'x.to(T.float64, dtype=T.float64)', 'x.to(T.float64, "cpu")',
    'x.to("cpu", device="cpu")', 'x.to(T.float64, T.device("cpu"))', 'x.to(x, dtype=T.float64)', 'x.to(x, x)',
    'x.to(other=x)', 'x.to("float64")', 'x.to(dtype="float64")',
    'x.to("cuda")', 'x.to("cuda:0")', 'x.to(T.device("cuda"))', 'x.to(T.device("cuda"), copy=True)', 'x.cuda()',
    'x.to("mps")', 'x.to(1)', 'x.pin_memory()',
    'm.to("cpu")', 'm.to(T.device("cpu"))', 'm.to("cpu", T.float64).weight.dtype',
    'm.to(T.zeros(1, dtype=T.float64)).weight.dtype',
    'm.to(T.float64, True)', 'm.to(x, True)', 'm.to()', 'm.to(non_blocking=True)', 'm.to("cpu", T.float64, True)',
    'm.cpu()', 'm.to(T.int64)', 'm.to("cpu", copy=True)', 'm.to("cpu", True)', 'm.to(device="cuda")', 'm.to("cuda")',
    'm.cuda()',
]


@pytest.mark.parametrize("expr", TO_EXPRESSIONS)
def test_to_reads_torchs_three_forms(expr):
    assert _outcome(chaingrad, expr) == _outcome(torch, expr)


def test_to_converts_values_and_module_keeps_its_parameters():
    x = chaingrad.tensor([1.5, -2.0])
    y = x.to("cpu", chaingrad.int64)
    assert y.dtype == chaingrad.int64 and y.tolist() == [1, -2]
    m = chaingrad.nn.Linear(2, 2)
    w = m.weight
    assert m.to("cpu") is m and m.to(chaingrad.device("cpu"), chaingrad.float64) is m
    assert m.weight is w and w.dtype == chaingrad.float64


def test_the_cuda_error_says_what_to_do():
    with pytest.raises(AssertionError) as info:
        chaingrad.zeros(2).to("cuda")
    text = str(info.value)
    assert "CPU" in text and 'torch.cuda.is_available() else "cpu"' in text and "'cuda'" in text
    with pytest.raises(AssertionError, match="Linear"):
        chaingrad.nn.Linear(2, 2, device="cuda")
    with pytest.raises(RuntimeError, match="mps.is_available"):
        chaingrad.zeros(2).to("mps")


FACTORIES = [
    "T.tensor([1.0, 2.0], device={d})", "T.as_tensor([1.0], device={d})", "T.zeros(2, device={d})",
    "T.ones(2, 3, device={d})", "T.full((2,), 3.0, device={d})", "T.empty(2, device={d}).shape",
    "T.zeros_like(x, device={d})", "T.ones_like(x, device={d})", "T.empty_like(x, device={d}).shape",
    "T.full_like(x, 2.0, device={d})", "T.arange(3, device={d})", "T.linspace(0, 1, 5, device={d})",
    "T.logspace(0, 1, 3, device={d})", "T.eye(2, device={d})", "T.scalar_tensor(2.0, device={d})",
    "T.rand(2, device={d}).shape", "T.randn(2, device={d}).shape", "T.randint(0, 5, (3,), device={d}).shape",
    "T.randperm(4, device={d}).shape", "T.rand_like(x, device={d}).shape", "T.randn_like(x, device={d}).shape",
    "T.randint_like(x, 5, device={d}).shape", "T.normal(0.0, 1.0, (2,), device={d}).shape",
    "x.new_zeros(2, device={d})", "x.new_ones(2, device={d})", "x.new_full((2,), 1.0, device={d})",
    "x.new_tensor([1.0], device={d})", "x.new_empty(2, device={d}).shape",
    "T.nn.Linear(2, 2, device={d})", "T.nn.Conv2d(1, 1, 3, device={d})", "T.nn.BatchNorm1d(2, device={d})",
    "T.nn.LayerNorm(2, device={d})", "T.nn.Embedding(3, 2, device={d})", "T.nn.GRU(2, 2, device={d})",
    "T.nn.LSTMCell(2, 2, device={d})",
]
DEVICES = ['"cpu"', 'T.device("cpu")', "None", '"cpu:0"', '"cuda"', '"cuda:0"', 'T.device("cuda", 0)', '"gpu"',
           "0"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("factory", FACTORIES)
def test_every_creation_function_takes_device_as_torch(factory, device):
    expr = factory.format(d=device)
    assert _outcome(chaingrad, expr) == _outcome(torch, expr)


@pytest.mark.parametrize("factory", ["T.tensor([1.0], pin_memory={p})", "T.zeros(2, pin_memory={p})",
                                     "T.empty(2, pin_memory={p}).shape", "T.ones(2, pin_memory={p})",
                                     "T.full((1,), 2.0, pin_memory={p})", "T.arange(2, pin_memory={p})",
                                     "T.rand(2, pin_memory={p}).shape", "T.randn(2, pin_memory={p}).shape"])
@pytest.mark.parametrize("pin", ["False", "True"])
def test_pin_memory_is_accepted_and_true_refused_as_torch_without_an_accelerator(factory, pin):
    expr = factory.format(p=pin)
    assert _outcome(chaingrad, expr) == _outcome(torch, expr)


def test_values_made_with_device_cpu_are_the_same_values():
    a = chaingrad.arange(0, 1, 0.25, device="cpu")
    assert np.array_equal(a.numpy(), torch.arange(0, 1, 0.25, device="cpu").numpy())


BACKEND_EXPRESSIONS = [
    "T.cuda.is_available()", "T.cuda.device_count()", "T.cuda.manual_seed(0)", "T.cuda.manual_seed_all(0)",
    "T.cuda.manual_seed_all(2**70)", "T.cuda.seed()", "T.cuda.seed_all()", "T.cuda.empty_cache()",
    "T.cuda.is_initialized()", "T.cuda.memory_allocated()", "T.cuda.max_memory_allocated()",
    "T.cuda.memory_reserved()", "T.cuda.is_bf16_supported()", "T.cuda.get_arch_list()",
    "T.cuda.synchronize()", "T.cuda.current_device()", "T.cuda.get_device_name()", "T.cuda.get_device_name(0)",
    "T.cuda.initial_seed()", "T.cuda.get_rng_state()", "T.cuda.init()", "T.cuda.get_device_properties(0)",
    "T.cuda.get_device_capability()",
    "T.backends.mps.is_available()", "T.backends.mps.is_built()", "T.backends.cudnn.benchmark",
    "T.backends.cudnn.deterministic", "T.backends.cudnn.enabled", "T.backends.cudnn.is_available()",
    "T.backends.cudnn.version()", "T.backends.cuda.is_built()", "T.backends.cuda.matmul.allow_tf32",
    "T.accelerator.is_available()", "T.accelerator.device_count()", "T.accelerator.current_accelerator()",
    "T.accelerator.current_device_index()", "T.accelerator.synchronize()",
    "T.get_default_device()", "T.set_default_device('cpu')", "T.set_default_device(None)",
    "T.set_default_device(T.device('cpu'))",
]


@pytest.mark.parametrize("expr", BACKEND_EXPRESSIONS)
def test_cuda_backends_and_accelerator_answer_as_torch_without_cuda(expr):
    try:
        assert _outcome(chaingrad, expr) == _outcome(torch, expr)
    finally:  # torch's set_default_device installs a global mode that would slow (and change) later tests
        torch.set_default_device(None)


def test_the_tutorial_device_line_runs_unchanged():
    T = chaingrad
    device = "cuda" if T.cuda.is_available() else "mps" if T.backends.mps.is_available() else "cpu"
    device = T.accelerator.current_accelerator().type if T.accelerator.is_available() else device
    T.manual_seed(0)
    T.cuda.manual_seed_all(0)
    T.backends.cudnn.deterministic = True
    T.backends.cudnn.benchmark = False
    try:
        model = T.nn.Sequential(T.nn.Linear(3, 2), T.nn.ReLU()).to(device)
        x = T.randn(4, 3, device=device)
        y = model(x.to(device))
        assert y.device == T.device("cpu") and y.shape == (4, 2)
    finally:
        T.backends.cudnn.deterministic = False


def test_flags_programs_set_are_kept():
    import chaingrad.backends.cudnn as cudnn

    cudnn.benchmark = True
    try:
        assert chaingrad.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = False
    chaingrad.use_deterministic_algorithms(True)
    assert chaingrad.are_deterministic_algorithms_enabled()
    chaingrad.use_deterministic_algorithms(False)
    assert not chaingrad.are_deterministic_algorithms_enabled()


def test_default_device_context_and_setter():
    with chaingrad.device("cpu") as d:
        assert d == chaingrad.get_default_device() == chaingrad.device("cpu")
        assert chaingrad.zeros(1).device == d
    with pytest.raises(AssertionError, match="CPU only"):
        with chaingrad.device("cuda"):
            pass
    assert chaingrad.get_default_device() == chaingrad.device("cpu")
    with pytest.raises(AssertionError, match="set_default_device"):
        chaingrad.set_default_device("cuda")


def test_set_num_threads_limits_numpys_blas_as_torch_checks_it():
    from threadpoolctl import threadpool_info

    before = chaingrad.get_num_threads()
    try:
        chaingrad.set_num_threads(1)
        assert chaingrad.get_num_threads() == 1
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    finally:
        chaingrad.set_num_threads(before)
    assert chaingrad.get_num_threads() == before
    for bad in (0, -1, 2.5, "2"):
        with pytest.raises(RuntimeError) as theirs:
            torch.set_num_threads(bad)
        with pytest.raises(RuntimeError) as ours:
            chaingrad.set_num_threads(bad)
        assert str(ours.value) == str(theirs.value)
