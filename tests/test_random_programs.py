"""Random programs: a seeded generator composes the ops on random broadcast-compatible shapes (float64); the
same program runs on chaingrad and on PyTorch, and the output and the gradient of every leaf must agree in
100% of the programs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg

N_PROGRAMS = 300
OPS_PER_PROGRAM = 10


def _sub_shape(rng, base):
    """A shape that broadcasts to ``base``: some leading dims dropped, some dims set to 1."""
    keep = int(rng.integers(0, len(base) + 1))
    shape = [1 if rng.random() < 0.3 else s for s in base[len(base) - keep:]]
    return tuple(shape)


UNARY = [
    lambda m, t: t.tanh(),
    lambda m, t: m.sigmoid(t),
    lambda m, t: t.sin() * t.cos(),
    lambda m, t: t * t,
    lambda m, t: t.tanh().exp(),
    lambda m, t: (t * t + 1).log(),
    lambda m, t: (t * t + 0.5).sqrt(),
    lambda m, t: (t * t + 0.5).rsqrt(),
    lambda m, t: t.abs() + 0.1,
    lambda m, t: m.relu(t) + t * 0.1,
    lambda m, t: t / (1 + t * t),
    lambda m, t: -t + 0.5,
    lambda m, t: 2.0 - t * 0.5,
    lambda m, t: t.clamp(-0.8, 0.9),
    lambda m, t: (t.abs() + 0.5) ** 1.5,
    lambda m, t: t.tanh().expm1(),
    lambda m, t: (t * t).log1p(),
    lambda m, t: t ** 3 * 0.3,
    lambda m, t: 1.0 / (t * t + 1.0),
]
BINARY = [
    lambda m, a, b: a + b,
    lambda m, a, b: a - b,
    lambda m, a, b: a * b,
    lambda m, a, b: a / (b * b + 1),
    lambda m, a, b: m.maximum(a, b),
    lambda m, a, b: m.minimum(a, b * 0.5),
    lambda m, a, b: m.where(a > b, a * 2, b),
    lambda m, a, b: (a.abs() + 0.5) ** b.tanh(),
    lambda m, a, b: a * b.sigmoid() + b,
]


def _reduce(m, t, rng):
    if t.ndim == 0:
        return t * 1.5
    dim = int(rng.integers(-t.ndim, t.ndim))
    kind = int(rng.integers(0, 8))
    if kind == 0:
        return t.sum(dim, keepdim=True)
    if kind == 1:
        return t.mean(dim, keepdim=True)
    if kind == 2:
        return m.softmax(t, dim)
    if kind == 3:
        return m.log_softmax(t, dim=dim)
    if kind == 4:
        return m.logsumexp(t, dim, keepdim=True)
    if kind == 5:
        return t.amax(dim, keepdim=True) if t.shape[dim] == 1 else t.max(dim, keepdim=True)[0]
    if kind == 6:
        return t.norm(dim=dim, keepdim=True) + 0.1 if t.shape[dim] > 1 else t * 2
    return t.var(dim, keepdim=True) if t.shape[dim] > 1 else t.sum()


def _structural(m, t, rng, base, leaves):
    kind = int(rng.integers(0, 6))
    if t.ndim == 0:
        return t.expand(base) * 1.0
    if kind == 0:  # matmul with a new leaf
        w = m.tensor(rng.uniform(-1, 1, (t.shape[-1], base[-1])), requires_grad=True)
        leaves.append(w)
        return t @ w
    if kind == 1:  # gather-style indexing with repeated indices along the last dim
        idx = rng.integers(0, t.shape[-1], base[-1])
        return t[..., m.tensor(idx)]
    if kind == 2:
        return t.flip(-1)
    if kind == 3:
        k = t.shape[-1] // 2
        return m.cat([t[..., k:], t[..., :k]], dim=-1) if k else t * 1.0
    if kind == 4:
        return m.stack([t, t * 2], dim=0).sum(0)
    return t.unsqueeze(0).squeeze(0).reshape(t.shape)


def program(m, seed):
    """Build and run one random program with library ``m``; returns (leaves, output)."""
    rng = np.random.default_rng(seed)
    base = tuple(int(s) for s in rng.integers(1, 4, int(rng.integers(1, 4))))
    leaves = [m.tensor(rng.uniform(-1.5, 1.5, _sub_shape(rng, base)), requires_grad=True)
              for _ in range(int(rng.integers(1, 4)))]
    pool = list(leaves)
    for _ in range(OPS_PER_PROGRAM):
        kind = rng.random()
        a = pool[int(rng.integers(0, len(pool)))]
        if kind < 0.35:
            out = UNARY[int(rng.integers(0, len(UNARY)))](m, a)
        elif kind < 0.7:
            b = pool[int(rng.integers(0, len(pool)))]
            out = BINARY[int(rng.integers(0, len(BINARY)))](m, a, b)
        elif kind < 0.85:
            out = _reduce(m, a, rng)
        else:
            out = _structural(m, a, rng, base, leaves)
        pool.append(out)
    out = pool[-1] + sum((t * 0.1).sum() for t in pool[len(leaves):-1])
    return leaves, out


@pytest.mark.parametrize("chunk", range(10))
def test_random_programs_match_torch(chunk):
    per_chunk = N_PROGRAMS // 10
    for seed in range(chunk * per_chunk, (chunk + 1) * per_chunk):
        leaves_c, out_c = program(cg, seed)
        leaves_t, out_t = program(torch, seed)
        assert tuple(out_c.shape) == tuple(out_t.shape), f"program {seed}"
        np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=f"program {seed}: output")
        g = np.random.default_rng(seed).standard_normal(tuple(out_t.shape))
        out_c.backward(cg.tensor(g))
        out_t.backward(torch.tensor(g))
        for i, (c, t) in enumerate(zip(leaves_c, leaves_t)):
            if t.grad is None:
                assert c.grad is None or not c.grad.numpy().any(), f"program {seed}: leaf {i}"
                continue
            assert c.grad is not None, f"program {seed}: leaf {i} got no gradient"
            np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-9,
                                       err_msg=f"program {seed}: gradient of leaf {i}")
