"""scatter_reduce and index_reduce equal torch's: every reduction with and without include_self, values and
gradients in float64 (zeros in prod, ties in amax/amin), integers, the in-place and top-level forms, and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch as T

import chaingrad as C

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4))
SRC = rng.standard_normal((2, 4))
IDX = np.array([[0, 1, 2, 0], [2, 2, 0, 1]])
X[1, 1] = 0.0  # (a zero factor in the input, for prod)
SRC[0, 2] = SRC[1, 0] = 0.0  # (zeros in src)
SRC[1, 2] = X[0, 2] + 5.0  # (src wins amax)
X[0, 3] = SRC[0, 3]  # (a tie between input and src)
SOURCE = rng.standard_normal((3, 4))
SOURCE[0, 1] = 0.0
SLOTS = [3, 0, 3, 1]

pytestmark = pytest.mark.filterwarnings("ignore:index_reduce.. is in beta:UserWarning")


def _run(lib, op, reduce, include_self):
    x = lib.tensor(X, requires_grad=True)
    if op == "scatter_reduce":
        s = lib.tensor(SRC, requires_grad=True)
        out = x.scatter_reduce(0, lib.tensor(IDX), s, reduce, include_self=include_self)
    else:
        s = lib.tensor(SOURCE, requires_grad=True)
        out = x.index_reduce(1, lib.tensor(SLOTS), s, reduce, include_self=include_self)
    weights = lib.tensor(np.arange(out.numel()).reshape(tuple(out.shape)) * 0.1 - 0.3)
    (out * weights).sum().backward()
    return out, x.grad, s.grad, out.grad_fn.name()


CASES = [(op, r, inc) for op in ("scatter_reduce", "index_reduce") for r in ("sum", "prod", "mean", "amax", "amin")
         for inc in (True, False) if not (op == "index_reduce" and r == "sum")]


@pytest.mark.parametrize("op,reduce,include_self", CASES)
def test_values_gradients_and_node_match_torch(op, reduce, include_self):
    ours, theirs = _run(C, op, reduce, include_self), _run(T, op, reduce, include_self)
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-13, atol=1e-14)
    assert ours[3] == theirs[3]


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_gradients_match_finite_differences(reduce):
    src = C.tensor(rng.standard_normal((2, 4)), requires_grad=True)  # (no ties: the max is differentiable)
    x = C.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    idx = C.tensor(IDX)
    assert C.autograd.gradcheck(lambda x, s: x.scatter_reduce(0, idx, s, reduce), (x, src))
    assert C.autograd.gradcheck(lambda x, s: C.scatter_reduce(x, 0, idx, s, reduce, include_self=False), (x, src))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_integers_and_float32_match_torch(reduce, include_self):
    for dtype in ("int64", "int32", "float32"):
        res = []
        for lib in (C, T):
            d = getattr(lib, dtype)
            x = lib.tensor([[5, -3, 8, 1], [2, 7, -6, 4], [9, 0, 3, -2]], dtype=d)
            src = lib.tensor([[4, -7, 2, 6], [-1, 3, 5, -8]], dtype=d)
            res.append(x.scatter_reduce(0, lib.tensor(IDX), src, reduce, include_self=include_self))
            if reduce != "sum":
                res.append(x.index_reduce(1, lib.tensor(SLOTS[:2]), lib.tensor([[1, 2], [3, 4], [5, 6]], dtype=d),
                                          reduce, include_self=include_self))
        half = len(res) // 2
        for a, b in zip(res[:half], res[half:]):
            assert a.tolist() == b.tolist() and str(a.dtype).rpartition(".")[2] == str(b.dtype).rpartition(".")[2]


def test_inplace_and_top_level_forms_match_torch():
    res = []
    for lib in (C, T):
        a = lib.tensor(X)
        a.scatter_reduce_(0, lib.tensor(IDX), lib.tensor(SRC), "amax")
        b = lib.tensor(X)
        b.index_reduce_(1, lib.tensor(SLOTS), lib.tensor(SOURCE), "mean", include_self=False)
        c = lib.scatter_reduce(lib.tensor(X), 1, lib.tensor(IDX[:, :3] % 3), lib.tensor(SRC), "prod")
        d = lib.index_reduce(lib.tensor(X), 0, lib.tensor([2, 2]), lib.tensor(SRC), "amin")
        res.append([t.numpy() for t in (a, b, c, d)])
    for ours, theirs in zip(*res):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_index_reduce_warns_it_is_in_beta_once():
    import chaingrad.ops.scatter_reduce as sr

    sr._warned.clear()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(2):
            C.tensor(X).index_reduce(1, C.tensor(SLOTS), C.tensor(SOURCE), "prod")
    assert [str(w.message) for w in seen] == ["index_reduce() is in beta and the API may change at any time."]


def test_max_min_spellings_and_int32_index_as_torch():
    for reduce in ("max", "min"):
        ours = C.tensor(X).scatter_reduce(0, C.tensor(IDX, dtype=C.int32), C.tensor(SRC), reduce)
        theirs = T.tensor(X).scatter_reduce(0, T.tensor(IDX, dtype=T.int32), T.tensor(SRC), reduce)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


ERRORS = {
    "bad_reduce": lambda L: L.tensor(X).scatter_reduce(0, L.tensor(IDX), L.tensor(SRC), "add"),
    "src_dtype": lambda L: L.tensor(X).scatter_reduce(0, L.tensor(IDX), L.tensor(SRC).float(), "sum"),
    "index_out_of_bounds": lambda L: L.tensor(X).scatter_reduce(0, L.tensor(IDX + 3), L.tensor(SRC), "sum"),
    "index_reduce_sum": lambda L: L.tensor(X).index_reduce(1, L.tensor(SLOTS), L.tensor(SOURCE), "sum"),
    "index_reduce_matrix_index": lambda L: L.tensor(X).index_reduce(1, L.tensor([SLOTS]), L.tensor(SOURCE), "prod"),
    "index_reduce_count": lambda L: L.tensor(X).index_reduce(1, L.tensor(SLOTS[:3]), L.tensor(SOURCE), "prod"),
    "index_reduce_out_of_range": lambda L: L.tensor(X).index_reduce(1, L.tensor([5, 0, 0, 0]), L.tensor(SOURCE),
                                                                    "prod"),
    "index_reduce_source_dtype": lambda L: L.tensor(X).index_reduce(1, L.tensor(SLOTS), L.tensor(SOURCE).float(),
                                                                    "prod"),
    "index_reduce_source_shape": lambda L: L.tensor(X).index_reduce(1, L.tensor(SLOTS), L.tensor(SOURCE[:2]),
                                                                    "prod"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_match_torch(case):
    got = []
    for lib in (C, T):
        with pytest.raises((RuntimeError, IndexError)) as e:
            ERRORS[case](lib)
        got.append((type(e.value), str(e.value)))
    assert got[0] == got[1]
