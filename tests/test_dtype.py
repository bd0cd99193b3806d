"""Type promotion exactly like torch: ``promote_types``, ``result_type`` and the dtypes of actual op results,
for every pair of dtypes, zero-dim and dimensioned tensors and Python scalars; a float32 program stays float32."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import dtype_name

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 2, -3, 2.5]


def make(lib, name, ndim):
    """A tensor of dtype ``name``: 0-d or 1-d, with small positive values (valid for every dtype)."""
    d = getattr(lib, name)
    return lib.ones((2,) if ndim else (), dtype=d)


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_like_torch(a, b):
    assert dtype_name(cg.promote_types(getattr(cg, a), getattr(cg, b))) == \
        dtype_name(torch.promote_types(getattr(torch, a), getattr(torch, b)))


@pytest.mark.parametrize("nd", [(1, 1), (0, 1), (1, 0), (0, 0)], ids=str)
@pytest.mark.parametrize("a", NAMES)
def test_result_type_of_two_tensors_like_torch(a, nd):
    for b in NAMES:
        c = cg.result_type(make(cg, a, nd[0]), make(cg, b, nd[1]))
        t = torch.result_type(make(torch, a, nd[0]), make(torch, b, nd[1]))
        assert dtype_name(c) == dtype_name(t), (a, b, nd)


@pytest.mark.parametrize("ndim", [0, 1])
@pytest.mark.parametrize("a", NAMES)
def test_result_type_of_tensor_and_python_scalar_like_torch(a, ndim):
    for s in SCALARS:
        c = cg.result_type(make(cg, a, ndim), s)
        t = torch.result_type(make(torch, a, ndim), s)
        assert dtype_name(c) == dtype_name(t), (a, s)
        assert dtype_name(cg.result_type(s, make(cg, a, ndim))) == dtype_name(t)


def test_result_type_of_two_scalars_like_torch():
    for s1, s2 in itertools.product(SCALARS, SCALARS):
        assert dtype_name(cg.result_type(s1, s2)) == dtype_name(torch.result_type(torch.tensor(s1), s2))


OPS = {
    "add": lambda a, b: a + b,
    "radd": lambda a, b: b + a,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "rdiv": lambda a, b: b / a,
    "pow": lambda a, b: a ** b,
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "maximum": lambda a, b: a.maximum(b if not isinstance(b, (int, float)) else a.new_tensor(b)),
}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("a", NAMES)
def test_op_result_dtypes_like_torch(op, a):
    fn = OPS[op]
    cases = [(lambda lib, b=b, nd=nd: make(lib, b, nd)) for b in NAMES for nd in (0, 1)]
    cases += [(lambda lib, s=s: s) for s in SCALARS]
    for other in cases:
        try:
            expected = fn(make(torch, a, 1), other(torch))
        except RuntimeError:
            with pytest.raises(RuntimeError):
                fn(make(cg, a, 1), other(cg))
            continue
        got = fn(make(cg, a, 1), other(cg))
        assert dtype_name(got.dtype) == dtype_name(expected.dtype), (a, other(torch))


@pytest.mark.parametrize("a", NAMES)
def test_unary_result_dtypes_like_torch(a):
    for fn in (lambda x: x.exp(), lambda x: x.sqrt(), lambda x: x.sigmoid(), lambda x: x.abs(), lambda x: x.sum(),
               lambda x: x.neg() if a != "bool" else x, lambda x: x.clamp(0, 1), lambda x: x.clamp(0.5),
               lambda x: x.relu() if a != "bool" else x, lambda x: x.max(), lambda x: x.cumsum(0),
               lambda x: x.prod(), lambda x: x.tanh(), lambda x: x.log1p(), lambda x: x.square(),
               lambda x: x.sign() if a != "bool" else x, lambda x: x.floor() if a != "bool" else x,
               lambda x: x.reciprocal(), lambda x: x.float(), lambda x: x.long(),
               lambda x: x.to(torch.float64 if isinstance(x, torch.Tensor) else cg.float64)):
        try:
            expected = fn(make(torch, a, 1))
        except RuntimeError:
            continue
        assert dtype_name(fn(make(cg, a, 1)).dtype) == dtype_name(expected.dtype), a


def test_int_tensor_with_python_float_gives_float32():
    assert (cg.tensor([1, 2]) + 1.5).dtype is cg.float32
    assert (cg.tensor([1, 2]) * 0.5).dtype is cg.float32
    assert (cg.tensor([1, 2]) / 2).dtype is cg.float32


def test_float32_with_python_float_and_0d_float64_stays_float32():
    x = cg.ones(3)
    assert (x + 2.5).dtype is cg.float32
    assert (x * cg.tensor(2.0, dtype=cg.float64)).dtype is cg.float32
    assert (x + cg.ones(3, dtype=cg.float64)).dtype is cg.float64


def test_comparisons_give_bool():
    x = cg.ones(3)
    for y in (x == 1, x < 2.0, x >= x, cg.isnan(x), cg.isfinite(x), x != cg.tensor([1, 2, 3])):
        assert y.dtype is cg.bool


def test_a_float32_program_stays_float32_end_to_end():
    import chaingrad.nn.functional as F

    cg.manual_seed(0)
    x = cg.randn(8, 3)
    y = cg.randint(0, 4, (8,))
    w = cg.randn(3, 4, requires_grad=True)
    b = cg.zeros(4, requires_grad=True)
    values = []
    h = x @ w + b
    values.append(h)
    h = cg.tanh(h) * 0.5 + 1 / (1 + h.exp()) - 2 ** h.clamp(-1, 1) + h.sigmoid() ** 2 + h.relu().sqrt()
    values.append(h)
    h = h / h.norm() + h.mean(0) - h.var(1, keepdim=True) + h.max(1).values.unsqueeze(1) + cg.softmax(h, 1)
    values.append(h)
    loss = F.cross_entropy(h, y) + F.mse_loss(h, cg.zeros(8, 4)) + h.logsumexp(1).mean() + h[range(8), y].sum()
    loss = loss + cg.where(h > 0, h, 0.0).sum() * 1e-3 + (h * 3).abs().sum() / 1000 + cg.log_softmax(h, 1).mean()
    values += [loss]
    loss.backward()
    values += [w.grad, b.grad]
    with cg.no_grad():
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
    values += [w, b]
    for v in values:
        assert v.dtype is cg.float32, v


def test_default_dtype_can_be_float64():
    cg.set_default_dtype(cg.float64)
    assert cg.tensor([1.5]).dtype is cg.float64 and cg.ones(2).dtype is cg.float64
    assert (cg.tensor([1, 2]) * 0.5).dtype is cg.float64
    assert cg.get_default_dtype() is cg.float64


def test_dtype_objects_look_like_torch():
    assert repr(cg.float32) == "chaingrad.float32"
    assert cg.float is cg.float32 and cg.double is cg.float64 and cg.long is cg.int64 and cg.int is cg.int32
    assert cg.float32.is_floating_point and not cg.int64.is_floating_point
    assert cg.float32.itemsize == 4
    assert cg.tensor([1]).to(cg.float16).dtype is cg.float16
    for name in NAMES:
        assert dtype_name(cg.ones(1, dtype=getattr(cg, name)).dtype) == name
    assert np.dtype(cg.float64.np) == np.float64


@pytest.mark.parametrize("conv", ["float", "double", "long", "int", "bool", "half", "short"])
def test_conversion_methods_like_torch(conv):
    data = [1.7, -2.2, 0.0]
    c, t = getattr(cg.tensor(data), conv)(), getattr(torch.tensor(data), conv)()
    assert dtype_name(c.dtype) == dtype_name(t.dtype)
    np.testing.assert_allclose(c.numpy().astype(np.float64), t.numpy().astype(np.float64), rtol=1e-3)


def test_type_and_to():
    x = cg.tensor([1.5])
    assert x.type() == "chaingrad.FloatTensor" and x.long().type() == "chaingrad.LongTensor"
    assert x.type(cg.float64).dtype is cg.float64
    assert x.to(cg.int64).dtype is cg.int64 and x.to("cpu") is x
    assert x.to(cg.ones(1, dtype=cg.float64)).dtype is cg.float64
    assert x.to(dtype=cg.float16).dtype is cg.float16
    with pytest.raises(AssertionError):  # torch: "Torch not compiled with CUDA enabled"
        x.to("cuda")


def test_conversion_keeps_the_gradient_flowing_and_casts_it_back():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype is cg.float32 and x.grad.tolist() == [3.0, 3.0]
    assert not x.long().requires_grad
