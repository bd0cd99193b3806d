"""Workloads of ``chaingrad.compile``: each training step compiled (chaingrad), eager (PyTorch) and written by
hand (NumPy), so that the table compares the compiled replay with both in the same run.

``seed_inductor`` and ``mlp_inductor`` are the peer rows: the PyTorch column holds ``torch.compile`` (inductor,
CPU; compiled and warmed up before timing), the chaingrad column ``chaingrad.compile``, NumPy the hand-written
step, so that the ratios compare the two compilers in the same run.

``mlp_first_call`` is the cost of compiling: the first call of a new compiled MLP step (trace, generate,
exec) in the chaingrad column, one eager chaingrad step in the NumPy column (the ratio is first call / eager).

``seed_numba``, ``small_numba`` and ``mlp_numba`` are the same steps compiled with ``backend="numba"`` (the array
arithmetic fused into numba functions; compiled, which takes seconds, and warmed up before timing). Without numba
installed their chaingrad column is empty (run.py says so in the row's name).
"""

from __future__ import annotations

import numpy as np

from . import workloads as w


def _compiled(lib: str, make, backend=None):
    """``make(torch)`` -> step; chaingrad's is compiled (and warmed up by the worker), torch's runs eagerly."""
    torch = w._import(lib)
    step = make(torch)
    return (_compile(torch, step, backend) if lib == "chaingrad" else step), 1


def _compile(chaingrad, step, backend):
    compiled = chaingrad.compile(step, fullgraph=True, backend=backend)
    if backend == "numba":  # (numba compiles on the first call, for seconds: not in the worker's warm-up estimate)
        for _ in range(3):
            compiled()
    return compiled


def numba_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("numba") is not None


def seed_step(lib: str, backend=None):
    """One epoch of the seed with loss.backward() and the update under no_grad."""
    if lib == "numpy":
        x, y_true = np.array(w.X, dtype=np.float32), np.array(w.Y, dtype=np.float32)
        wt, b = np.array([[0.5]], dtype=np.float32), np.array([0.0], dtype=np.float32)
        xt, lr = x.T, np.float32(0.01)

        def step_np():
            d = x @ wt + b - y_true
            loss = 0.5 * np.add.reduce(d * d, None)
            wt.__isub__(lr * (xt @ d))
            b.__isub__(lr * np.add.reduce(d, None))
            return loss

        return step_np, 1

    def make(torch):
        x, y_true = torch.tensor(w.X), torch.tensor(w.Y)
        wt = torch.tensor([[0.5]], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)

        def step():
            y_pred = torch.matmul(x, wt) + b
            loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
            loss.backward()
            with torch.no_grad():
                wt.sub_(0.01 * wt.grad)
                b.sub_(0.01 * b.grad)
            wt.grad = None
            b.grad = None
            return loss

        return step

    return _compiled(lib, make, backend)


def small_step(lib: str, backend=None):
    if lib == "numpy":
        return w.small_graph("numpy")

    def make(torch):
        a = torch.tensor([[0.1], [0.2], [0.3]], requires_grad=True)
        c = torch.tensor([[0.5], [-0.4], [0.3]], requires_grad=True)

        def step():
            a.grad = None
            c.grad = None
            ((a * c + a).tanh() ** 2 - c).exp().sum().backward()

        return step

    return _compiled(lib, make, backend)


def mlp_step(lib: str, backend=None):
    if lib == "numpy":
        return w.mlp("numpy")
    step, unit = w.mlp(lib)
    return (_compile(w._import(lib), step, backend) if lib == "chaingrad" else step), unit


def lenet_step(lib: str):
    if lib == "numpy":
        return w.lenet("numpy")
    step, unit = w.lenet(lib)
    return (w._import(lib).compile(step, fullgraph=True) if lib == "chaingrad" else step), unit


def mlp_first_call(lib: str):
    if lib == "torch":
        return None, 1
    step, unit = w.mlp("chaingrad")
    if lib == "numpy":  # (the NumPy column holds one eager chaingrad step)
        return step, unit
    import chaingrad

    def first_call():
        chaingrad.compile(step, fullgraph=True)()

    return first_call, unit


def _torch_compiled(step):
    """``torch.compile`` (inductor) of a torch step, compiled and warmed up here (its first call takes seconds)."""
    import torch

    compiled = torch.compile(step)
    for _ in range(3):
        compiled()
    return compiled


def seed_inductor(lib: str):
    if lib != "torch":
        return seed_step(lib)
    step, unit = seed_step("torch")
    return _torch_compiled(step), unit


def mlp_inductor(lib: str):
    if lib != "torch":
        return mlp_step(lib)
    step, unit = w.mlp("torch")
    return _torch_compiled(step), unit


def _numba(workload):
    """The chaingrad column compiled with backend="numba" (absent without numba); the others as ``workload``'s."""
    def build(lib: str):
        if lib == "chaingrad" and not numba_available():
            return None, 1
        return workload(lib, backend="numba" if lib == "chaingrad" else None)

    return build


WORKLOADS = {"seed_compiled": seed_step, "small_compiled": small_step, "mlp_compiled": mlp_step,
             "lenet_compiled": lenet_step, "seed_inductor": seed_inductor, "mlp_inductor": mlp_inductor,
             "mlp_first_call": mlp_first_call, "seed_numba": _numba(seed_step), "small_numba": _numba(small_step),
             "mlp_numba": _numba(mlp_step)}
