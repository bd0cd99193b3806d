"""Creating tensors: dtype inference from data as torch, shapes given as ``*size`` or ``size=``, dtype= and
requires_grad= keywords, ranges, and a seeded generator that makes random tensors reproducible."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import dtype_name

DATA = [1, 1.5, True, [1, 2], [1.0, 2], [[1, 2], [3, 4]], [True, False], [[1.5], [2.5]], [], 0, -3.0,
        [1, True], [[]], np.array([1, 2], dtype=np.int32), np.array([1.0], dtype=np.float64),
        np.array([1.0], dtype=np.float16), np.float64(2.0), np.array(3, dtype=np.uint8), (1, 2.5)]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_infers_dtype_shape_and_values_like_torch(data):
    c, t = cg.tensor(data), torch.tensor(data)
    assert dtype_name(c.dtype) == dtype_name(t.dtype)
    assert tuple(c.shape) == tuple(t.shape)
    assert c.tolist() == t.tolist()


def test_tensor_from_tensors_and_explicit_dtype():
    assert cg.tensor([cg.tensor(1.0), cg.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert cg.tensor([1, 2], dtype=cg.float64).dtype is cg.float64
    assert cg.tensor(2.7, dtype=cg.int64).item() == 2
    assert cg.tensor([1.0], dtype=float).dtype is cg.float64
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf


def test_tensor_copies_and_from_numpy_shares_memory():
    a = np.array([1.0, 2.0])
    c, f, s = cg.tensor(a), cg.from_numpy(a), cg.as_tensor(a)
    a[0] = 9.0
    assert c.tolist() == [1.0, 2.0] and f.tolist() == [9.0, 2.0] and s.tolist() == [9.0, 2.0]
    assert f.dtype is cg.float64
    assert cg.as_tensor([1, 2]).dtype is cg.int64
    assert cg.as_tensor(a, dtype=cg.float32).dtype is cg.float32


def test_tensor_rejects_ragged_and_non_numeric_data():
    with pytest.raises(ValueError):
        cg.tensor([[1, 2], [3]])
    with pytest.raises(TypeError):
        cg.tensor(["a"])


SHAPED = ["zeros", "ones", "empty", "rand", "randn"]


@pytest.mark.parametrize("name", SHAPED)
def test_size_as_varargs_tuple_list_and_keyword(name):
    fn = getattr(cg, name)
    for y in (fn(2, 3), fn((2, 3)), fn([2, 3]), fn(size=(2, 3)), fn(cg.Size([2, 3]))):
        assert y.shape == (2, 3) and y.dtype is cg.float32 and not y.requires_grad
    assert fn(4).shape == (4,) and fn(()).shape == () and fn(0, 3).shape == (0, 3)
    assert fn(2, dtype=cg.float64).dtype is cg.float64
    y = fn(2, requires_grad=True)
    assert y.requires_grad and y.is_leaf


@pytest.mark.parametrize("name", SHAPED)
def test_negative_size_raises_and_bad_size_type_raises(name):
    with pytest.raises(RuntimeError):
        getattr(cg, name)(-1)
    with pytest.raises(TypeError):
        getattr(cg, name)(2.5)


def test_fill_values_like_torch():
    pairs = [
        (lambda m: m.zeros(2, 3), None), (lambda m: m.ones(2, dtype=m.int64), None),
        (lambda m: m.full((2, 2), 7), None), (lambda m: m.full((2,), 1.5), None), (lambda m: m.full((2,), True), None),
        (lambda m: m.full([3], 2, dtype=m.float64), None),
        (lambda m: m.zeros_like(m.ones(2, 3, dtype=m.int32)), None), (lambda m: m.ones_like(m.ones(2)), None),
        (lambda m: m.full_like(m.ones(2, dtype=m.int64), 3), None),
        (lambda m: m.zeros_like(m.ones(2), dtype=m.float64), None),
        (lambda m: m.eye(3), None), (lambda m: m.eye(2, 4), None), (lambda m: m.eye(3, dtype=m.int64), None),
        (lambda m: m.ones(2).new_zeros(3), None), (lambda m: m.ones(2, dtype=m.float64).new_ones((2, 2)), None),
        (lambda m: m.ones(1, dtype=m.int64).new_tensor([1.5]), None),
        (lambda m: m.ones(1).new_full((2,), 4), None),
    ]
    for make, _ in pairs:
        c, t = make(cg), make(torch)
        assert dtype_name(c.dtype) == dtype_name(t.dtype) and c.tolist() == t.tolist()


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 10, 3), (0.0, 1.0, 0.25), (5, 0, -1), (1.5,), (0, 1, 0.1),
                                  (-3, 3), (10, 2, -3), (0, 0)], ids=str)
def test_arange_like_torch(args):
    c, t = cg.arange(*args), torch.arange(*args)
    assert dtype_name(c.dtype) == dtype_name(t.dtype)
    np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=1e-6)
    assert dtype_name(cg.arange(*args, dtype=cg.float64).dtype) == "float64"


def test_arange_errors():
    with pytest.raises(RuntimeError):
        cg.arange(0, 5, 0)
    with pytest.raises(RuntimeError):
        cg.arange(5, 0, 1)


@pytest.mark.parametrize("args", [(0, 1, 5), (-1, 1, 1), (2, 3, 0), (0, 10, 11), (1.5, -2, 4)], ids=str)
def test_linspace_like_torch(args):
    c, t = cg.linspace(*args), torch.linspace(*args)
    assert dtype_name(c.dtype) == dtype_name(t.dtype)
    np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)
    assert cg.linspace(*args, dtype=cg.float64).dtype is cg.float64


@pytest.mark.parametrize("steps", [16, 31, 100, 1000])
@pytest.mark.parametrize("ends", [(-1, 1), (0, 3), (-5.5, 2.25), (0.1, 0.7)], ids=str)
def test_float32_linspace_is_torchs_bit_for_bit(steps, ends):
    # torch's kernel: one fused multiply-add from either end per point; -1..1 in 16 steps is affine_grid's
    # base grid, where a last-bit difference moves a sample across a pixel edge
    np.testing.assert_array_equal(cg.linspace(*ends, steps).numpy(), torch.linspace(*ends, steps).numpy())
    f64 = cg.linspace(*ends, steps, dtype=cg.float64).numpy()
    np.testing.assert_allclose(f64, torch.linspace(*ends, steps, dtype=torch.float64).numpy(), rtol=0, atol=1e-15)


def test_random_shapes_dtypes_and_ranges():
    cg.manual_seed(0)
    r, n = cg.rand(1000), cg.randn(2000, dtype=cg.float64)
    assert r.dtype is cg.float32 and 0 <= r.min().item() and r.max().item() < 1
    assert n.dtype is cg.float64 and abs(n.mean().item()) < 0.1 and abs(n.std().item() - 1) < 0.1
    i = cg.randint(3, 7, (100,))
    assert i.dtype is cg.int64 and i.min().item() >= 3 and i.max().item() <= 6
    assert cg.randint(5, (2, 2)).shape == (2, 2) and cg.randint(5, size=(3,)).max().item() < 5
    assert cg.randint(0, 5, (2,), dtype=cg.int32).dtype is cg.int32
    p = cg.randperm(10)
    assert p.dtype is cg.int64 and sorted(p.tolist()) == list(range(10))
    g = cg.normal(2.0, 3.0, size=(4000,))
    assert g.dtype is cg.float32 and abs(g.mean().item() - 2) < 0.2 and abs(g.std().item() - 3) < 0.2
    m = cg.normal(cg.zeros(3, dtype=cg.float64), cg.ones(3, dtype=cg.float64))
    assert m.shape == (3,) and m.dtype is cg.float64
    assert cg.normal(cg.zeros(2, 2), 1.0).shape == (2, 2)
    assert cg.rand_like(cg.ones(2, dtype=cg.float64)).dtype is cg.float64
    assert cg.randn_like(cg.ones(2, 3)).shape == (2, 3)
    with pytest.raises(RuntimeError):
        cg.randint(5, 5, (2,))
    with pytest.raises(RuntimeError):
        cg.normal(0.0, -1.0, size=(2,))


def test_manual_seed_makes_every_random_function_reproducible():
    def draw():
        return [cg.rand(3).tolist(), cg.randn(2, 2).tolist(), cg.randint(0, 100, (5,)).tolist(),
                cg.randperm(6).tolist(), cg.normal(0.0, 1.0, size=(3,)).tolist(), cg.ones(3).normal_().tolist(),
                cg.ones(3).uniform_(-1, 1).tolist()]
    cg.manual_seed(123)
    first = draw()
    cg.manual_seed(123)
    assert draw() == first
    cg.manual_seed(124)
    assert draw() != first


def test_generator_state_and_separate_generators():
    cg.manual_seed(7)
    state = cg.get_rng_state()
    a = cg.rand(3).tolist()
    cg.set_rng_state(state)
    assert cg.rand(3).tolist() == a
    g1, g2 = cg.Generator().manual_seed(5), cg.Generator().manual_seed(5)
    assert cg.rand(4, generator=g1).tolist() == cg.rand(4, generator=g2).tolist()
    assert cg.initial_seed() == 7
