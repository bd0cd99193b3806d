"""NumPy-style shape helpers and the tensor builders of torch's namespace (ops/stacking.py, embed.py, lookup.py,
creation_extra.py): values, dtypes, grad_fn names and gradients as torch's, float64 finite differences, and
torch's exceptions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch
from op_helpers import assert_raises_like_torch, assert_same_grad_fn

R = np.random.default_rng(0)
S0, V3, M34, T234 = R.standard_normal(()), R.standard_normal(3), R.standard_normal((3, 4)), R.standard_normal((2, 3, 4))

CASES = [
    ("atleast_1d", lambda T, a: T.atleast_1d(a), [S0]),
    ("atleast_1d_many", lambda T, a, b: T.atleast_1d(a, b), [S0, V3]),
    ("atleast_2d", lambda T, a, b, c: T.atleast_2d([a, b, c]), [S0, V3, M34]),
    ("atleast_3d", lambda T, a, b, c, d: T.atleast_3d(a, b, c, d), [S0, V3, M34, T234]),
    ("column_stack", lambda T, a, b: T.column_stack([a, b]), [V3, M34]),
    ("column_stack_0d", lambda T, a, b: T.column_stack([a, b]), [S0, S0]),
    ("row_stack", lambda T, a, b: T.row_stack([a, b]), [R.standard_normal(4), M34]),
    ("dstack", lambda T, a, b: T.dstack([a, b]), [M34, T234[0]]),
    ("dstack_1d", lambda T, a, b: T.dstack((a, b)), [V3, V3]),
    ("hsplit_sections", lambda T, a: T.hsplit(a, 2), [M34]),
    ("hsplit_indices", lambda T, a: T.hsplit(a, [1, 3, 9]), [M34]),
    ("hsplit_1d", lambda T, a: a.hsplit([2]), [V3]),
    ("vsplit", lambda T, a: T.vsplit(a, [1, 2]), [M34]),
    ("dsplit", lambda T, a: T.dsplit(a, 2), [T234]),
    ("split_with_sizes", lambda T, a: T.split_with_sizes(a, [1, 3], 1), [M34]),
    ("unsafe_split", lambda T, a: T.unsafe_split(a, 3, 1), [M34]),
    ("unsafe_chunk", lambda T, a: a.unsafe_chunk(2, -1), [T234]),
    ("cartesian_prod", lambda T, a, b: T.cartesian_prod(a, b), [V3, R.standard_normal(2)]),
    ("cartesian_prod_3", lambda T, a, b, c: T.cartesian_prod(a, b, c), [V3, R.standard_normal(2), V3]),
    ("combinations", lambda T, a: T.combinations(a), [R.standard_normal(4)]),
    ("combinations_r3", lambda T, a: T.combinations(a, 3), [R.standard_normal(4)]),
    ("combinations_repl", lambda T, a: T.combinations(a, 2, with_replacement=True), [V3]),
    ("block_diag", lambda T, a, b, c: T.block_diag(a, b, c), [M34, V3, S0]),
    ("block_diag_one", lambda T, a: T.block_diag(a), [M34]),
    ("take", lambda T, a: T.take(a, T.tensor([[0, 5], [-1, 5]])), [M34]),
    ("take_0d", lambda T, a: a.take(T.tensor(0)), [S0]),
    ("select_scatter", lambda T, a, b: T.select_scatter(a, b, 1, -1), [M34, V3]),
    ("select_scatter_0d", lambda T, a, b: T.select_scatter(a, b, 0, 1), [V3, S0]),
    ("slice_scatter", lambda T, a, b: T.slice_scatter(a, b, 1, 0, None, 2), [M34, R.standard_normal((3, 2))]),
    ("slice_scatter_default", lambda T, a, b: a.slice_scatter(b), [M34, R.standard_normal((3, 4))]),
    ("diagonal_scatter", lambda T, a, b: T.diagonal_scatter(a, b), [M34, V3]),
    ("diagonal_scatter_offset", lambda T, a, b: T.diagonal_scatter(a, b, 1), [M34, V3]),
    ("diagonal_scatter_below", lambda T, a, b: T.diagonal_scatter(a, b, -1), [M34, R.standard_normal(2)]),
    ("diagonal_scatter_3d", lambda T, a, b: T.diagonal_scatter(a, b, 0, 2, 0), [T234, R.standard_normal((3, 2))]),
    ("aminmax", lambda T, a: T.aminmax(a), [M34]),
    ("aminmax_dim", lambda T, a: T.aminmax(a, dim=1), [M34]),
    ("aminmax_keepdim", lambda T, a: a.aminmax(dim=0, keepdim=True), [M34]),
    ("aminmax_all_keepdim", lambda T, a: T.aminmax(a, keepdim=True), [M34]),
    ("aminmax_0d", lambda T, a: T.aminmax(a, dim=0), [S0]),
    ("aminmax_ties", lambda T, a: T.aminmax(a, dim=1), [np.array([[1.0, 3.0, 3.0, 1.0], [2.0, 2.0, 2.0, 2.0]])]),
    ("vander", lambda T, a: T.vander(a), [V3]),
    ("vander_N", lambda T, a: T.vander(a, 5), [np.array([0.0, 1.5, -2.0])]),
    ("vander_increasing", lambda T, a: T.vander(a, 4, increasing=True), [V3]),
    ("vander_1", lambda T, a: T.vander(a, 1), [V3]),
]


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_matches_torch_in_values_and_gradients(name, fn, arrays):
    for dtype in (np.float32, np.float64):  # (torch 2.13's vander fails in its own backward: values only)
        compare_with_torch(fn, arrays, dtype=dtype, check_grad=not name.startswith("vander"))


SMOOTH = [c for c in CASES if c[0] != "aminmax_ties"]  # (at ties the finite differences are one-sided)


@pytest.mark.parametrize("name, fn, arrays", SMOOTH, ids=[c[0] for c in SMOOTH])
def test_gradients_match_finite_differences(name, fn, arrays):
    check_finite_differences(fn, arrays)


@pytest.mark.parametrize("name, fn, arrays", [c for c in CASES if c[0] != "vander_increasing"],
                         ids=[c[0] for c in CASES if c[0] != "vander_increasing"])
def test_grad_fn_names_are_torchs(name, fn, arrays):
    assert_same_grad_fn(fn, arrays)


def test_atleast_returns_the_same_tensor_when_it_has_the_dims():
    t = cg.ones(2, 3)
    assert cg.atleast_1d(t) is t and cg.atleast_2d(t) is t
    assert isinstance(cg.atleast_1d(t), cg.Tensor) and isinstance(cg.atleast_1d([t]), tuple)


def test_split_views_share_memory():
    t = cg.arange(12.0).reshape(3, 4)
    left, _ = cg.hsplit(t, 2)
    left[0, 0] = 100.0
    assert float(t[0, 0]) == 100.0


def test_ints_and_bools():
    a = np.array([[1, 0, 3], [0, 5, 0]])
    for fn in (lambda T, x: T.argwhere(x), lambda T, x: T.take(x, T.tensor([4, 0])), lambda T, x: T.aminmax(x),
               lambda T, x: T.vander(x[0]), lambda T, x: T.column_stack([x, x]), lambda T, x: T.block_diag(x, x),
               lambda T, x: T.isin(x, T.tensor([0, 3])), lambda T, x: T.isin(x, 5, invert=True),
               lambda T, x: T.isin(3, x), lambda T, x: T.argwhere(x > 0), lambda T, x: T.aminmax(x > 1),
               lambda T, x: T.vander(x[0] > 0, 3), lambda T, x: T.argwhere(x[0, 0])):
        compare_with_torch(fn, [a])
    compare_with_torch(lambda T, x: T.block_diag(x, T.ones(2)), [a])  # int and float: the common dtype
    compare_with_torch(lambda T, x, y: T.isin(x, y), [np.array([1.0, 2.5, np.nan]), np.array([2.5, np.nan])])


@pytest.mark.parametrize("indices, shape", [([5, 7, 0], (3, 4)), ([-1, -6], (2, 3)), ([7, -7], (2, 3)),
                                             (4, (2, 3)), ([[1, 2], [3, 4]], (5,)), ([0], ()), ([2], 3)])
def test_unravel_index_matches_torch(indices, shape):
    ours = cg.unravel_index(cg.tensor(indices), shape)
    theirs = torch.unravel_index(torch.tensor(indices), shape)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.dtype == cg.int64 and a.tolist() == b.tolist()


@pytest.mark.parametrize("fn", [
    lambda T: T.hsplit(T.ones(3, 4), 3), lambda T: T.hsplit(T.tensor(1.0), 1), lambda T: T.vsplit(T.ones(3), 1),
    lambda T: T.dsplit(T.ones(2, 2), 2), lambda T: T.cartesian_prod(T.ones(2, 2)),
    lambda T: T.combinations(T.ones(2, 2)),
    lambda T: T.block_diag(T.ones(2), T.ones(1, 1, 1)), lambda T: T.take(T.ones(3, 4), T.tensor([12])),
    lambda T: T.take(T.ones(3, 4), T.tensor([-13])), lambda T: T.take(T.ones(2), T.tensor([1], dtype=T.int32)),
    lambda T: T.take(T.ones(2), T.tensor([1.0])), lambda T: T.select_scatter(T.ones(3, 4), T.ones(3, 1), 1, 0),
    lambda T: T.select_scatter(T.ones(3, 4), T.ones(3), 1, 5),
    lambda T: T.slice_scatter(T.ones(3, 4), T.ones(3, 3), 1, 0, 2),
    lambda T: T.diagonal_scatter(T.ones(3, 4), T.ones(4)), lambda T: T.aminmax(T.ones(0)),
    lambda T: T.aminmax(T.ones(2, 0), dim=1), lambda T: T.vander(T.ones(2, 2)), lambda T: T.vander(T.ones(2), -1),
    lambda T: T.unravel_index(T.tensor([1.0]), (2,)), lambda T: T.unravel_index(T.tensor(1), (2, -3)),
    lambda T: T.unravel_index(4, (2, 3)), lambda T: T.isin(2, 3), lambda T: T.split_with_sizes(T.ones(4), [1, 2]),
    lambda T: T.unsafe_chunk(T.ones(4), 0),
])
def test_errors_are_torchs(fn):
    error = assert_raises_like_torch(fn)
    with pytest.raises(type(error)) as theirs:
        fn(torch)
    first = str(theirs.value).split("\n")[0]
    if not isinstance(error, TypeError):
        assert str(error).startswith(first[:40]), (str(error), first)


def test_combinations_of_fewer_elements_than_r_and_of_r_0():
    for r in (0, 5):
        ours, theirs = cg.combinations(cg.arange(3.0), r), torch.combinations(torch.arange(3.0), r)
        assert tuple(ours.shape) == tuple(theirs.shape)


def test_block_diag_of_nothing_and_of_empty_blocks():
    assert tuple(cg.block_diag().shape) == tuple(torch.block_diag().shape) == (1, 0)
    ours = cg.block_diag(cg.ones(0, 2), cg.ones(2, 0))
    assert tuple(ours.shape) == tuple(torch.block_diag(torch.ones(0, 2), torch.ones(2, 0)).shape)


def test_scatters_cast_src_to_inputs_dtype_and_leave_input_alone():
    x = cg.zeros(3, 4)
    out = cg.select_scatter(x, cg.ones(3, dtype=cg.float64), 1, 0)
    assert out.dtype == cg.float32 and float(x.sum()) == 0.0 and float(out.sum()) == 3.0


def test_asarray_shares_memory_with_numpy_as_torch():
    a = np.arange(3.0)
    t = cg.asarray(a)
    assert t.dtype == cg.float64 and np.shares_memory(t.numpy(), a)
    assert not np.shares_memory(cg.asarray(a, copy=True).numpy(), a)
    assert not np.shares_memory(cg.asarray(a, dtype=cg.float32).numpy(), a)
    for lib in (cg, torch):
        with pytest.raises(ValueError, match="can't alias tensor with dtype 'Double' into dtype 'Float'"):
            lib.asarray(a, dtype=lib.float32, copy=False)
        with pytest.raises(ValueError, match="can't alias arbitrary sequence into a tensor"):
            lib.asarray([1.0], copy=False)
    assert np.shares_memory(cg.asarray(a, copy=False).numpy(), a)


def test_asarray_of_tensors_and_python_data():
    t = cg.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="unspecified requires_grad now defaults to obj.requires_grad"):
        assert cg.asarray(t) is t
    c = cg.asarray(t, copy=True, requires_grad=True)
    assert c.grad_fn.name() == "CloneBackward0" and c is not t
    assert cg.asarray(t, dtype=cg.float64, requires_grad=True).grad_fn.name() == "ToCopyBackward0"
    u = cg.asarray(cg.ones(2), requires_grad=True)
    assert u.requires_grad and u.is_leaf
    for data in ([1, 2.5], 3, np.float64(3), [cg.tensor(1.0), cg.tensor(2.0)], True):
        theirs = torch.asarray([torch.tensor(1.0), torch.tensor(2.0)] if isinstance(data, list)
                                and isinstance(data[0], cg.Tensor) else data)
        ours = cg.asarray(data)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1] and ours.tolist() == theirs.tolist()
    for lib in (cg, torch):
        with pytest.raises(RuntimeError, match="floating point"):
            lib.asarray([1], requires_grad=True)


def test_frombuffer_shares_a_writable_buffer():
    b = bytearray(b"\x01\x00\x00\x00\x02\x00\x00\x00")
    t = cg.frombuffer(b, dtype=cg.int32)
    assert t.tolist() == torch.frombuffer(bytearray(b), dtype=torch.int32).tolist() == [1, 2]
    t[0] = 7
    assert b[0] == 7
    assert cg.frombuffer(b, dtype=cg.int8, count=3, offset=2).tolist() == [0, 0, 2]
    f = cg.frombuffer(bytearray(np.arange(3.0).tobytes()), dtype=cg.float64, requires_grad=True)
    assert f.requires_grad and f.tolist() == [0.0, 1.0, 2.0]


def test_frombuffer_copies_a_read_only_buffer():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = cg.frombuffer(b"\x01\x02", dtype=cg.uint8)
    t[0] = 9
    assert t.tolist() == [9, 2]


@pytest.mark.parametrize("kwargs", [dict(dtype="int64", offset=1), dict(dtype="int32", count=5),
                                    dict(dtype="int8", offset=8)])
def test_frombuffer_errors_are_torchs(kwargs):
    b = bytearray(8)
    kwargs = dict(kwargs)
    name = kwargs.pop("dtype")
    with pytest.raises(ValueError) as theirs:
        torch.frombuffer(b, dtype=getattr(torch, name), **kwargs)
    with pytest.raises(ValueError) as ours:
        cg.frombuffer(b, dtype=getattr(cg, name), **kwargs)
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="must not be 0"):
        cg.frombuffer(bytearray(), dtype=cg.int32)


def test_empty_strided():
    t = cg.empty_strided((2, 3), (1, 2))
    assert t.stride() == torch.empty_strided((2, 3), (1, 2)).stride() == (1, 2) and not t.is_contiguous()
    t.fill_(3.0)
    assert t.tolist() == [[3.0] * 3] * 2
    assert cg.empty_strided((2, 0), (1, 2)).shape == (2, 0)
    d = cg.empty_strided((2,), (1,), dtype=cg.float64, requires_grad=True)
    assert d.dtype == cg.float64 and d.requires_grad
    for size, stride in (((2, 3), (1,)), ((2, 3), (-1, 2))):
        assert_raises_like_torch(lambda T, size=size, stride=stride: T.empty_strided(size, stride))


@pytest.mark.parametrize("args, kwargs", [((0, 4), {}), ((4, 0, -1.5), {}), ((0, 1, 0.1), {"dtype": "float64"}),
                                          ((0, 1, 0.25), {"requires_grad": True}), ((1, 3), {"dtype": "int64"}),
                                          ((2, 2), {})])
def test_range_includes_its_end_and_warns(args, kwargs):
    def call(lib):
        kw = {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
        with pytest.warns(UserWarning, match="torch.range is deprecated"):
            return lib.range(*args, **kw)
    ours, theirs = call(cg), call(torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy())


@pytest.mark.parametrize("args", [(0, 4, -1), (0, 4, 0), (1, 0), (4,)])
def test_range_errors_are_torchs(args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_raises_like_torch(lambda T: T.range(*args))
