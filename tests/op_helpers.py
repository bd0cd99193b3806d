"""Helpers for the op tests: second derivatives against PyTorch, grad_fn names, torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import leaves, to_numpy


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def compare_second_derivatives(fn, arrays, *, seed=3, rtol=1e-6, atol=1e-8):
    """d/dx of <grad_x <fn(x), g>, v> (a Hessian-vector product) equals torch's, in float64."""
    arrays = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    results = []
    for lib in (cg, torch):
        xs = leaves(arrays, lib)
        diff = [x for x in xs if isinstance(x, (cg.Tensor, torch.Tensor)) and x.requires_grad]
        outs = [o for o in _flat(fn(lib, *xs)) if o.requires_grad]
        r = np.random.default_rng(seed)
        total = sum((o * lib.tensor(r.standard_normal(tuple(o.shape)))).sum() for o in outs)
        grads = [g if g is not None else lib.zeros_like(x)
                 for g, x in zip(lib.autograd.grad(total, diff, create_graph=True, allow_unused=True), diff)]
        second = sum((g * lib.tensor(r.standard_normal(tuple(g.shape)))).sum() for g in grads if g.requires_grad)
        second.backward()
        results.append(([to_numpy(g) for g in grads], [to_numpy(x.grad) if x.grad is not None else None
                                                       for x in diff]))
    (g_c, h_c), (g_t, h_t) = results
    for a, b in zip(g_c, g_t):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    for a, b in zip(h_c, h_t):
        if b is None:
            assert a is None or not np.any(a)
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def grad_fn_names(fn, arrays):
    """(chaingrad's, torch's) grad_fn class name and name() of fn's first output."""
    names = []
    for lib in (cg, torch):
        out = _flat(fn(lib, *leaves(arrays, lib)))[0]
        names.append(None if out.grad_fn is None else (type(out.grad_fn).__name__, out.grad_fn.name()))
    return tuple(names)


def assert_same_grad_fn(fn, arrays):
    ours, theirs = grad_fn_names(fn, arrays)
    assert ours == theirs, f"grad_fn {ours} != torch's {theirs}"


def assert_raises_like_torch(fn, *args, match=None):
    """fn(lib, *args) raises the same exception class in both libraries (and ours mentions ``match``)."""
    with pytest.raises(Exception) as theirs:
        fn(torch, *[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
    with pytest.raises(Exception) as ours:
        fn(cg, *[cg.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
    t_cls = theirs.type
    if t_cls.__module__.startswith("torch"):  # torch's own subclasses (LinAlgError ...) derive from a builtin
        t_cls = next(c for c in t_cls.__mro__ if c.__module__ == "builtins")
    assert issubclass(ours.type, t_cls), f"raised {ours.type.__name__}, torch raises {theirs.type.__name__}"
    if match is not None:
        assert match in str(ours.value), f"message {str(ours.value)!r} does not mention {match!r}"
    return ours.value
