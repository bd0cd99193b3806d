"""The Tensor object: repr identical to torch's (with 'torch.' -> 'chaingrad.'), conversions to Python and
NumPy, metadata, and the errors torch raises."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import torch

import chaingrad as cg


def _join_suffixes(text: str) -> str:
    # 'dtype=chaingrad.float64' is 4 characters longer than 'dtype=torch.float64', so where torch's line just
    # fits in 80 columns, chaingrad's suffix moves to the next line (the same rule applied to a longer name)
    return re.sub(r",\n *(size=|dtype=|requires_grad=|grad_fn=)", r", \1", text)


def both_reprs(make):
    """repr of the same tensor built in each library; torch's with 'torch.' replaced by 'chaingrad.'."""
    return _join_suffixes(repr(make(cg))), _join_suffixes(repr(make(torch)).replace("torch.", "chaingrad."))


REPRS = {
    "int_scalar": lambda m: m.tensor(3),
    "float_scalar": lambda m: m.tensor(3.5),
    "neg_scalar": lambda m: m.tensor(-0.25),
    "bool_scalar": lambda m: m.tensor(True),
    "ints": lambda m: m.tensor([1, -20, 300]),
    "floats": lambda m: m.tensor([1.0, 2.5, -3.25]),
    "whole_floats": lambda m: m.tensor([[1.0], [2.0], [3.0]]),
    "bools": lambda m: m.tensor([True, False]),
    "matrix": lambda m: m.tensor([[1.5, 2.0], [-3.0, 4.125]]),
    "3d": lambda m: m.arange(24.0).reshape(2, 3, 4),
    "3d_ints": lambda m: m.arange(24).reshape(2, 3, 4),
    "4d": lambda m: m.arange(16.0).reshape(2, 2, 2, 2) / 7,
    "large": lambda m: m.tensor([1e10, 1.0]),
    "small": lambda m: m.tensor([1e-5, 1.0]),
    "tiny_only": lambda m: m.tensor([1e-8, 2e-8]),
    "wide_range": lambda m: m.tensor([0.001, 100.0, 5.0]),
    "huge": lambda m: m.tensor([1.5e20, -3e21]),
    "mixed_sci": lambda m: m.tensor([[1e-10, 1.0], [123456.0, -2.0]]),
    "large_whole": lambda m: m.tensor([123456789.0, 1.0]),
    "inf_nan": lambda m: m.tensor([float("inf"), float("-inf"), float("nan"), 1.5]),
    "inf_whole": lambda m: m.tensor([float("inf"), 1.0, 2.0]),
    "all_nan": lambda m: m.tensor([float("nan")]),
    "zeros": lambda m: m.zeros(3),
    "neg_zero": lambda m: m.tensor([-0.0, 1.0]),
    "float64": lambda m: m.tensor([1.0, 2.0], dtype=m.float64),
    "float64_scalar": lambda m: m.tensor(2.5, dtype=m.float64),
    "float16": lambda m: m.tensor([1.0, 2.5], dtype=m.float16),
    "int32": lambda m: m.tensor([1, 2], dtype=m.int32),
    "uint8": lambda m: m.tensor([1, 200], dtype=m.uint8),
    "int8_neg": lambda m: m.tensor([-1, 2], dtype=m.int8),
    "empty": lambda m: m.tensor([]),
    "empty_2d": lambda m: m.zeros(0, 3),
    "empty_int": lambda m: m.zeros(0, dtype=m.int64),
    "empty_f64": lambda m: m.zeros(2, 0, dtype=m.float64),
    "requires_grad": lambda m: m.tensor([[1.0], [2.0]], requires_grad=True),
    "requires_grad_scalar": lambda m: m.tensor(1.0, requires_grad=True),
    "requires_grad_f64": lambda m: m.tensor([1.0], dtype=m.float64, requires_grad=True),
    "grad_fn_mul": lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn_sum": lambda m: m.tensor([1.0, 2.0], requires_grad=True).sum(),
    "grad_fn_mean": lambda m: m.tensor([1.0, 2.0], requires_grad=True).mean(),
    "grad_fn_add": lambda m: m.tensor([1.0, 2.0], requires_grad=True) + 1,
    "grad_fn_sub": lambda m: m.tensor([1.0, 2.0], requires_grad=True) - 1,
    "grad_fn_div": lambda m: m.tensor([1.0, 2.0], requires_grad=True) / 3,
    "grad_fn_pow": lambda m: m.tensor([1.0, 2.0], requires_grad=True) ** 2,
    "grad_fn_exp": lambda m: m.tensor([1.0, 2.0], requires_grad=True).exp(),
    "grad_fn_mm": lambda m: m.ones(2, 2, requires_grad=True) @ m.ones(2, 2),
    "long_row": lambda m: m.arange(30.0) / 3,
    "long_int_row": lambda m: m.arange(40) * 1000,
    "summarized": lambda m: m.arange(2000.0),
    "summarized_2d": lambda m: m.arange(5000.0).reshape(50, 100) / 9,
    "summarized_3d": lambda m: m.arange(3000).reshape(10, 10, 30),
    "summarized_grad": lambda m: m.arange(1200.0).requires_grad_(),
    "wide_matrix": lambda m: m.arange(60.0).reshape(3, 20) * 1.5,
    "grad_fn_long": lambda m: (m.arange(30.0, dtype=m.float64).requires_grad_() * 3.3),
}


@pytest.mark.parametrize("name", sorted(REPRS))
def test_repr_identical_to_torch(name):
    got, expected = both_reprs(REPRS[name])
    assert got == expected
    assert _join_suffixes(str(REPRS[name](cg))) == got


def test_repr_with_random_values_like_torch():
    rng = np.random.default_rng(0)
    for scale in (1e-6, 1e-3, 1.0, 1e3, 1e6, 1e9):
        for shape in [(5,), (3, 4), (2, 2, 3)]:
            a = rng.standard_normal(shape) * scale
            for dtype in (np.float32, np.float64):
                got, expected = both_reprs(lambda m, a=a, dtype=dtype: m.tensor(a.astype(dtype)))
                assert got == expected


def test_print_options_like_torch():
    try:
        for opts in [dict(precision=2), dict(sci_mode=True), dict(sci_mode=False), dict(threshold=5),
                     dict(edgeitems=1, threshold=3), dict(linewidth=40)]:
            cg.set_printoptions(**opts)
            torch.set_printoptions(**opts)
            for make in (lambda m: m.tensor([1.23456, 1e-5, 200.0]), lambda m: m.arange(12.0).reshape(3, 4) / 7):
                got, expected = both_reprs(make)
                assert got == expected, opts
            cg.set_printoptions(profile="default")
            torch.set_printoptions(profile="default")
    finally:
        torch.set_printoptions(profile="default")
        cg.set_printoptions(profile="default")


def test_item_tolist_and_python_conversions():
    x = cg.tensor([[1.5]])
    assert x.item() == 1.5 and isinstance(x.item(), float)
    assert cg.tensor(3).item() == 3 and isinstance(cg.tensor(3).item(), int)
    assert cg.tensor(True).item() is True
    assert cg.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert cg.tensor(2.5).tolist() == 2.5
    assert float(x) == 1.5 and int(cg.tensor([2.7])) == 2 and bool(cg.tensor([0.0])) is False
    assert [10, 20, 30][cg.tensor(1)] == 20
    assert f"{cg.tensor(3.14159):.2f}" == "3.14"


@pytest.mark.parametrize("call", [lambda m: m.ones(2).item(), lambda m: bool(m.ones(2)), lambda m: m.zeros(0).item()])
def test_item_and_bool_of_many_elements_raise_runtime_error(call):
    for lib in (cg, torch):
        with pytest.raises(RuntimeError):
            call(lib)


@pytest.mark.parametrize("call", [lambda m: float(m.ones(2)), lambda m: int(m.ones(3))])
def test_float_and_int_of_many_elements_raise_value_error(call):
    for lib in (cg, torch):
        with pytest.raises(ValueError):
            call(lib)


def test_index_conversion_of_a_float_tensor_raises_type_error():
    for lib in (cg, torch):
        with pytest.raises(TypeError):
            [1, 2][lib.tensor(1.0)]


def test_numpy_shares_memory_and_refuses_tensors_that_require_grad():
    x = cg.tensor([1.0, 2.0])
    a = x.numpy()
    a[0] = 5.0
    assert x.tolist() == [5.0, 2.0]
    y = cg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        y.numpy()
    with pytest.raises(RuntimeError):
        np.asarray(y)
    assert y.detach().numpy().tolist() == [1.0]
    assert np.asarray(x).dtype == np.float32 and np.asarray(x, dtype=np.float64).dtype == np.float64


def test_len_and_iteration_like_torch():
    x = cg.arange(6).reshape(3, 2)
    assert len(x) == 3
    rows = list(x)
    assert [r.tolist() for r in rows] == [[0, 1], [2, 3], [4, 5]]
    for lib in (cg, torch):
        with pytest.raises(TypeError):
            len(lib.tensor(1.0))
        with pytest.raises(TypeError):
            iter(lib.tensor(1.0))


def test_requires_grad_on_integer_tensors_raises():
    for lib in (cg, torch):
        with pytest.raises(RuntimeError, match="floating point"):
            lib.tensor([1, 2], requires_grad=True)
        with pytest.raises(RuntimeError):
            lib.tensor([1, 2]).requires_grad_()
        with pytest.raises(RuntimeError):
            lib.zeros(2, dtype=lib.int64, requires_grad=True)


def test_metadata():
    x = cg.ones(2, 3)
    assert x.device == cg.device("cpu") and str(x.device) == "cpu"
    assert not x.is_cuda and x.is_floating_point() and x.element_size() == 4
    assert x.cpu() is x and x.contiguous() is x and cg.is_tensor(x) and not cg.is_tensor(1)
    assert cg.numel(x) == 6 and cg.is_floating_point(x)
    assert not cg.ones(2, dtype=cg.int64).is_floating_point()


def test_grad_assignment_is_checked():
    x = cg.ones(2, requires_grad=True)
    x.grad = cg.zeros(2)
    with pytest.raises(RuntimeError):
        x.grad = cg.zeros(3)
    with pytest.raises(RuntimeError):
        x.grad = cg.zeros(2, dtype=cg.float64)
    x.grad = None
    assert x.grad is None


def test_deepcopy_of_a_leaf_copies_data_and_grad():
    x = cg.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.grad.tolist() == [2.0, 2.0]
    y.detach().numpy()[0] = 7.0
    assert x.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError):
        copy.deepcopy(x * 2)


def test_tensor_is_hashable_by_identity_and_eq_is_elementwise():
    a, b = cg.ones(2), cg.ones(2)
    assert len({a, b}) == 2
    assert (a == b).tolist() == [True, True]


def test_data_attribute_bypasses_autograd():
    w = cg.ones(2, requires_grad=True)
    w.data -= 0.5
    assert w.tolist() == [0.5, 0.5] and w.is_leaf and w.requires_grad
    w.data = cg.zeros(2)
    assert w.tolist() == [0.0, 0.0]
    assert not w.data.requires_grad


def test_size_slices_sums_and_repeats_are_sizes_as_in_torch():
    import pickle

    def ops(s):
        return [s[1:], s[::2], s + (1,), (1,) + s, s * 2, 2 * s, s + type(s)([5]), s[0], s[-1:], s * 0,
                pickle.loads(pickle.dumps(s)), s == (2, 3, 4), hash(s) == hash((2, 3, 4))]

    ours, theirs = ops(cg.Size([2, 3, 4])), ops(torch.Size([2, 3, 4]))
    assert [repr(x) for x in ours] == [repr(x).replace("torch", "chaingrad") for x in theirs]
    for lib in (cg, torch):
        with pytest.raises(TypeError, match=r"can only concatenate tuple \(not list\) to (torch|chaingrad).Size"):
            lib.Size([1]) + [2]
