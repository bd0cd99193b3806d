"""torch's top-level in-place functions (``torch.exp_(t)``) and its top-level spellings of nn ops
(``torch.conv2d``, ``torch.batch_norm`` with its own argument order ...) give torch's results (_torch_level.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad._torch_level import FUNCTIONS, INPLACE
from helpers import compare_with_torch

R = np.random.default_rng(0)
UNIT = R.uniform(0.2, 0.9, (2, 3))
EXTRA = {  # the arguments after the tensor, built per library
    "clamp_": lambda T: (0.3, 0.6), "clamp_max_": lambda T: (0.5,), "clamp_min_": lambda T: (0.5,),
    "clip_": lambda T: (0.3, 0.6), "fill_": lambda T: (2.0,), "xlogy_": lambda T: (T.tensor(UNIT[::-1].copy()),),
    "addmv_": lambda T: (T.ones(3, 2), T.tensor([1.0, 2.0])), "ldexp_": lambda T: (T.tensor([1, 2, 3]),),
    "gcd_": lambda T: (T.tensor([4, 6, 9]),), "lcm_": lambda T: (T.tensor([4, 6, 9]),),
    "index_put_": lambda T: ((T.tensor([1, 0]), T.tensor([2, 2])), T.tensor([5.0, 6.0], dtype=T.float64), True),
}


def _input(name, T):
    if name in ("gcd_", "lcm_"):
        return T.tensor([6, -4, 3])
    if name == "addmv_":
        return T.tensor([0.5, 1.0, 2.0])
    if name in ("acosh_", "arccosh_"):
        return T.tensor(UNIT + 1.0)
    return T.tensor(UNIT.copy())


@pytest.mark.parametrize("name", INPLACE)
def test_top_level_inplace_is_the_method(name):
    if name not in dir(cg):
        pytest.fail(f"{name}: no Tensor method to call")
    ours, theirs = _input(name, cg), _input(name, torch)
    out_c, out_t = getattr(cg, name)(ours, *EXTRA.get(name, lambda T: ())(cg)), \
        getattr(torch, name)(theirs, *EXTRA.get(name, lambda T: ())(torch))
    assert out_c is ours and out_t is theirs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        getattr(cg, name)([1.0])


X = R.standard_normal((2, 3, 5, 5))
CASES = [
    ("conv1d", lambda T, x, w: T.conv1d(x, w, None, 1, 1), [X[:, :, 0], R.standard_normal((4, 3, 3))]),
    ("conv2d", lambda T, x, w, b: T.conv2d(x, w, b, 2, 1, 1, 1), [X, R.standard_normal((4, 3, 3, 3)),
                                                               R.standard_normal(4)]),
    ("conv_transpose1d", lambda T, x, w: T.conv_transpose1d(x, w, None, 2, 1, 1),
     [X[:, :, 0], R.standard_normal((3, 2, 3))]),
    ("conv_transpose2d", lambda T, x, w: T.conv_transpose2d(x, w, stride=2), [X, R.standard_normal((3, 2, 3, 3))]),
    ("dropout_eval", lambda T, x: T.dropout(x, 0.5, False), [X]),
    ("dropout_p0", lambda T, x: T.dropout(x, 0.0, True), [X]),
    ("batch_norm", lambda T, x, w, b: T.batch_norm(x, w, b, T.zeros(3, dtype=x.dtype), T.ones(3, dtype=x.dtype), True,
                                                          0.1, 1e-5, False),
     [X, R.standard_normal(3), R.standard_normal(3)]),
    ("batch_norm_eval", lambda T, x, w: T.batch_norm(x, w, None, T.zeros(3, dtype=x.dtype) + 0.5,
                                                     T.ones(3, dtype=x.dtype) * 2, False, 0.1, 1e-5, True),
     [X, R.standard_normal(3)]),
    ("instance_norm", lambda T, x, w, b: T.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
     [X, R.standard_normal(3), R.standard_normal(3)]),
    ("layer_norm", lambda T, x, w: T.layer_norm(x, (5, 5), w, None, 1e-5, True), [X, R.standard_normal((5, 5))]),
    ("group_norm", lambda T, x: T.group_norm(x, 3), [X]),
    ("embedding", lambda T, w: T.embedding(w, T.tensor([[0, 2], [3, 3]])), [R.standard_normal((4, 3))]),
    ("embedding_padding", lambda T, w: T.embedding(w, T.tensor([0, 2, 2]), 2), [R.standard_normal((4, 3))]),
    ("cosine_similarity", lambda T, a, b: T.cosine_similarity(a, b, 0), [X[0, 0], X[0, 1]]),
    ("pairwise_distance", lambda T, a, b: T.pairwise_distance(a, b, 3.0, 1e-6, True), [X[0, 0], X[0, 1]]),
    ("prelu", lambda T, x, w: T.prelu(x, w), [X, np.array([0.1, 0.2, 0.3])]),
    ("prelu_method", lambda T, x, w: x.prelu(w), [X, np.array([0.25])]),
    ("selu", lambda T, x: T.selu(x), [X]),
    ("celu", lambda T, x: T.celu(x, 0.7), [X]),
    ("rrelu_eval", lambda T, x: T.rrelu(x, 0.1, 0.3), [X]),
    ("threshold", lambda T, x: T.threshold(x, 0.1, -2.0), [X]),
    ("hardshrink", lambda T, x: T.hardshrink(x, 0.4), [X]),
    ("hardshrink_method", lambda T, x: x.hardshrink(), [X]),
]


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_top_level_nn_ops_match_torch(name, fn, arrays):
    compare_with_torch(fn, arrays)


def test_every_alias_is_torchs_name():
    for name in FUNCTIONS:
        assert callable(getattr(torch, name)) and getattr(cg, name).__name__ == name


def test_rrelu_with_a_generator_is_refused_not_ignored():
    with pytest.raises(NotImplementedError, match="generator"):
        cg.rrelu(cg.ones(2), 0.1, 0.3, True, cg.Generator())
