"""fmod, logaddexp, the gamma family, frac, sgn, scatter, index_copy, index_fill, kron, tensordot, cov, corrcoef,
pixel_shuffle and eq_ under chaingrad.compile: each compiled step gives eager's value and gradients bit for bit,
whether it is replayed or (where the trace cannot hold it) run eagerly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special  # noqa: F401  (imported before tracing: a first import of scipy inside a trace fails)

import chaingrad as cg

IDX = cg.tensor([[0, 1, 2, 0]])
CASES = {
    "logaddexp": lambda x, y: cg.logaddexp(x, y) + cg.logaddexp2(y, x),
    "fmod": lambda x, y: cg.fmod(x, y) + cg.fmod(x, 0.7),
    "gamma": lambda x, y: cg.lgamma(x) + cg.digamma(y) + cg.polygamma(2, x),
    "frac_sgn": lambda x, y: cg.frac(x) * cg.sgn(y),
    "scatter": lambda x, y: cg.scatter(x, 0, IDX, y[:1]) + cg.scatter(y, 0, IDX, 2.0),
    "index": lambda x, y: cg.index_copy(x, 0, cg.tensor([1]), y[:1]) + cg.index_fill(y, 1, cg.tensor([2]), 3.0),
    "products": lambda x, y: cg.kron(x[:2], y[:1]).sum() + cg.tensordot(x, y.T, 1).sum(),
    "statistics": lambda x, y: cg.cov(x).sum() + cg.corrcoef(y).sum(),
    "pixel_shuffle": lambda x, y: cg.pixel_unshuffle(cg.pixel_shuffle(x.view(1, 4, 3, 1), 2), 2),
    "eq_": lambda x, y: (x * 1).eq_(y) + x,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_steps_equal_eager(name):
    rng = np.random.default_rng(0)
    x = cg.tensor(rng.uniform(0.5, 2.0, (3, 4)), requires_grad=True)
    y = cg.tensor(rng.uniform(-2.0, 2.0, (3, 4)), requires_grad=True)
    step = CASES[name]
    compiled = cg.compile(lambda a, b: step(a, b).sum())
    results = []
    for fn in (compiled, compiled, compiled, lambda a, b: step(a, b).sum()):
        x.grad = y.grad = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (a step that falls back to eager says so: the value is the point)
            loss = fn(x, y)
        loss.backward()
        results.append([loss.item()] + [None if t.grad is None else t.grad.numpy().copy() for t in (x, y)])
    for r in results[1:]:
        assert r[0] == results[0][0]
        for a, b in zip(r[1:], results[0][1:]):
            assert (a is None and b is None) or np.array_equal(a, b)
