"""Shared test helpers: run the same program on chaingrad and on PyTorch (the oracle), compare values and
gradients, and check gradients against central finite differences."""

from __future__ import annotations

import numpy as np
import torch

import chaingrad as cg

TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=2e-4, atol=2e-5)}


def tol(dtype) -> dict:
    return TOL[np.dtype(dtype).type]


def dtype_name(d) -> str:
    """'float32' for chaingrad.float32 and torch.float32 alike."""
    return str(d).split(".")[-1]


def to_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    if isinstance(t, cg.Tensor):
        return t.detach().numpy()
    return np.asarray(t)


def leaves(arrays, lib, requires_grad=True):
    """Tensors of ``lib`` for numpy arrays; float ones require grad (ints/bools are constants)."""
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            rg = requires_grad and a.dtype.kind == "f"
            out.append(lib.tensor(a.copy(), requires_grad=rg))
        else:
            out.append(a)
    return out


def _flat_outputs(out):
    if isinstance(out, (tuple, list)):
        return [o for o in out if isinstance(o, (cg.Tensor, torch.Tensor))]
    return [out]


def assert_close(actual, expected, dtype=np.float64, **kw):
    a, e = to_numpy(actual), to_numpy(expected)
    assert a.shape == e.shape, f"shape {a.shape} != torch's {e.shape}"
    opts = tol(dtype) if a.dtype.kind == "f" or e.dtype.kind == "f" else dict(rtol=0, atol=0)
    opts.update(kw)
    np.testing.assert_allclose(a, e, equal_nan=True, **opts)


def compare_with_torch(fn, arrays, *, dtype=None, seed=0, check_grad=True, **kw):
    """``fn(lib, *tensors)`` on chaingrad and torch: same values, dtypes, and gradient of every float leaf.

    Non-scalar outputs are backpropagated with the same random upstream gradient in both libraries.
    Returns the chaingrad leaves (after backward) for further checks.
    """
    if dtype is not None:
        arrays = [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    ref_dtype = dtype or next((a.dtype for a in arrays if isinstance(a, np.ndarray) and a.dtype.kind == "f"),
                              np.float64)
    cgs, ths = leaves(arrays, cg), leaves(arrays, torch)
    outs_c, outs_t = _flat_outputs(fn(cg, *cgs)), _flat_outputs(fn(torch, *ths))
    assert len(outs_c) == len(outs_t)
    for oc, ot in zip(outs_c, outs_t):
        assert dtype_name(oc.dtype) == dtype_name(ot.dtype), f"dtype {oc.dtype} != torch's {ot.dtype}"
        assert tuple(oc.shape) == tuple(ot.shape), f"shape {tuple(oc.shape)} != torch's {tuple(ot.shape)}"
        assert_close(oc, ot, ref_dtype, **kw)
        assert oc.requires_grad == ot.requires_grad, f"requires_grad {oc.requires_grad} != {ot.requires_grad}"
    if not check_grad:
        return cgs
    rng = np.random.default_rng(seed)
    diff = [(oc, ot) for oc, ot in zip(outs_c, outs_t) if ot.requires_grad]
    if not diff:
        return cgs
    gs = [rng.standard_normal(tuple(ot.shape)).astype(to_numpy(ot).dtype) for _, ot in diff]
    torch.autograd.backward([ot for _, ot in diff], [torch.tensor(g) for g in gs])
    cg.autograd.backward([oc for oc, _ in diff], [cg.tensor(g) for g in gs])
    for i, (c, t) in enumerate(zip(cgs, ths)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            if t.grad is None:
                assert c.grad is None or not to_numpy(c.grad).any(), f"input {i}: torch has no grad"
                continue
            assert c.grad is not None, f"input {i}: chaingrad computed no gradient"
            assert dtype_name(c.grad.dtype) == dtype_name(t.grad.dtype)
            assert_close(c.grad, t.grad, ref_dtype, **kw)
    return cgs


def numerical_grads(fn, arrays, g_out, eps=1e-6):
    """Central finite differences of sum(fn(*x) * g_out) with respect to every float64 input."""
    def scalar(xs):
        with cg.no_grad():
            outs = _flat_outputs(fn(cg, *[cg.tensor(x) if isinstance(x, np.ndarray) else x for x in xs]))
            return sum(float((to_numpy(o).astype(np.float64) * g).sum()) for o, g in zip(outs, g_out))

    grads = []
    for i, a in enumerate(arrays):
        if not (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            grads.append(None)
            continue
        num = np.zeros_like(a)
        for j in range(a.size):
            xs = [x.copy() if isinstance(x, np.ndarray) else x for x in arrays]
            xs[i].reshape(-1)[j] += eps
            up = scalar(xs)
            xs[i].reshape(-1)[j] -= 2 * eps
            down = scalar(xs)
            num.reshape(-1)[j] = (up - down) / (2 * eps)
        grads.append(num)
    return grads


def check_finite_differences(fn, arrays, *, seed=1, rtol=1e-5, atol=1e-6, eps=1e-6):
    """chaingrad's gradients (float64) equal central finite differences."""
    arrays = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    xs = leaves(arrays, cg)
    outs = _flat_outputs(fn(cg, *xs))
    rng = np.random.default_rng(seed)
    g_out = [rng.standard_normal(tuple(o.shape)) for o in outs]
    diff = [(o, g) for o, g in zip(outs, g_out) if o.requires_grad]
    cg.autograd.backward([o for o, _ in diff], [cg.tensor(g) for _, g in diff])
    g_out = [g if o.requires_grad else np.zeros_like(g) for o, g in zip(outs, g_out)]
    num = numerical_grads(fn, arrays, g_out, eps)
    for i, (x, n) in enumerate(zip(xs, num)):
        if n is None:
            continue
        analytic = np.zeros_like(n) if x.grad is None else x.grad.numpy()
        np.testing.assert_allclose(analytic, n, rtol=rtol, atol=atol, err_msg=f"input {i}")


def rand_array(rng, shape, domain="any", dtype=np.float64):
    """Values for an op's domain: 'any' in [-2, 2]; 'pos' in [0.5, 2]; 'nonzero' |x| in [0.2, 2];
    'unit' in (-0.9, 0.9)."""
    if domain == "pos":
        a = rng.uniform(0.5, 2.0, shape)
    elif domain == "nonzero":
        a = rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "unit":
        a = rng.uniform(-0.9, 0.9, shape)
    else:
        a = rng.uniform(-2.0, 2.0, shape)
    return np.asarray(a, dtype=dtype)


def outcome(lib, expr: str, **env):
    """What evaluating ``expr`` with ``T`` = ``lib`` gives, comparable across chaingrad and torch: a value's repr
    (torch's prefix made chaingrad's; tensors by type, dtype, shape and values; modules by type), or the class
    of the exception raised."""
    try:
        value = eval(expr, {"T": lib, **env})  # noqa: S307 - the expressions are the tests' own
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return "raises", type(e)
    if isinstance(value, lib.Tensor):
        return "tensor", type(value).__name__, dtype_name(value.dtype), tuple(value.shape), value.tolist(), \
            value.requires_grad
    if isinstance(value, lib.nn.Module):
        return "module", type(value).__name__
    return "ok", repr(value).replace("torch.", "chaingrad.")
