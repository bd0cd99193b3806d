"""Legacy constructors as torch defines them: ``Tensor(2, 3)`` uninitialized of that shape, ``Tensor(data)``
float data, ``FloatTensor``/``LongTensor``/... with their dtypes and ``isinstance`` checks, ``x.type(LongTensor)``,
and ``autograd.Variable`` returning a tensor."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chaingrad
from helpers import outcome

EXPRESSIONS = [
    "T.Tensor(2, 3).shape", "T.Tensor(2, 3).dtype", "T.Tensor([1, 2])", "T.Tensor()", "T.Tensor([[1, 2], [3, 4]])",
    "T.Tensor(T.Size([2, 4])).shape", "T.Tensor((2, 3))", "T.Tensor(np.array([1, 2]))", "T.Tensor(T.tensor([1, 2]))",
    "T.Tensor(3).shape", "T.Tensor(2.5)", "T.Tensor([True])", "T.Tensor(2, 3, requires_grad=True)", "T.Tensor(-1)",
    "T.Tensor([1, 2], dtype=T.float64)", "T.Tensor([1, 2]).requires_grad", "T.Tensor([1.5], device='cpu')",
    "T.Tensor(2, device='cuda')", "T.Tensor(np.int64(2)).shape", "T.Tensor(2, 3.0)",
    "T.FloatTensor(2).shape", "T.FloatTensor([1, 2])", "T.LongTensor([1.7, 2])", "T.DoubleTensor([1, 2])",
    "T.IntTensor([1, 2])", "T.BoolTensor([1, 0])", "T.ByteTensor([1, 255])", "T.ShortTensor([1])", "T.CharTensor([1])",
    "T.HalfTensor([1])", "T.LongTensor(3).dtype", "T.BoolTensor(2).shape", "T.FloatTensor(T.tensor([1, 2]))",
    "T.FloatTensor(T.tensor([1.0, 2.0]))", "T.FloatTensor([1, 2], device='cpu')", "T.FloatTensor(2, 3.0)",
    "T.LongTensor(np.array([1.5]))", "T.FloatTensor(np.array([1, 2]))", "T.DoubleTensor(2, 2).dtype",
    "T.FloatTensor(1.0)", "type(T.FloatTensor([1])) is T.Tensor", "T.FloatTensor.dtype", "T.LongTensor.dtype",
    "isinstance(T.zeros(2), T.FloatTensor)", "isinstance(T.zeros(2, dtype=T.float64), T.FloatTensor)",
    "isinstance(T.zeros(2, dtype=T.float64), T.DoubleTensor)", "isinstance(T.zeros(2), T.Tensor)",
    "isinstance(T.zeros(2, dtype=T.int64), T.LongTensor)", "isinstance(T.nn.Parameter(T.zeros(2)), T.FloatTensor)",
    "isinstance(T.tensor([True]), T.BoolTensor)", "isinstance([1.0], T.FloatTensor)",
    "issubclass(T.FloatTensor, T.Tensor)", "repr(T.FloatTensor)", "T.zeros(2).type()", "T.zeros(2).type(T.LongTensor)",
    "T.zeros(2).type('torch.LongTensor')", "T.zeros(2).type('torch.DoubleTensor')", "T.zeros(2).type(T.float64)",
    "T.zeros(2, dtype=T.int32).type()", "T.nn.Linear(2, 2).type(T.DoubleTensor).weight.dtype",
    "T.autograd.Variable(T.ones(2))", "T.autograd.Variable(T.ones(2), requires_grad=True)",
    "T.autograd.Variable(T.ones(2), requires_grad=True).is_leaf", "type(T.autograd.Variable(T.ones(2))) is T.Tensor",
    "isinstance(T.ones(2), T.autograd.Variable)", "isinstance(1.0, T.autograd.Variable)",
    "T.autograd.Variable(T.ones(2), volatile=True)", "T.autograd.Variable([1, 2])", "T.autograd.Variable()",
    "T.autograd.Variable(T.ones(2, dtype=T.int64), requires_grad=True)",
    "T.autograd.Variable(T.ones(2, requires_grad=True) * 2).grad_fn",
    "T.autograd.Variable(T.ones(2, requires_grad=True) * 2, requires_grad=True).is_leaf",
]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_legacy_constructors_behave_as_torchs(expr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert outcome(chaingrad, expr, np=np) == outcome(torch, expr, np=np)


@pytest.mark.parametrize("lib", [chaingrad, torch], ids=["chaingrad", "torch"])
def test_legacy_constructors_share_memory_where_torch_does(lib):
    t = lib.tensor([1.0, 2.0])
    alias = lib.Tensor(t)
    alias[0] = 9
    assert t.tolist() == [9.0, 2.0]
    v = lib.autograd.Variable(t, requires_grad=True)
    with lib.no_grad():
        v[1] = 7
    assert t.tolist() == [9.0, 7.0] and not t.requires_grad


def test_variable_trains_as_in_old_tutorials():
    def run(lib):
        x = lib.autograd.Variable(lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64))
        w = lib.autograd.Variable(lib.tensor([[0.5], [-0.25]], dtype=lib.float64), requires_grad=True)
        loss = (x.mm(w) ** 2).sum()
        loss.backward()
        return w.grad.numpy()

    np.testing.assert_allclose(run(chaingrad), run(torch), rtol=1e-15)


def test_tensor_follows_the_default_dtype():
    chaingrad.set_default_dtype(chaingrad.float64)
    try:
        assert chaingrad.Tensor([1, 2]).dtype == chaingrad.float64 and chaingrad.Tensor(2).dtype == chaingrad.float64
    finally:
        chaingrad.set_default_dtype(chaingrad.float32)
