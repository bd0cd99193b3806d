"""Indexing: reads (basic and advanced) and their scatter-add gradients, gather/index_select/masked ops, and
writes (``__setitem__``) equal PyTorch's, including repeated indices; errors like torch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch, rand_array

IDX = np.array([2, 0, 2, 1])  # repeated on purpose: the gradient must accumulate

READS = {
    "int": lambda m, x: x[1],
    "neg_int": lambda m, x: x[-1, -2],
    "slice": lambda m, x: x[1:, :2],
    "slice_step": lambda m, x: x[::2, 1::2],
    "slice_neg": lambda m, x: x[-2:, :-1],
    "none": lambda m, x: x[None, :, None],
    "ellipsis": lambda m, x: x[..., 1],
    "ellipsis_none": lambda m, x: x[..., None, 0],
    "int_tensor": lambda m, x: x[m.tensor(IDX)],
    "int_tensor_2d": lambda m, x: x[m.tensor([[0, 1], [2, 2]])],
    "list": lambda m, x: x[[0, 2, 2]],
    "range_and_labels": lambda m, x: x[range(3), m.tensor([1, 0, 3])],
    "list_pair": lambda m, x: x[[0, 1, 1], [3, 3, 0]],
    "tensor_then_slice": lambda m, x: x[m.tensor(IDX), 1:3],
    "slice_then_tensor": lambda m, x: x[:, m.tensor([3, 3, 0])],
    "bool_mask": lambda m, x: x[x > 0],
    "bool_row_mask": lambda m, x: x[m.tensor([True, False, True])],
    "bool_mask_2d_sum": lambda m, x: x[x.abs() > 0.5].sum(),
    "int_tensor_3d": lambda m, x: x.reshape(2, 2, 3)[m.tensor([1, 1]), :, m.tensor([0, 2])],
    "gather": lambda m, x: m.gather(x, 1, m.tensor([[0, 0], [3, 1], [2, 2]])),
    "gather_dim0": lambda m, x: x.gather(0, m.tensor([[0, 1, 2, 0], [2, 2, 2, 2]])),
    "index_select": lambda m, x: m.index_select(x, 1, m.tensor([3, 0, 3])),
    "index_select_0": lambda m, x: x.index_select(0, m.tensor(IDX)),
    "masked_fill": lambda m, x: x.masked_fill(x > 0.5, -1.0),
    "masked_fill_fn": lambda m, x: m.masked_fill(x, m.tensor([True, False, False, True]), 2.0),
    "masked_select": lambda m, x: m.masked_select(x, x < 0),
    "masked_select_broadcast": lambda m, x: x.masked_select(m.tensor([True, False, True, False])),
    "take_along_dim": lambda m, x: m.take_along_dim(x, m.tensor([[1], [0], [3]]), 1),
    "take_along_dim_argmax": lambda m, x: m.take_along_dim(x, x.argmax(1, keepdim=True), dim=1),
    "take_along_dim_flat": lambda m, x: m.take_along_dim(x, m.tensor([5, 0, 5, 11])),
    "take_along_dim_broadcast": lambda m, x: m.take_along_dim(x[:, None], m.tensor([[[1, 3], [0, 0]]]), 2),
    "getitem_chain": lambda m, x: x[1:][0][::-1] if m is not torch else x[1:][0].flip(0),
    "chain": lambda m, x: (x[:, 1:3] * x[m.tensor([0, 0, 2]), :2]).sum(1)[m.tensor([1, 1])],
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(set(READS) - {"getitem_chain"}))
def test_index_read_matches_torch(name, dtype):
    x = rand_array(np.random.default_rng(0), (3, 4), "nonzero")
    if name == "int_tensor_3d":
        x = rand_array(np.random.default_rng(0), (3, 4), "nonzero")
    compare_with_torch(READS[name], [x], dtype=dtype)


@pytest.mark.parametrize("name", sorted(set(READS) - {"getitem_chain"}))
def test_index_read_matches_finite_differences(name):
    check_finite_differences(READS[name], [rand_array(np.random.default_rng(1), (3, 4), "nonzero")])


def test_negative_step_slice_is_refused_like_torch():
    with pytest.raises(ValueError):
        torch.ones(3)[::-1]
    # chaingrad allows what NumPy allows; the values must be right
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[::-1]
    (y * cg.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert y.tolist() == [3.0, 2.0, 1.0] and x.grad.tolist() == [100.0, 10.0, 1.0]


def test_repeated_indices_accumulate_the_gradient():
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[cg.tensor([0, 0, 0, 2])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_scatter_add_like_torch():
    def fn(m, x, src):
        return m.scatter_add(x, 1, m.tensor([[0, 1, 0], [2, 2, 2]]), src)
    compare_with_torch(fn, [np.zeros((2, 4)), np.arange(6.0).reshape(2, 3)])
    compare_with_torch(lambda m, x, s: x.scatter_add(0, m.tensor([[1, 0, 1]]), s), [np.ones((2, 3)), np.ones((1, 3))])


def test_scatter_add_records_torchs_node_with_its_second_derivative_and_errors():
    from op_helpers import assert_same_grad_fn, compare_second_derivatives

    def fn(m, x, src):
        return (m.scatter_add(x * x, 1, m.tensor([[0, 1, 0], [2, 2, 2]]), src * src) * x).sum(1)

    arrays = [np.arange(8.0).reshape(2, 4) / 7, np.arange(6.0).reshape(2, 3) / 5 - 0.5]
    assert_same_grad_fn(lambda m, x, s: m.scatter_add(x, 1, m.tensor([[0, 1, 0], [2, 2, 2]]), s), arrays)
    compare_with_torch(fn, arrays)
    compare_second_derivatives(fn, arrays)
    for lib in (torch, cg):
        with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
            lib.zeros(1, 4).scatter_add(1, lib.tensor([[0]]), lib.ones(1, 1, dtype=lib.float64))


SETS = {
    "int": lambda m, x, v: x.__setitem__(1, v[0]),
    "slice": lambda m, x, v: x.__setitem__((slice(None), slice(1, 3)), v[:, :2]),
    "scalar": lambda m, x, v: x.__setitem__((0, 0), 5.0),
    "mask": lambda m, x, v: x.__setitem__(x > 0, 0.0),
    "int_tensor": lambda m, x, v: x.__setitem__(m.tensor([0, 2]), v[:2]),
    "broadcast_row": lambda m, x, v: x.__setitem__((slice(None), 0), v[0, :3]),
    "tensor_value_broadcast": lambda m, x, v: x.__setitem__(1, v[0, 0]),
    "ellipsis": lambda m, x, v: x.__setitem__(Ellipsis, v[0]),
    "full_slice": lambda m, x, v: x.__setitem__(slice(None), v),
    "none": lambda m, x, v: x.__setitem__(None, v[1]),
    "leading_ones": lambda m, x, v: x.__setitem__(2, v[:1]),
    "int_and_tensor": lambda m, x, v: x.__setitem__((1, m.tensor([3, 0])), v[0, :2]),
    "column_of_transposed": lambda m, x, v: x.t().__setitem__(1, v[:, 2]),
    "twice": lambda m, x, v: (x.__setitem__(0, v[1]), x.__setitem__((slice(None), 1), v[2, :3])),
    "through_a_view": lambda m, x, v: x[1:].__setitem__((0, slice(1, None)), v[0, :3]),
    "other_dtype": lambda m, x, v: x.__setitem__(0, v[0].double()),
    "view_mul_": lambda m, x, v: x[1].mul_(v[0]),
    "view_add_": lambda m, x, v: x[:, 1:3].add_(v[:, :2]),
    "view_relu_": lambda m, x, v: x[0].relu_(),
    "view_zero_": lambda m, x, v: x[:, 0].zero_(),
    "view_copy_": lambda m, x, v: x[2].copy_(v[1]),
    "view_clamp_": lambda m, x, v: x[0].clamp_(-1.0, 1.0),
    "view_pow_": lambda m, x, v: x[1:].pow_(2),
    "fill_tensor": lambda m, x, v: x[1].fill_(v[0, 0]),
}


@pytest.mark.parametrize("name", sorted(SETS))
def test_setitem_on_a_non_leaf_matches_torch(name):
    def fn(m, x, v):
        y = x * 2
        SETS[name](m, y, v * 3)
        return y * y
    rng = np.random.default_rng(4)
    compare_with_torch(fn, [rand_array(rng, (3, 4), "nonzero"), rand_array(rng, (3, 4), "nonzero")])


@pytest.mark.parametrize("name", sorted(SETS))
def test_setitem_matches_finite_differences(name):
    def fn(m, x, v):
        y = x * 2
        SETS[name](m, y, v * 3)
        return y * y
    rng = np.random.default_rng(5)
    check_finite_differences(fn, [rand_array(rng, (3, 4), "nonzero"), rand_array(rng, (3, 4), "nonzero")])


@pytest.mark.parametrize("create_graph", [False, True])
def test_setitem_second_derivatives_match_torch(create_graph):
    """Through CopySlices (writes through views) and IndexPut: the gradient, and with create_graph the
    gradient of the gradient, equal torch's."""
    rng = np.random.default_rng(6)
    arrays = [rand_array(rng, (3, 4), "nonzero"), rand_array(rng, (3, 4), "nonzero")]

    def run(m):
        x, v = (m.tensor(a, requires_grad=True) for a in arrays)
        y = x * x
        y[0] = v[1] * v[1]
        y[1:, 1].mul_(v[2, :2])
        y[m.tensor([2])] = y[0] * 3
        gx, gv = m.autograd.grad((y ** 3).sum(), [x, v], create_graph=create_graph)
        if not create_graph:
            return [gx, gv]
        return [gx, gv, *m.autograd.grad((gx * gx).sum() + gv.sin().sum(), [x, v])]

    for ours, theirs in zip(run(cg), run(torch)):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)


def test_a_write_through_a_view_frees_its_graph_after_backward_like_torch():
    x = cg.ones(3, 4, requires_grad=True)
    y = x * 2
    y[0] = 5.0
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()
    assert x.grad.tolist() == [[0.0] * 4] + [[2.0] * 4] * 2


def test_setitem_value_that_does_not_broadcast_raises_like_torch():
    for lib in (cg, torch):
        with pytest.raises(RuntimeError, match=r"\[3\]" if lib is cg else "size"):
            lib.zeros(3, 4)[0] = lib.ones(3)
        with pytest.raises(RuntimeError):
            lib.zeros(3, 4)[0].copy_(lib.ones(3))


def test_setitem_converts_the_value_to_the_tensor_dtype_like_torch():
    x, t = cg.zeros(3, dtype=cg.int64), torch.zeros(3, dtype=torch.int64)
    x[0], t[0] = 2.7, 2.7
    x[1:], t[1:] = cg.tensor([1.5, -1.5]), torch.tensor([1.5, -1.5])
    assert x.tolist() == t.tolist()


def test_setitem_with_a_0d_integer_tensor_index_converts_the_value_like_an_int_index():
    # d2l's assign_anchor_to_bbox: jaccard[:, box_idx] = torch.full((n,), -1) with box_idx a 0-d long tensor
    results = []
    for lib in (cg, torch):
        x = lib.zeros(3, 4)
        x[:, lib.tensor(1)] = lib.full((3,), -1)
        x[lib.tensor(2), :] = lib.full((4,), -2)
        with pytest.raises(RuntimeError, match="dtypes match"):
            x[lib.tensor([0])] = lib.full((1, 4), -3)
        w = lib.zeros(3, requires_grad=True).clone()
        w[lib.tensor(1)] = lib.tensor(4)
        results.append((x.tolist(), w.tolist(), repr(w).replace("chaingrad", "torch")))
    assert results[0] == results[1] and "grad_fn=<CopySlices>" in results[0][2]


def test_setitem_on_a_leaf_that_requires_grad_raises():
    x = cg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0] = 2.0
    with cg.no_grad():
        x[0] = 2.0
    assert x.tolist() == [2.0, 1.0, 1.0]


@pytest.mark.parametrize("call", [
    lambda m: m.ones(3)[3],
    lambda m: m.ones(2, 3)[:, 5],
    lambda m: m.ones(2, 3)[0, 0, 0],
    lambda m: m.ones(3)[m.tensor([0, 5])],
    lambda m: m.ones(3)[m.tensor([0.0])],
    lambda m: m.ones(3, 2).index_select(2, m.tensor([0])),
    lambda m: m.tensor(1.0)[m.tensor([0])],
])
def test_out_of_range_index_raises_index_error(call):
    for lib in (cg, torch):
        with pytest.raises(IndexError):
            call(lib)


def test_gather_requires_same_ndim_and_int_index():
    for lib in (cg, torch):
        with pytest.raises(RuntimeError):
            lib.gather(lib.ones(2, 3), 1, lib.tensor([0, 1]))
        with pytest.raises(RuntimeError):
            lib.gather(lib.ones(2, 3), 1, lib.tensor([[0.0]]))


def test_nonzero_and_where_with_one_argument_like_torch():
    x = np.array([[0.0, 1.0], [2.0, 0.0]])
    compare_with_torch(lambda m, x: (x.nonzero(), m.nonzero(x, as_tuple=True)[1], m.where(x > 0)[0]), [x],
                       check_grad=False)


def test_index_with_a_0d_int_tensor_and_python_int_tensor_index():
    x = cg.arange(6.0).reshape(2, 3)
    i = cg.tensor(1)
    assert x[i].tolist() == [3.0, 4.0, 5.0]
    assert x[0, i].item() == 1.0
    assert [1.0, 2.0, 3.0][cg.tensor(2)] == 3.0
