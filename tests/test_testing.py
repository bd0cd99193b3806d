"""chaingrad.testing equals torch.testing: assert_close passes and fails where torch's does, with torch's exception
class and message (chaingrad. for torch.), and make_tensor draws torch's values from the same seed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch as T

import chaingrad as C


def cases(lib):
    t, ac = lib.tensor, lib.testing.assert_close
    return {
      "f32_close": lambda: ac(t([1., 2., 3.]), t([1., 2., 3.000001])),
      "f32_far": lambda: ac(t([1., 2., 3., 4.]), t([1., 2.5, 3., 0.])),
      "f64_2d": lambda: ac(t([[1., 2.], [3., 4.]], dtype=lib.float64), t([[1., 2.], [3.1, 4.]], dtype=lib.float64)),
      "f16": lambda: ac(t([1., 2.], dtype=lib.float16), t([1.01, 2.], dtype=lib.float16)),
      "int": lambda: ac(t([1, 2, 3]), t([1, 5, 4])),
      "int_rel": lambda: ac(t([1, 2, 3]), t([1, 5, 0])),
      "bool": lambda: ac(t([True, False]), t([True, True])),
      "scalar_tensor": lambda: ac(t(1.5), t(1.0)),
      "scalar_zero": lambda: ac(t(1.5), t(0.0)),
      "nan": lambda: ac(t([float('nan'), 1.]), t([float('nan'), 1.])),
      "nan_ok": lambda: ac(t([float('nan'), 1.]), t([float('nan'), 1.]), equal_nan=True),
      "nan_vs_num": lambda: ac(t([1., 1.]), t([float('nan'), 1.])),
      "inf": lambda: ac(t([float('inf'), 1.]), t([float('inf'), 1.])),
      "inf_neg": lambda: ac(t([float('inf'), 1.]), t([-float('inf'), 1.])),
      "dtype": lambda: ac(t([1.]), t([1.], dtype=lib.float64)),
      "dtype_off": lambda: ac(t([1.]), t([1.0000001], dtype=lib.float64), check_dtype=False),
      "dtype_off_fail": lambda: ac(t([1.]), t([1.1], dtype=lib.float64), check_dtype=False),
      "shape": lambda: ac(t([1.]), t([1., 2.])),
      "stride": lambda: ac(t([[1., 2.], [3., 4.]]).t(), t([[1., 3.], [2., 4.]]), check_stride=True),
      "stride_default": lambda: ac(t([[1., 2.], [3., 4.]]).t(), t([[1., 3.], [2., 4.]])),
      "rtol_only": lambda: ac(t([1.]), t([1.]), rtol=0.1),
      "custom_tol": lambda: ac(t([1., 2.]), t([1.05, 2.]), rtol=0, atol=0.01),
      "equal_tol": lambda: ac(t([1., 2.]), t([1.05, 2.]), rtol=0, atol=0),
      "msg_str": lambda: ac(t([1.]), t([2.]), msg="custom"),
      "msg_callable": lambda: ac([t([1.])], [t([2.])], msg=lambda m: "pre: " + m),
      "numbers": lambda: ac(1.0, 1.5),
      "numbers_close": lambda: ac(1.0, 1.0 + 1e-9),
      "int_float": lambda: ac(1, 1.0),
      "int_float_nodtype": lambda: ac(1, 1.0, check_dtype=False),
      "numbers_zero": lambda: ac(1.0, 0.0),
      "np_numbers": lambda: ac(np.float32(1.0), np.float32(2.0)),
      "bools": lambda: ac(True, False),
      "none": lambda: ac(None, 1),
      "none_ok": lambda: ac(None, None),
      "seq": lambda: ac([t([1.]), (2.0, t([3.]))], [t([1.]), (2.0, t([3.5]))]),
      "seq_len": lambda: ac([1, 2], [1, 2, 3]),
      "mapping": lambda: ac({"b": t([1.]), "a": 2}, {"a": 2, "b": t([1.2])}),
      "mapping_keys": lambda: ac({"b": 1, "a": 2}, {"a": 2, "c": 1}),
      "tensor_number": lambda: ac(t([1.]), 1.0),
      "arrays": lambda: ac(np.array([1., 2.]), np.array([1., 3.])),
      "strings": lambda: ac("a", "a"),
      "param_subclass": lambda: ac(lib.nn.Parameter(t([1.])), t([1.])),
      "param_no_subclass": lambda: ac(lib.nn.Parameter(t([1.])), t([1.]), allow_subclasses=False),
      "requires_grad": lambda: ac(t([1., 2.], requires_grad=True), t([1., 2.5])),
      "big": lambda: ac(lib.arange(24.).reshape(2, 3, 4), lib.arange(24.).reshape(2, 3, 4) * 1.001),
      "ties": lambda: ac(t([1., 2., 1., 2.]), t([2., 3., 2., 3.])),
      "empty": lambda: ac(t([]), t([])),
      "size": lambda: ac(lib.zeros(2, 3).shape, (2, 4)),
    }


CASES = list(cases(T))


def _outcome(lib, case):
    try:
        cases(lib)[case]()
    except Exception as e:  # noqa: BLE001 - the class is compared too
        text = f"{type(e).__name__}: {e}".replace("chaingrad", "torch")
        return text.replace("<class 'torch.tensor.Tensor'>", "<class 'torch.Tensor'>")  # (the class's module)
    return "passed"


@pytest.mark.parametrize("case", CASES)
def test_assert_close_matches_torch(case):
    assert _outcome(C, case) == _outcome(T, case)


def test_assert_close_messages_read_as_torchs():
    with pytest.raises(AssertionError) as e:
        C.testing.assert_close(C.tensor([1.0, 2.0, 3.0, 4.0]), C.tensor([1.0, 2.5, 3.0, 0.0]))
    assert str(e.value) == ("Tensor-likes are not close!\n\nMismatched elements: 2 / 4 (50.0%)\n"
                            "Greatest absolute difference: 4.0 at index (3,) (up to 1e-05 allowed)\n"
                            "Greatest relative difference: inf at index (3,) (up to 1.3e-06 allowed)")
    with pytest.raises(AssertionError, match=r"The failure occurred for item \[1\]\['a'\]"):
        C.testing.assert_close([1, {"a": C.tensor([1.0])}], [1, {"a": C.tensor([2.0])}])


def make_tensors(lib):
    out = []
    for dt in ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"):
        lib.manual_seed(3)
        out.append(lib.testing.make_tensor(2, 3, dtype=getattr(lib, dt), device="cpu"))
    lib.manual_seed(3)
    nc = lib.testing.make_tensor((3, 2), dtype=lib.float64, device="cpu", low=-1, high=2, noncontiguous=True,
                                 requires_grad=True)
    out += [nc, nc.stride(), nc.requires_grad, nc.is_contiguous()]
    lib.manual_seed(3)
    out.append(lib.testing.make_tensor(5, dtype=lib.int64, device="cpu", low=-1, high=2, exclude_zero=True))
    lib.manual_seed(3)
    out.append(lib.testing.make_tensor([4], dtype=lib.float32, device="cpu", low=-3.4e38, high=3.4e38))
    lib.manual_seed(3)
    out.append(lib.testing.make_tensor(4, dtype=lib.uint8, device="cpu", low=-5, high=3))
    return [x.tolist() if hasattr(x, "tolist") else x for x in out]


def test_make_tensor_draws_torchs_values():
    assert make_tensors(C) == make_tensors(T)


@pytest.mark.parametrize("kw", [dict(low=2, high=1), dict(low=float("nan")), dict(noncontiguous=True, memory_format=0),
                                dict(dtype="int64", requires_grad=True), dict(dtype="uint8", low=300, high=400)],
                         ids=["low_high", "nan", "noncontiguous_and_memory_format", "requires_grad_int", "range"])
def test_make_tensor_errors_match_torch(kw):
    msgs = []
    for lib in (C, T):
        args = dict(kw)
        args["dtype"] = getattr(lib, args.get("dtype", "float32"))
        if "memory_format" in args:
            args["memory_format"] = lib.contiguous_format
        with pytest.raises(ValueError) as e:
            lib.testing.make_tensor(2, device="cpu", **args)
        msgs.append(str(e.value).replace("chaingrad", "torch"))
    assert msgs[0] == msgs[1]


def test_assert_allclose_is_deprecated_and_looser():
    for lib in (C, T):
        with pytest.warns(FutureWarning, match="assert_allclose"):
            lib.testing.assert_allclose(lib.tensor([1.0, float("nan")]), [1.00001, float("nan")])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            with pytest.raises(AssertionError, match="Tensor-likes are not close"):
                lib.testing.assert_allclose(lib.tensor([1.0]), [1.001])
