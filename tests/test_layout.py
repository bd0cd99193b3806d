"""``layout=``: chaingrad's tensors are strided (dense), as torch's by default; every creation function checks
the argument instead of ignoring it, and ``Tensor.layout`` says strided."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch

import chaingrad as cg

MAKERS = {
    "zeros": lambda L, **k: L.zeros(2, 3, **k),
    "ones": lambda L, **k: L.ones(2, **k),
    "empty": lambda L, **k: L.empty(2, **k),
    "full": lambda L, **k: L.full((2,), 1.5, **k),
    "zeros_like": lambda L, **k: L.zeros_like(L.ones(2), **k),
    "ones_like": lambda L, **k: L.ones_like(L.ones(2), **k),
    "empty_like": lambda L, **k: L.empty_like(L.ones(2), **k),
    "full_like": lambda L, **k: L.full_like(L.ones(2), 3.0, **k),
    "arange": lambda L, **k: L.arange(4, **k),
    "linspace": lambda L, **k: L.linspace(0, 1, 5, **k),
    "logspace": lambda L, **k: L.logspace(0, 1, 5, **k),
    "eye": lambda L, **k: L.eye(3, **k),
    "scalar_tensor": lambda L, **k: L.scalar_tensor(2.0, **k),
    "rand": lambda L, **k: L.rand(3, **k),
    "randn": lambda L, **k: L.randn(3, **k),
    "rand_like": lambda L, **k: L.rand_like(L.ones(2), **k),
    "randn_like": lambda L, **k: L.randn_like(L.ones(2), **k),
    "randint": lambda L, **k: L.randint(0, 5, (3,), **k),
    "randint_like": lambda L, **k: L.randint_like(L.ones(2), 5, **k),
    "randperm": lambda L, **k: L.randperm(4, **k),
    "normal": lambda L, **k: L.normal(0.0, 1.0, size=(3,), **k),
    "tril_indices": lambda L, **k: L.tril_indices(3, 3, **k),
    "triu_indices": lambda L, **k: L.triu_indices(3, 3, **k),
    "new_zeros": lambda L, **k: L.ones(2).new_zeros(3, **k),
    "new_ones": lambda L, **k: L.ones(2).new_ones(3, **k),
    "new_empty": lambda L, **k: L.ones(2).new_empty(3, **k),
    "new_full": lambda L, **k: L.ones(2).new_full((3,), 2.0, **k),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_strided_is_accepted_and_is_the_layout(name):
    make = MAKERS[name]
    torch.manual_seed(0)
    want = make(torch, layout=torch.strided)
    cg.manual_seed(0)
    got = make(cg, layout=cg.strided)
    assert got.layout is cg.strided and want.layout is torch.strided
    assert tuple(got.shape) == tuple(want.shape)
    if "empty" not in name:  # (uninitialized memory)
        assert got.tolist() == want.tolist()


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_other_layouts_raise_instead_of_giving_a_dense_tensor(name):
    with pytest.raises(NotImplementedError, match=r"layout=chaingrad\.sparse_coo.*dense"):
        MAKERS[name](cg, layout=cg.sparse_coo)


@pytest.mark.parametrize("name", ["zeros", "rand", "randint", "arange"])
def test_a_non_layout_is_a_type_error_naming_the_op(name):
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'layout' must be chaingrad.layout, not str"):
        MAKERS[name](cg, layout="strided")
    with pytest.raises(TypeError):
        MAKERS[name](torch, layout="strided")


def test_the_layouts_torch_names():
    names = sorted(n for n in dir(torch) if isinstance(getattr(torch, n), torch.layout))
    for n in names:
        assert isinstance(getattr(cg, n), cg.layout) and repr(getattr(cg, n)) == f"chaingrad.{n}"
    assert pickle.loads(pickle.dumps(cg.sparse_csr)) is cg.sparse_csr
    assert copy.deepcopy(cg.strided) is cg.strided
