"""Helpers for the nn tests: build the same module in chaingrad and torch, copy torch's weights into
chaingrad's, and compare outputs, input gradients, parameter gradients and buffers."""

from __future__ import annotations

import numpy as np
import torch

import chaingrad as cg

TOLS = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=2e-4, atol=5e-5)}


def lib_dtype(lib, dtype):
    return getattr(lib, np.dtype(dtype).name)


def copy_weights(cmod, tmod) -> None:
    """Load torch's state dict (as NumPy arrays) into the chaingrad module."""
    cmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def _np(t):
    return t.detach().numpy()


def check_module(make, arrays, *, dtype=np.float64, train=True, seed=0, tol=None, grad_inputs=True):
    """``make(nn)`` builds the module with the given nn namespace; both get torch's weights; returns modules."""
    tol = dict(TOLS[np.dtype(dtype).type], **(tol or {}))
    tm = make(torch.nn).to(lib_dtype(torch, dtype))
    cm = make(cg.nn).to(lib_dtype(cg, dtype))
    copy_weights(cm, tm)
    tm.train(train)
    cm.train(train)
    xs_t, xs_c = [], []
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            a = a.astype(dtype)
            xs_t.append(torch.tensor(a, requires_grad=grad_inputs))
            xs_c.append(cg.tensor(a, requires_grad=grad_inputs))
        else:
            xs_t.append(torch.tensor(a) if isinstance(a, np.ndarray) else a)
            xs_c.append(cg.tensor(a) if isinstance(a, np.ndarray) else a)
    outs_t, outs_c = _flat(tm(*xs_t)), _flat(cm(*xs_c))
    assert len(outs_t) == len(outs_c)
    rng = np.random.default_rng(seed)
    loss_t, loss_c = 0, 0
    for ot, oc in zip(outs_t, outs_c):
        assert tuple(oc.shape) == tuple(ot.shape), f"output shape {oc.shape} != torch's {tuple(ot.shape)}"
        assert str(oc.dtype).split(".")[-1] == str(ot.dtype).split(".")[-1]
        np.testing.assert_allclose(_np(oc), _np(ot), **tol, err_msg="forward output")
        if ot.requires_grad:
            g = rng.standard_normal(ot.shape).astype(_np(ot).dtype)
            loss_t = loss_t + (ot * torch.tensor(g)).sum()
            loss_c = loss_c + (oc * cg.tensor(g)).sum()
    if isinstance(loss_t, torch.Tensor):
        loss_t.backward()
        loss_c.backward()
        for xt, xc in zip(xs_t, xs_c):
            if isinstance(xt, torch.Tensor) and xt.requires_grad:
                assert xc.grad is not None
                np.testing.assert_allclose(_np(xc.grad), _np(xt.grad), **tol, err_msg="input gradient")
        tparams = dict(tm.named_parameters())
        for name, p in cm.named_parameters():
            tp = tparams[name]
            if tp.grad is None:
                assert p.grad is None or not np.any(_np(p.grad)), name
                continue
            assert p.grad is not None, f"no gradient for {name}"
            assert p.grad.dtype == p.dtype, f"{name}: grad dtype {p.grad.dtype} != {p.dtype}"
            np.testing.assert_allclose(_np(p.grad), _np(tp.grad), **tol, err_msg=f"gradient of {name}")
    tbufs = dict(tm.named_buffers())
    for name, b in cm.named_buffers():
        np.testing.assert_allclose(_np(b), _np(tbufs[name]), **tol, err_msg=f"buffer {name}")
    return cm, tm


def check_fn(fn, arrays, *, dtype=np.float64, seed=0, tol=None, grad=True, kwargs_t=None, kwargs_c=None):
    """``fn(F, lib, *tensors)`` on chaingrad and torch; compare outputs and gradients of float inputs."""
    import torch.nn.functional as TF

    import chaingrad.nn.functional as CF

    tol = dict(TOLS[np.dtype(dtype).type], **(tol or {}))
    xs_t, xs_c = [], []
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            a = a.astype(dtype)
        rg = grad and isinstance(a, np.ndarray) and a.dtype.kind == "f"
        xs_t.append(torch.tensor(a, requires_grad=rg) if isinstance(a, np.ndarray) else a)
        xs_c.append(cg.tensor(a, requires_grad=rg) if isinstance(a, np.ndarray) else a)
    ot, oc = fn(TF, torch, *xs_t), fn(CF, cg, *xs_c)
    assert tuple(oc.shape) == tuple(ot.shape), f"shape {tuple(oc.shape)} != torch's {tuple(ot.shape)}"
    assert str(oc.dtype).split(".")[-1] == str(ot.dtype).split(".")[-1], (oc.dtype, ot.dtype)
    np.testing.assert_allclose(_np(oc), _np(ot), **tol, err_msg="forward")
    if grad and ot.requires_grad:
        g = np.random.default_rng(seed).standard_normal(ot.shape).astype(_np(ot).dtype)
        (ot * torch.tensor(g)).sum().backward()
        (oc * cg.tensor(g)).sum().backward()
        for i, (xt, xc) in enumerate(zip(xs_t, xs_c)):
            if isinstance(xt, torch.Tensor) and xt.requires_grad:
                assert xc.grad is not None, f"no gradient for input {i}"
                assert xc.grad.dtype == xc.dtype
                np.testing.assert_allclose(_np(xc.grad), _np(xt.grad), **tol, err_msg=f"gradient of input {i}")
    return oc, ot
