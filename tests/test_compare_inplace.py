"""The in-place comparisons (eq_, ne_, lt_, le_, gt_, ge_ and their long names) and logic ops (logical_and_,
logical_or_, logical_xor_, logical_not_) equal PyTorch's: the values written in the tensor's own dtype, the nodes
recorded (or, for the logic ops, not recorded) and their zero gradients, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg

X = np.array([[1.0, -2.0, 3.0], [0.5, 2.0, -1.0]])
Y = np.array([[1.0, 2.0, -3.0], [0.5, 1.0, 0.0]])
COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal"]
LOGIC = ["logical_and", "logical_or", "logical_xor"]


def _run(m, name, other_kind, dtype):
    x = m.tensor(X).to(getattr(m, dtype))
    other = {"tensor": m.tensor(Y).to(getattr(m, dtype)), "number": 1.0, "int": 2,
             "row": m.tensor(Y[0]).to(m.float32), "0d": m.tensor(0.5)}[other_kind]
    result = getattr(x, name + "_")(other)
    assert result is x
    return x


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool"])
@pytest.mark.parametrize("other", ["tensor", "number", "int", "row", "0d"])
@pytest.mark.parametrize("name", COMPARISONS + LOGIC)
def test_values_in_the_tensors_own_dtype_as_torch(name, other, dtype):
    if name in LOGIC and other in ("number", "int"):  # the logic ops take tensors only
        for m in (cg, torch):
            with pytest.raises(TypeError, match="must be Tensor"):
                _run(m, name, other, dtype)
        return
    ours, theirs = _run(cg, name, other, dtype), _run(torch, name, other, dtype)
    assert str(ours.dtype).rpartition(".")[2] == str(theirs.dtype).rpartition(".")[2]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dtype", ["float64", "int64", "bool"])
def test_logical_not_in_place_as_torch(dtype):
    results = []
    for m in (cg, torch):
        x = m.tensor(X).to(getattr(m, dtype))
        assert x.logical_not_() is x
        results.append(x.numpy())
    np.testing.assert_array_equal(*results)


@pytest.mark.parametrize("name", ["eq", "lt", "ge", "greater"])
@pytest.mark.parametrize("by_tensor", [False, True])
def test_a_comparison_in_place_is_recorded_with_a_zero_derivative_as_torch(name, by_tensor):
    def run(m):
        x = m.tensor(X, requires_grad=True)
        y = m.tensor(Y, requires_grad=True)
        z = x * 2
        getattr(z, name + "_")(y if by_tensor else 1.0)
        (z * 3 + x).sum().backward()
        edges = [None if f is None else type(f).__name__ for f, _ in z.grad_fn.next_functions]
        return type(z.grad_fn).__name__, edges, x.grad.numpy(), None if y.grad is None else y.grad.numpy(), z

    ours, theirs = run(cg), run(torch)
    assert ours[:2] == theirs[:2]
    np.testing.assert_array_equal(ours[2], theirs[2])
    if theirs[3] is None:
        assert ours[3] is None
    else:
        np.testing.assert_array_equal(ours[3], theirs[3])
    np.testing.assert_array_equal(ours[4].detach().numpy(), theirs[4].detach().numpy())


def test_a_logic_op_in_place_records_nothing_as_torch():
    """torch keeps the tensor's node (its gradient flows as if the values were unchanged); so does chaingrad."""
    grads, names = [], []
    for m in (cg, torch):
        x = m.tensor(X, requires_grad=True)
        z = x * 2
        z.logical_and_(m.tensor(Y))
        z.logical_not_()
        names.append(type(z.grad_fn).__name__)
        z.sum().backward()
        grads.append(x.grad.numpy())
        x.detach().logical_or_(m.tensor(Y))  # (allowed on a leaf that requires grad's detached values)
    assert names[0] == names[1] == "MulBackward0"
    np.testing.assert_array_equal(*grads)


ERRORS = [
    (lambda m: m.ones(2).eq_(m.ones(2, 2)), RuntimeError, "doesn't match the broadcast shape"),
    (lambda m: m.ones(2).logical_and_(m.ones(3)), RuntimeError, "shape"),
    (lambda m: m.ones(2, requires_grad=True).lt_(1.0), RuntimeError, "leaf"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_as_torch(case):
    fn, cls, words = ERRORS[case]
    with pytest.raises(cls):
        fn(torch)
    with pytest.raises(cls, match=words):
        fn(cg)
