"""``out=``: the functions that torch gives an ``out`` argument write their result into a given tensor and return
it (``torch.matmul(a, b, out=y)``); those with several results take a tuple of tensors and return a named tuple
of them (``torch.max(x, 1, out=(values, indices))``). One rule for all of them:

- the result is computed as without ``out``, then copied into ``out`` (cast to its dtype where the op's kernel
  allows it: most elementwise ops take any dtype that can hold the result's kind, a float result does not go
  into an integer tensor; the matrix, indexing and sorting kernels want the result's dtype exactly; the table
  ``OUT_DTYPES`` below says which, with torch's message for each);
- ``out`` of another shape is resized to the result's (with torch's warning, unless it had no elements);
  ``out`` of the right shape is written in place, so a view writes through to its base;
- no gradient flows through ``out=``: with grad mode on, an input or ``out`` that requires grad is an error.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .. import return_types
from ..autograd.grad_mode import state
from ..tensor import Tensor
from ._checks import scalar_type

# the element types as torch's C++ messages print them ("Expected out tensor to have dtype float, but got double")
_CPP_NAME = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
             "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double"}


def can_cast(result: np.dtype, out: np.dtype) -> bool:
    """torch's ``canCast``: a result goes into any dtype except float into an integer, complex into a real, and
    anything but bool into bool."""
    if result.kind == "c" and out.kind != "c":
        return False
    if result.kind == "f" and out.kind in "biu":
        return False
    return not (result.kind != "b" and out.kind == "b")


class Rule(NamedTuple):
    """Which ``out`` dtypes an op takes for one result, and the error (class and text) for the others. The text
    is formatted with R/O (torch's names of the result's and out's dtypes: Float, Long), r/o (the C++ names: float,
    long int) and int32 (whether the result is int32). ``then``: a further rule, checked after this one."""
    fits: Callable[[np.dtype, np.dtype], bool]
    error: type = RuntimeError
    text: str = ""
    then: Rule | None = None

    def check(self, result: np.dtype, out: np.dtype) -> None:
        if not self.fits(result, out):
            raise self.error(self.text.format(R=scalar_type(result), O=scalar_type(out), r=_CPP_NAME[result.name],
                                              o=_CPP_NAME[out.name], int32=result == np.int32))
        if self.then is not None:
            self.then.check(result, out)


def _same(result: np.dtype, out: np.dtype) -> bool:
    return result == out


CAST = Rule(can_cast, RuntimeError, "result type {R} can't be cast to the desired output type {O}")
SAME = Rule(_same, RuntimeError, "Expected out tensor to have dtype {r}, but got {o} instead")
FOUND = Rule(_same, RuntimeError, "Found dtype {O} but expected {R}")
ANY = Rule(lambda result, out: True)


def _castable(op: str, result: str = "result", then: Rule | None = None) -> Rule:
    """torch's linalg rule: any ``out`` the result casts into safely (a float result not into an integer)."""
    return Rule(can_cast, RuntimeError, op + f": Expected {result} to be safely castable from {{R}} dtype, but got "
                f"{result} with dtype {{O}}", then)
_SCAN = Rule(_same, RuntimeError, "expected scalar_type {R} but found {O}")
_SCALAR = Rule(_same, RuntimeError, "expected scalar type {R} but found {O}")
_CAT = Rule(can_cast, TypeError, "torch.cat(): input types can't be cast to the desired output type {O}")
_NORM = Rule(_same, RuntimeError, "linalg.norm expected out tensor dtype {R} but got: {O}")
_SORTED = Rule(_same, RuntimeError, "torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) "
               "or Long(int64) depending on whether out_int32 flag is True, but we got output tensor's dtype {O} and "
               "out_int32 flag is {int32}")


def _reduction(name: str) -> Rule:
    return Rule(lambda result, out: out == np.bool_, RuntimeError, name + " only supports bool tensor for result, "
                "got: {O}")


def _not_bool(kernel: str) -> Rule:
    return Rule(lambda result, out: out != np.bool_, NotImplementedError, f'"{kernel}" not implemented for \'Bool\'')


_MEDIAN = (Rule(_same, RuntimeError, "Expected tensor for 'values' to have the same type as tensor for argument "
                "#2 'self'; but type torch.{O}Tensor does not equal torch.{R}Tensor (while checking arguments for "
                "median)"),
           Rule(_same, RuntimeError, "Expected tensor for argument #1 'indices' to have scalar type Long; but got "
                "torch.{O}Tensor instead (while checking arguments for median)"))


# the dtype rule of each op that is not CAST (a tuple: one rule a result), as torch's kernels check it
_NANSUM = Rule(lambda result, out: out.kind == "f", NotImplementedError, "\"nansum_cpu\" not implemented for '{O}'")
OUT_DTYPES: dict[str, Rule | tuple[Rule, ...]] = {
    **dict.fromkeys(["addmm", "addmv", "baddbmm", "bmm", "cross", "gather", "index_add", "inverse", "log_softmax",
                     "matmul", "mm", "msort", "mv", "norm", "scatter_add", "softmax", "take_along_dim", "tril", "triu",
                     "index_copy", "scatter",
                     "argmax", "argmin", "argsort", "linalg.cross", "linalg.det", "linalg.inv", "linalg.matmul",
                     "linalg.solve", "linalg.svdvals", "linalg.cholesky",
                     "linalg.vector_norm"], SAME),
    **dict.fromkeys(["abs", "absolute", "ceil", "clamp", "clamp_max", "clamp_min", "clip", "floor", "neg", "negative",
                     "round", "sign", "trunc", "special.round", "bitwise_not", "frac", "sgn"], FOUND),
    **dict.fromkeys(["sum", "prod", "bernoulli", "empty", "eye", "full", "ones", "zeros"], ANY),
    **dict.fromkeys(["cat", "concat", "concatenate", "hstack", "stack", "vstack"], _CAT),
    **dict.fromkeys(["max", "min", "sort", "topk"], (SAME, SAME)),
    **dict.fromkeys(["qr", "slogdet", "linalg.qr", "linalg.slogdet", "linalg.cholesky_ex"], (SAME, SAME)),
    "linalg.solve_triangular": _SCALAR,
    "cholesky_inverse": Rule(can_cast, RuntimeError, "cholesky_inverse: Expected result to be safely castable from "
                             "{R} dtype, but got result with dtype {O}"),
    **dict.fromkeys(["svd", "linalg.svd"], (SAME, SAME, SAME)),
    **dict.fromkeys(["cummax", "cummin"], (_SCAN, _SCAN)),
    "logcumsumexp": _SCAN,
    "cumsum": _not_bool("cumsum_out_cpu"),
    "cumprod": _not_bool("cumprod_out_cpu"),
    "arange": _not_bool("arange_cpu"),
    "linspace": _not_bool("linspace_cpu"),
    "logspace": _not_bool("logspace_cpu"),
    "all": _reduction("all"),
    "any": _reduction("any"),
    # (these compute in out's dtype, and torch's NaN-skipping sum has no integer kernel)
    "nansum": _NANSUM,
    "nanmean": _NANSUM,
    "logsumexp": Rule(lambda result, out: out.kind == "f", RuntimeError,
                      "logsumexp(): Expected floating point type for result tensor, but got: {O}"),
    "amax": Rule(_same, RuntimeError, "Expected the dtype for input and out to match, but got {R} for input's dtype "
                 "and {O} for out's dtype."),
    "addbmm": Rule(_same, RuntimeError, "self and mat2 must have the same dtype, but got {O} and {R}"),
    "diag": Rule(can_cast, RuntimeError, "diag: result type {R} can't be cast to the desired out= type {O}", SAME),
    "dot": Rule(_same, RuntimeError, "result dtype {O} does not match input dtype {R}"),
    "inner": Rule(_same, RuntimeError, "tensordot: Expected the output tensor to have dtype {R}, but got an output "
                  "tensor with dtype {O}"),
    "index_select": Rule(_same, RuntimeError, "index_select(): self and result must have the same scalar type"),
    "masked_select": Rule(_same, RuntimeError, "masked_select(): self and result must have the same scalar type"),
    "renorm": SAME,
    "scatter_reduce": SAME,
    "index_reduce": SAME,
    "isneginf": Rule(lambda result, out: out == np.bool_, RuntimeError,
                    "isneginf does not support non-boolean outputs."),
    "isposinf": Rule(lambda result, out: out == np.bool_, RuntimeError,
                    "isposinf does not support non-boolean outputs."),
    "nan_to_num": Rule(_same, RuntimeError, "nan_to_num: dtype of out: {O} should be same as input: {R}"),
    "nonzero": Rule(_same, RuntimeError, "nonzero: Expected out tensor to have scalar type Long but got scalar "
                    "type{O}"),
    "where": Rule(_same, RuntimeError, "Expected out type to be {R} but got {O}"),
    "multinomial": Rule(_same, RuntimeError, "multinomial expects Long tensor out, got: {O}"),
    "histc": Rule(_same, RuntimeError, "torch.histogram: input tensor and hist tensor should have the same dtype, but "
                  "got input {r} and hist {o}"),
    "histogram": (Rule(_same, RuntimeError, "torch.histogram: input tensor and hist tensor should have the same dtype, "
                       "but got input {r} and hist {o}"),
                  Rule(_same, RuntimeError, "torch.histogram: input tensor and bin_edges tensor should have the same "
                       "dtype, but got input {r} and bin_edges {o} for dimension 0")),
    "kthvalue": (Rule(_same, RuntimeError, "output values must be of same type as input"),
                 Rule(_same, RuntimeError, "output indices must be of scalar type Long")),
    "mode": (Rule(_same, RuntimeError, "expected scalar type '{R}' but got '{O}' for values output"),
             Rule(_same, RuntimeError, "expected scalar type '{R}' but got '{O}' for indices output")),
    "median": _MEDIAN,
    "nanmedian": _MEDIAN,
    "searchsorted": _SORTED,
    "bucketize": _SORTED,
    "linalg.norm": _NORM,
    "linalg.matrix_norm": _NORM._replace(text=_NORM.text.replace("linalg.norm", "linalg.matrix_norm")),
}
OUT_DTYPES.update({
    **dict.fromkeys(["column_stack", "dstack", "row_stack"], _CAT),
    **dict.fromkeys(["fix", "hardshrink"], FOUND),
    **dict.fromkeys(["isin", "slice_scatter"], SAME),
    **dict.fromkeys(["quantile", "nanquantile"], Rule(_same, RuntimeError, "quantile() out tensor must be same dtype "
                                                      "as the input tensor")),
    "aminmax": (SAME, SAME),
    **dict.fromkeys(["linalg." + n for n in ("cholesky", "cholesky_ex", "eigh", "eigvalsh", "inv_ex", "lu",
                                             "lu_factor", "lu_factor_ex", "lu_solve", "matrix_exp", "solve_ex")]
                    + ["lu_solve", "lu_unpack", "triangular_solve"], SAME),
    **{name: _castable(prefix) for name, prefix in (
        ("cholesky", "cholesky"), ("cholesky_inverse", "cholesky_inverse"), ("cholesky_solve", "cholesky_solve"),
        ("linalg.cond", "linalg.cond"), ("linalg.householder_product", "torch.linalg.householder_product"),
        ("orgqr", "torch.linalg.householder_product"),
        ("linalg.matrix_rank", "torch.linalg.matrix_rank"), ("linalg.pinv", "linalg.pinv"),
        ("linalg.tensorinv", "tensorinv"), ("linalg.tensorsolve", "tensorsolve"))},
    # (torch names the residuals "solution" in its message)
    "linalg.lstsq": (_castable("torch.linalg.lstsq", "solution"), _castable("torch.linalg.lstsq", "solution"), CAST,
                     _castable("torch.linalg.lstsq", "singular_values", SAME)),
    "linalg.multi_dot": Rule(_same, RuntimeError, "multi_dot(): expected out tensor to have dtype {r} but got {o}"),
    "linalg.solve_triangular": Rule(_same, RuntimeError, "expected scalar type {R} but found {O}"),
    "linalg.vecdot": Rule(_same, RuntimeError, "linalg.vecdot: Expected out of dtype{R} but found {O}"),
    "chain_matmul": Rule(_same, RuntimeError, "multi_dot(): expected out tensor to have dtype {r} but got {o}"),
    "float_power": Rule(_same, RuntimeError, "the output given to float_power has dtype {O} but the operation's "
                        "result requires dtype {R}"),
    "frexp": (Rule(_same, RuntimeError, "torch.frexp() expects mantissa to have dtype {r} but got {o}"),
              Rule(_same, RuntimeError, "torch.frexp() expects exponent to have int dtype but got {o}")),
    "heaviside": Rule(_same, RuntimeError, "heaviside is not yet implemented for tensors with different dtypes."),
    "ldexp": Rule(can_cast, RuntimeError, "ldexp can't be cast to the desired output type {O}",
                  Rule(_same, RuntimeError, "ldexp: the out tensor must have the result's dtype {R}, not {O}")),
    "matrix_power": Rule(can_cast, RuntimeError, "matrix_power: Expected result to be safely castable from {R} dtype, "
                         "but got result with dtype {O}", SAME),
    "range": _not_bool("range_cpu"),
    "signbit": Rule(_same, RuntimeError, "signbit does not support non-boolean outputs."),
    "take": Rule(_same, RuntimeError, "take(): self and out expected to have the same dtype, but got self.dtype = {R} "
                 "and out.dtype = {O}"),
    "vdot": OUT_DTYPES["dot"],
})
OUT_DTYPES["linalg.matrix_power"] = OUT_DTYPES["matrix_power"]
OUT_DTYPES["amin"] = OUT_DTYPES["amax"]
OUT_DTYPES["tensordot"] = OUT_DTYPES["inner"]
OUT_DTYPES["special.logsumexp"] = OUT_DTYPES["logsumexp"]


# the ops whose kernels resize ``out`` without a warning: the creation and random functions, addbmm
_SILENT_RESIZE = frozenset({"addbmm", "bernoulli", "empty", "eye", "full", "linspace", "logspace", "multinomial",
                            "normal", "ones", "range", "rand", "randint", "randn", "randperm", "zeros"})


# the ops torch defines no derivative for, where an ``out`` that requires grad is simply filled
_NO_DERIVATIVE = frozenset({"histc"})


def _resize_warning(op: str, had: tuple, shape: tuple) -> str | None:
    if op in _SILENT_RESIZE or not math.prod(had):
        return None
    if op == "arange":
        return (f"The number of elements in the out tensor of shape {list(had)} is {math.prod(had)} which does not "
                f"match the computed number of elements {math.prod(shape)}. Note that this may occur as a result of "
                f"rounding error. The out tensor will be resized to a tensor of shape {shape}.")
    return (f"An output with one or more elements was resized since it had shape {list(had)}, which does not match "
            f"the required output shape {list(shape)}. This behavior is deprecated, and in a future PyTorch release "
            "outputs will not be resized unless they have zero elements. You can explicitly reuse an out tensor t by "
            "resizing it, inplace, to zero elements with t.resize_(0).")


def _store(result: np.ndarray, out: Tensor, op: str) -> None:
    """``result`` into ``out``: in place where the shape matches (a view writes through to its base), else
    ``out`` resized to it, with torch's warning where ``out`` had elements; its version bumped."""
    target = out._data
    if target.shape == result.shape and target.flags.writeable:
        np.copyto(target, result, casting="unsafe")
    else:
        message = _resize_warning(op, target.shape, result.shape)
        if message is not None:
            warnings.warn(message, UserWarning, stacklevel=4)
        out._data = result.astype(target.dtype, copy=True)
    out._version[0] += 1


def require_out(out, op: str) -> None:
    """torch's TypeError for an ``out`` that is not a tensor (None: no ``out``), for the ops that take it themselves."""
    if out is not None and not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")


def write_out(result: np.ndarray, out, op: str) -> Tensor:
    """``out`` holding ``result`` (an array), by ``op``'s dtype rule; for ops that make the array themselves."""
    require_out(out, op)
    rule = OUT_DTYPES.get(op, CAST)
    assert isinstance(rule, Rule)
    rule.check(result.dtype, out._data.dtype)
    _store(result, out, op)
    return out


def fill(result, out, op: str):
    """``out`` (a tensor, or a tuple of them for an op with several results) holding ``result``, by the rule at
    the top; what the op returns with ``out=``."""
    if isinstance(result, Tensor):
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
        results, outs = [result], [out]
    elif isinstance(result, tuple) and hasattr(result, "_fields"):  # (values, indices) and the like
        if not isinstance(out, (tuple, list)) or not all(isinstance(t, Tensor) for t in out):
            raise TypeError(f"{op}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}")
        if len(out) != len(result):
            raise TypeError(f"expected tuple of {len(result)} elements but got {len(out)}")
        results, outs = list(result), list(out)
    else:
        raise NotImplementedError(f"{op}(): out= is not supported for this call's result; assign the result instead")
    if state.enabled and op not in _NO_DERIVATIVE and any(t.requires_grad for t in results + outs):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    rules = OUT_DTYPES.get(op, CAST)
    if isinstance(rules, Rule):
        rules = (rules,) * len(results)
    for r, t, rule in zip(results, outs, rules):
        rule.check(r._data.dtype, t._data.dtype)
    for r, t in zip(results, outs):
        _store(r._data, t, op)
    if isinstance(result, Tensor):
        return out
    return return_types.out_variant(type(result))(*outs)


def with_out(fn, op: str | None = None, in_out_dtype: bool = False):
    """``fn`` that also takes ``out=``, by the rule above; ``op``: its name in ``OUT_DTYPES`` where that is not
    ``fn.__name__`` (``"linalg.norm"``). ``in_out_dtype`` for the functions that, without ``dtype=``, compute in
    ``out``'s dtype, as torch: the creation functions (``zeros``, ``arange``) and the sums and products."""
    name = op or fn.__name__
    rule = OUT_DTYPES.get(name, CAST)

    @functools.wraps(fn)
    def fn_with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if in_out_dtype and kwargs.get("dtype") is None:
            require_out(out, name)
            assert isinstance(rule, Rule)
            rule.check(out._data.dtype, out._data.dtype)  # (a dtype the kernel has: no bool arange)
            kwargs["dtype"] = out.dtype
        return fill(fn(*args, **kwargs), out, name)

    fn_with_out.without_out = fn  # type: ignore[attr-defined]  # (for the argument check: chaingrad/_arguments.py)
    return fn_with_out
