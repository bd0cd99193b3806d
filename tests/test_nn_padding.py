"""The padding layers (ConstantPad, ZeroPad, ReflectionPad, ReplicationPad, CircularPad in 1, 2 and 3 dims)
against torch: reprs, padding tuples, outputs, gradients, grad_fn names, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad

LAYERS = [
    ("ZeroPad1d", ((1, 2),), (2, 3, 5)), ("ZeroPad2d", (2,), (1, 2, 3, 3)), ("ZeroPad3d", ((1, 0, 0, 1, 1, 0),),
                                                                           (1, 1, 2, 3, 2)),
    ("ConstantPad1d", (2, -1.5), (2, 4)), ("ConstantPad2d", ((1, 0, 2, 3), 3.5), (2, 3, 3)),
    ("ConstantPad3d", (1, 0.0), (1, 2, 2, 2)),
    ("ReflectionPad1d", ((2, 1),), (2, 3, 5)), ("ReflectionPad2d", (1,), (1, 2, 3, 4)),
    ("ReflectionPad3d", (1,), (1, 1, 3, 3, 3)),
    ("ReplicationPad1d", ((2, 1),), (2, 3, 5)), ("ReplicationPad2d", ((1, 2, 0, 1),), (1, 2, 3, 4)),
    ("ReplicationPad3d", (1,), (1, 1, 2, 3, 2)),
    ("CircularPad1d", (1,), (2, 3, 4)), ("CircularPad2d", ((1, 1, 2, 0),), (1, 2, 3, 3)),
    ("CircularPad3d", (1,), (1, 1, 2, 3, 3)),
]


@pytest.mark.parametrize("name, args, shape", LAYERS)
def test_padding_layers_match_torch(name, args, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    results = []
    for lib in (torch, chaingrad):
        layer = getattr(lib.nn, name)(*args)
        t = lib.tensor(x, requires_grad=True)
        y = layer(t)
        w = lib.tensor(np.arange(np.prod(tuple(y.shape)), dtype=np.float64).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        results.append((repr(layer), layer.padding, y.detach().numpy(), t.grad.numpy()))
    (r1, p1, y1, g1), (r2, p2, y2, g2) = results
    assert r2 == r1 and p2 == p1
    np.testing.assert_array_equal(y2, y1)
    np.testing.assert_array_equal(g2, g1)


def test_padding_layers_grad_fn_names_and_errors_match_torch():
    x = np.ones((1, 2, 3, 3))
    for name in ("ZeroPad2d", "ReflectionPad2d", "ReplicationPad2d"):
        names = [getattr(lib.nn, name)(1)(lib.tensor(x, requires_grad=True)).grad_fn.name() for lib in (torch,
                                                                                                        chaingrad)]
        assert names[0] == names[1]
    for lib in (torch, chaingrad):
        with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
            lib.nn.CircularPad2d(1)(lib.ones(2, 2))
        with pytest.raises(RuntimeError, match="Padding length should be less than or equal to two times"):
            lib.nn.ZeroPad2d(1)(lib.ones(2))
        with pytest.raises(RuntimeError):
            lib.nn.ReflectionPad1d(3)(lib.ones(1, 2))
