"""Tensor methods torch has only as methods (unfold, fill_diagonal_, sum_to_size, new, index_put, masked_scatter,
post-accumulate-grad hooks, storage queries), against torch: values, views, gradients and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.autograd import gradcheck


@pytest.mark.parametrize("shape,dim,size,step", [((10,), 0, 3, 2), ((4, 6), 1, 2, 1), ((4, 6), 0, 4, 3),
                                                  ((3, 5, 2), -2, 5, 1), ((2, 7), 1, 3, 3), ((), 0, 1, 1)])
def test_unfold_is_a_view_of_windows(shape, dim, size, step):
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    out = []
    for lib in (torch, cg):
        x = lib.tensor(data, requires_grad=True)
        base = x * 1
        y = base.unfold(dim, size, step)
        weights = lib.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)))
        (y * weights).sum().backward()
        out.append((y.detach().numpy().copy(), x.grad.numpy(), y.stride(), type(y.grad_fn).__name__,
                    y._base is base))
    (ty, tg, ts, tn, tb), (cy, cgr, cs, cn, cb) = out
    np.testing.assert_array_equal(cy, ty)
    np.testing.assert_allclose(cgr, tg, rtol=1e-12)
    assert cs == ts and cn == tn and cb == tb


def test_unfold_writes_reach_the_base_and_errors_are_torchs():
    for lib in (torch, cg):
        x = lib.zeros(6)
        x.unfold(0, 2, 2)[1, 0] = 5.0
        assert x.tolist() == [0, 0, 5, 0, 0, 0]
        with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 6 but size is 7"):
            x.unfold(0, 7, 1)
        with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
            x.unfold(0, 2, 0)
    x = cg.tensor(np.linspace(0, 1, 7), requires_grad=True)
    assert gradcheck(lambda t: t.unfold(0, 3, 2), (x,))


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((2, 4), True), ((7, 3), True), ((7, 3), False),
                                        ((3, 3, 3), False)])
def test_fill_diagonal(shape, wrap):
    want = torch.zeros(shape).fill_diagonal_(2.5, wrap=wrap)
    got = cg.zeros(shape)
    assert got.fill_diagonal_(2.5, wrap=wrap) is got
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    for lib in (torch, cg):
        with pytest.raises(RuntimeError):
            lib.zeros(3).fill_diagonal_(1)
        with pytest.raises(RuntimeError):
            lib.zeros(2, 3, 4).fill_diagonal_(1)


def test_fill_diagonal_gradient():
    out = []
    for lib in (torch, cg):
        w = lib.ones(3, 3, requires_grad=True)
        y = w * 2
        y.fill_diagonal_(0.0)
        y.sum().backward()
        out.append(w.grad.numpy())
    np.testing.assert_array_equal(out[1], out[0])


def test_sum_to_size_new_and_storage_queries():
    for lib in (torch, cg):
        a = lib.arange(12.0).reshape(3, 4)
        assert a.sum_to_size(1, 4).tolist() == a.sum(0, keepdim=True).tolist()
        assert a.sum_to_size((3, 1)).tolist() == a.sum(1, keepdim=True).tolist()
        with pytest.raises(RuntimeError, match="is not expandable to size"):
            a.sum_to_size(2, 4)
        assert a.new([1, 2]).dtype == a.dtype and a.new([1, 2]).tolist() == [1.0, 2.0]
        assert tuple(a.new(2, 5).shape) == (2, 5) and tuple(a.new(lib.Size([4])).shape) == (4,)
        assert tuple(a.new().shape) == (0,) and tuple(a.new(lib.Size([])).shape) == ()
        assert a.data_ptr() == a[0].data_ptr() and a[1].data_ptr() - a.data_ptr() == 16
        assert a[1].storage_offset() == 4 and a[1:, 2:].storage_offset() == 6 and a.storage_offset() == 0
        assert a.nbytes == 48 and a.itemsize == 4
        assert not a.is_sparse and not a.is_quantized and not a.is_nested and not a.is_mkldnn


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put(accumulate):
    out = []
    for lib in (torch, cg):
        x = lib.zeros(3, 4, dtype=lib.float64, requires_grad=True)
        v = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        where = (lib.tensor([0, 2, 0]), lib.tensor([1, 3, 1]))
        y = x.index_put(where, v, accumulate=accumulate)
        (y * lib.arange(12.0, dtype=lib.float64).reshape(3, 4)).sum().backward()
        z = lib.zeros(5)
        z.index_put_((lib.tensor([4, 1]),), lib.tensor(9.0))
        out.append((y.detach().numpy(), x.grad.numpy(), v.grad.numpy(), type(y.grad_fn).__name__, z.tolist()))
    for a, b in zip(*out):
        assert (a == b) if isinstance(a, (str, list)) else np.array_equal(a, b)
    with pytest.raises(RuntimeError, match="dtypes match"):
        cg.zeros(3).index_put((cg.tensor([0]),), cg.tensor([1.0], dtype=cg.float64))


def test_masked_scatter():
    mask = np.array([[True, False, True], [False, True, True]])
    out = []
    for lib in (torch, cg):
        x = lib.zeros(2, 3, requires_grad=True)
        src = lib.arange(10.0, requires_grad=True)
        y = (x * 1).masked_scatter(lib.tensor(mask), src)
        (y * lib.arange(6.0).reshape(2, 3)).sum().backward()
        z = lib.ones(2, 3)
        z.masked_scatter_(lib.tensor([True, False, True]), lib.tensor([7.0, 8.0, 9.0, 10.0, 11.0]))
        out.append((y.detach().numpy(), x.grad.numpy(), src.grad.numpy(), z.numpy()))
    for a, b in zip(*out):
        np.testing.assert_array_equal(b, a)


def test_post_accumulate_grad_hooks():
    for lib in (torch, cg):
        w = lib.ones(2, requires_grad=True)
        seen = []
        handle = w.register_post_accumulate_grad_hook(lambda p, seen=seen: seen.append(p.grad.tolist()))
        (w * 3).sum().backward()
        (w * 2).sum().backward()
        handle.remove()
        (w * 2).sum().backward()
        assert seen == [[3.0, 3.0], [5.0, 5.0]]
        with pytest.raises(RuntimeError):
            (w * 2).register_post_accumulate_grad_hook(lambda p: None)
