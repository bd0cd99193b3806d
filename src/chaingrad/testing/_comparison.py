"""``assert_close``: are two tensors (numbers, or sequences and mappings of them) equal up to a tolerance?

As torch.testing: containers are compared item by item; then each pair of leaves is compared as Nones,
booleans, Python/NumPy numbers or tensor-likes (tensors, or two NumPy arrays), in that order of preference.
Tensors must agree in shape (and dtype, layout, stride as asked) and then satisfy
``|actual - expected| <= atol + rtol * |expected|`` elementwise, with defaults by dtype. A failure raises
torch's AssertionError text, with its counts and greatest differences, so the two read the same.
"""

from __future__ import annotations

import cmath
import collections.abc
import contextlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype
from ..tensor import Tensor

__all__ = ["assert_close", "assert_allclose"]

# {dtype: (rtol, atol)}: torch's defaults (dtypes not named, the integers and bool, compare exactly)
_PRECISIONS = {_dtype.float16: (0.001, 1e-5), _dtype.float32: (1.3e-6, 1e-5), _dtype.float64: (1e-7, 1e-7)}
_NUMBER_PRECISIONS = {int: (0.0, 0.0), float: (1e-7, 1e-7), complex: (1e-7, 1e-7)}  # (as int64, float64, complex128)


class _Mismatch(Exception):
    """A failure found while comparing: the exception class to raise, its message, and where (the item path)."""

    def __init__(self, kind: type[Exception], msg: str, id: tuple = ()) -> None:
        super().__init__(msg)
        self.kind, self.msg, self.id = kind, msg, id

    def to_error(self, msg: str | Callable[[str], str] | None = None) -> Exception:
        if not isinstance(msg, str):
            text = self.msg
            if self.id:
                text += f"\n\nThe failure occurred for item {''.join(str([item]) for item in self.id)}"
            msg = msg(text) if callable(msg) else text
        return self.kind(msg)


class _Unsupported(Exception):
    """This kind of comparison does not take these inputs: try the next."""


def _tolerances(precisions: list[tuple[float, float]], rtol, atol, id: tuple) -> tuple[float, float]:
    if (rtol is None) ^ (atol is None):
        raise _Mismatch(ValueError, f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                                    f"{'rtol' if rtol is None else 'atol'}.", id)
    if rtol is not None:
        return rtol, atol
    return max(p[0] for p in precisions), max(p[1] for p in precisions)


def _diff_line(kind: str, diff, idx, tol: float, equality: bool) -> str:
    line = f"{kind.title()} difference: {diff}" if idx is None else f"Greatest {kind} difference: {diff} at index {idx}"
    return line + ("" if equality else f" (up to {tol} allowed)") + "\n"


def _mismatch_msg(identifier: str, extra: str, abs_diff, abs_idx, atol: float, rel_diff, rel_idx, rtol: float) -> str:
    equality = rtol == 0 and atol == 0
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n{extra.strip()}\n"
    msg += _diff_line("absolute", abs_diff, abs_idx, atol, equality)
    msg += _diff_line("relative", rel_diff, rel_idx, rtol, equality)
    return msg.strip()


def _scalar_msg(actual, expected, rtol: float, atol: float) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg("Scalars", f"Expected {expected} but got {actual}.", abs_diff, None, atol, rel_diff, None,
                         rtol)


def _tensor_msg(actual: Tensor, expected: Tensor, matches: Tensor, rtol: float, atol: float) -> str:
    from ..ops.reduce import max as max_

    def unravel(flat: int) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unravel_index(flat, tuple(matches.shape)))

    n = matches.numel()
    wrong = n - int(matches.sum())
    extra = f"Mismatched elements: {wrong} / {n} ({wrong / n:.1%})"
    a, e, m = actual.flatten(), expected.flatten(), matches.flatten()
    if not actual.dtype.is_floating_point:  # (integers and bools: differences in int64)
        a, e = a.to(_dtype.int64), e.to(_dtype.int64)
    abs_diff = (a - e).abs()
    abs_diff[m] = 0  # (only the mismatches count)
    max_abs, abs_at = max_(abs_diff, 0)
    rel_diff = abs_diff / e.abs()
    rel_diff[m] = 0
    max_rel, rel_at = max_(rel_diff, 0)
    return _mismatch_msg("Tensor-likes", extra, max_abs.item(), unravel(int(abs_at)), atol, max_rel.item(),
                         unravel(int(rel_at)), rtol)


def _attribute_error(name: str, actual, expected) -> str:
    return f"The values for attribute '{name}' do not match: {actual} != {expected}."


class _Pair:
    """One pair of leaves and the options that apply to it; ``compare`` raises _Mismatch."""

    def __init__(self, actual, expected, id: tuple, options: dict) -> None:
        self.actual, self.expected, self.id, self.options = actual, expected, id, options

    def fail(self, msg: str):
        raise _Mismatch(AssertionError, msg, self.id)


class _NonePair(_Pair):
    def __init__(self, actual, expected, id, options) -> None:
        if not (actual is None or expected is None):
            raise _Unsupported
        super().__init__(actual, expected, id, options)

    def compare(self) -> None:
        if not (self.actual is None and self.expected is None):
            self.fail(f"None mismatch: {self.actual} is not {self.expected}")


class _BooleanPair(_Pair):
    def __init__(self, actual, expected, id, options) -> None:
        if not all(isinstance(x, (bool, np.bool_)) for x in (actual, expected)):
            raise _Unsupported
        super().__init__(bool(actual), bool(expected), id, options)

    def compare(self) -> None:
        if self.actual is not self.expected:
            self.fail(f"Booleans mismatch: {self.actual} is not {self.expected}")


class _NumberPair(_Pair):
    def __init__(self, actual, expected, id, options) -> None:
        kinds = (int, float, complex, np.number)
        if not all(isinstance(x, kinds) for x in (actual, expected)):
            raise _Unsupported
        actual, expected = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
        super().__init__(actual, expected, id, options)
        precisions = [_NUMBER_PRECISIONS[float if isinstance(x, float) else complex if isinstance(x, complex) else int]
                      for x in (actual, expected)]
        self.rtol, self.atol = _tolerances(precisions, options["rtol"], options["atol"], id)

    def compare(self) -> None:
        a, e = self.actual, self.expected
        if self.options["check_dtype"] and type(a) is not type(e):
            self.fail(f"The (d)types do not match: {type(a)} != {type(e)}.")
        if a == e:
            return
        if self.options["equal_nan"] and cmath.isnan(a) and cmath.isnan(e):
            return
        abs_diff = abs(a - e)
        if cmath.isfinite(abs_diff) and abs_diff <= self.atol + self.rtol * abs(e):
            return
        self.fail(_scalar_msg(a, e, self.rtol, self.atol))


class _TensorLikePair(_Pair):
    def __init__(self, actual, expected, id, options) -> None:
        if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
            raise _Unsupported
        if not options["allow_subclasses"] and type(actual) is not type(expected):
            raise _Unsupported
        actual, expected = self._to_tensor(actual), self._to_tensor(expected)
        super().__init__(actual, expected, id, options)
        precisions = [_PRECISIONS.get(t.dtype, (0.0, 0.0)) for t in (actual, expected)]
        self.rtol, self.atol = _tolerances(precisions, options["rtol"], options["atol"], id)

    @staticmethod
    def _to_tensor(x) -> Tensor:
        if isinstance(x, Tensor):
            return x
        from ..ops.creation import as_tensor

        try:
            return as_tensor(x)
        except Exception as ex:  # noqa: BLE001 - anything as_tensor refuses is simply not tensor-like
            raise _Unsupported from ex

    def compare(self) -> None:
        a, e, opt = self.actual.detach(), self.expected.detach(), self.options
        if a.shape != e.shape:
            self.fail(_attribute_error("shape", a.shape, e.shape))
        if a.layout != e.layout:
            if opt["check_layout"]:
                self.fail(_attribute_error("layout", a.layout, e.layout))
        elif opt["check_stride"] and a.stride() != e.stride():
            self.fail(_attribute_error("stride()", a.stride(), e.stride()))
        if opt["check_device"] and a.device != e.device:
            self.fail(_attribute_error("device", a.device, e.device))
        if opt["check_dtype"] and a.dtype != e.dtype:
            self.fail(_attribute_error("dtype", a.dtype, e.dtype))
        if a.dtype != e.dtype:
            common = _dtype.promote_types(a.dtype, e.dtype)
            a, e = a.to(common), e.to(common)
        from ..ops.elementwise import isclose

        matches = isclose(a, e, rtol=self.rtol, atol=self.atol, equal_nan=opt["equal_nan"])
        if bool(matches.all()):
            return
        if a.shape == ():
            self.fail(_scalar_msg(a.item(), e.item(), self.rtol, self.atol))
        self.fail(_tensor_msg(a, e, matches, self.rtol, self.atol))


_PAIR_TYPES: tuple[type[_Pair], ...] = (_NonePair, _BooleanPair, _NumberPair, _TensorLikePair)


def _pairs(actual, expected, id: tuple, options: dict) -> list[_Pair]:
    """The leaf pairs of two nested inputs, in torch's order (mapping keys sorted where they can be)."""
    seq = collections.abc.Sequence
    if isinstance(actual, seq) and not isinstance(actual, str) and isinstance(expected, seq) \
            and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                            id)
        return [p for i in range(len(actual)) for p in _pairs(actual[i], expected[i], (*id, i), options)]
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        a_keys, e_keys = set(actual.keys()), set(expected.keys())
        if a_keys != e_keys:
            raise _Mismatch(AssertionError, f"The keys of the mappings do not match:\n"
                                            f"Missing keys in the actual mapping: {sorted(e_keys - a_keys)}\n"
                                            f"Additional keys in the actual mapping: {sorted(a_keys - e_keys)}", id)
        keys: Any = a_keys
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        return [p for k in keys for p in _pairs(actual[k], expected[k], (*id, k), options)]
    for kind in _PAIR_TYPES:
        try:
            return [kind(actual, expected, id, options)]
        except _Unsupported:
            continue
    raise _Mismatch(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                               f"{type(expected)}.", id)


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close (torch.testing.assert_close).

    Default tolerances by dtype (rtol, atol): float16 (1e-3, 1e-5), float32 (1.3e-6, 1e-5), float64 and Python
    floats (1e-7, 1e-7), integers and bool (0, 0); give both or neither. ``msg`` replaces the message (a string)
    or rewrites it (a callable given the message).
    """
    __tracebackhide__ = True
    options = {"allow_subclasses": allow_subclasses, "rtol": rtol, "atol": atol, "equal_nan": equal_nan,
               "check_device": check_device, "check_dtype": check_dtype, "check_layout": check_layout,
               "check_stride": check_stride}
    try:
        pairs = _pairs(actual, expected, (), options)
    except _Mismatch as m:
        raise m.to_error() from None
    for pair in pairs:
        try:
            pair.compare()  # type: ignore[attr-defined]
        except _Mismatch as m:
            raise m.to_error(msg) from None


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None, atol: float | None = None,
                    equal_nan: bool = True, msg: str = "") -> None:
    """torch's deprecated form: ``assert_close`` without the dtype check, NaNs equal, looser float tolerances."""
    warnings.warn("`chaingrad.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future "
                  "release. Please use `chaingrad.testing.assert_close()` instead. You can find detailed upgrade "
                  "instructions in https://github.com/pytorch/pytorch/issues/61844.", FutureWarning, stacklevel=2)
    from ..ops.creation import tensor

    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        loose = {_dtype.float16: (1e-3, 1e-3), _dtype.float32: (1e-4, 1e-5), _dtype.float64: (1e-5, 1e-8)}
        rtol, atol = _tolerances([loose.get(t.dtype, (0.0, 0.0)) for t in (actual, expected)], None, None, ())
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True, check_dtype=False,
                 check_stride=False, msg=msg or None)
