"""The check torch's argument parser makes at the door of each function: a tensor argument is a tensor.

``chaingrad.sum([1, 2])`` raises torch's TypeError, ``sum(): argument 'input' (position 1) must be Tensor, not
list``, instead of an AttributeError from deep inside the op (or, for ``add([1], [2])``, a result torch would
refuse to compute). ``checked_namespace`` applies it once, in ``chaingrad/__init__.py`` and
``chaingrad/nn/functional.py``, to every public function whose first parameter is a tensor (named ``input``,
as in torch's signatures) or a sequence of tensors
(``tensors``: cat, stack, broadcast_tensors, ...), and to the few listed in ``ARGUMENTS``. The ops themselves,
and the Tensor methods (whose ``self`` is a tensor already), are left as they are.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable

from .tensor import Tensor

TENSOR, TENSOR_OR_NUMBER, NUMBER = "Tensor", "Tensor or Number", "Number"

# functions where torch also takes a Python number as the first argument (``torch.add(2, t)``, ``torch.pow(2, t)``)
NUMBER_FIRST = frozenset({
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
    "pow", "float_power", "xlogy", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
    "bitwise_right_shift", "bucketize", "isin",
})
# the other functions' leading positional arguments, by what each must be
ARGUMENTS = {
    "where": (("condition", TENSOR), ("input", TENSOR_OR_NUMBER), ("other", TENSOR_OR_NUMBER)),
    "result_type": (("tensor", TENSOR_OR_NUMBER), ("other", TENSOR_OR_NUMBER)),
    "scalar_tensor": (("s", NUMBER),),
}
# functions torch writes in Python, which fail on a list with an AttributeError (``torch.norm([1.])``,
# ``F.softmax([1.])``: ``'list' object has no attribute ...``); left to fail as they do, for the same class
UNCHECKED = frozenset({"norm"})
FUNCTIONAL_UNCHECKED = frozenset({
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "dropout1d", "dropout2d", "dropout3d", "glu", "group_norm", "huber_loss", "instance_norm", "interpolate",
    "l1_loss", "log_softmax", "mse_loss", "normalize", "sigmoid", "smooth_l1_loss", "softmax", "softmin",
    "softsign", "tanh", "tanhshrink", "upsample", "upsample_bilinear", "upsample_nearest",
})


def _fits(x, kind: str) -> bool:
    if kind == TENSOR:
        return isinstance(x, Tensor)
    if kind == NUMBER:
        return isinstance(x, numbers.Number)
    return isinstance(x, (Tensor, numbers.Number))


def _positional(f: Callable, name: str, spec: tuple) -> Callable:
    """``f`` with its leading arguments (given by position, or by name) checked against ``spec``."""
    one = len(spec) == 1  # (nearly all: only ``input``)

    @functools.wraps(f)
    def checked(*args, **kwargs):
        if one and args and type(args[0]) is Tensor:  # the common call, settled at once
            return f(*args, **kwargs)
        for i, (param, kind) in enumerate(spec):
            if i < len(args):
                x = args[i]
            elif param in kwargs:
                x = kwargs[param]
            else:  # not given: the function's own defaults or TypeError apply
                continue
            if not _fits(x, kind):
                where = f" (position {i + 1})" if i < len(args) else ""
                expected = NUMBER if kind == NUMBER else TENSOR  # (torch names the tensor overload)
                raise TypeError(f"{name}(): argument '{param}'{where} must be {expected}, not {type(x).__name__}")
        return f(*args, **kwargs)

    checked.checks_arguments = True  # type: ignore[attr-defined]  # (what tests look for)
    return checked


def _sequence(f: Callable, start: int, varargs: bool) -> Callable:
    """``f`` with its tensors checked: argument ``start``, a list or tuple of them (``cat([a, b], 0)``), or with
    ``varargs`` the arguments from ``start`` on (``broadcast_tensors(a, b)``, or one list of them)."""

    @functools.wraps(f)
    def checked(*args, **kwargs):
        rest = args[start:]
        if varargs:
            seq = rest[0] if len(rest) == 1 and isinstance(rest[0], (list, tuple)) else rest
        else:
            seq = rest[0] if rest and isinstance(rest[0], (list, tuple)) else ()
        for i, t in enumerate(seq):
            if not isinstance(t, Tensor):
                raise TypeError(f"expected Tensor as element {i} in argument {start}, but got {type(t).__name__}")
        return f(*args, **kwargs)

    checked.checks_arguments = True  # type: ignore[attr-defined]  # (what tests look for)
    return checked


def checked_namespace(namespace: dict, unchecked: frozenset = UNCHECKED) -> None:
    """Replace each public function of ``namespace`` that takes tensors first by one that checks it does."""
    for name, f in list(namespace.items()):
        if (name.startswith("_") or name in unchecked or not inspect.isfunction(f)
                or getattr(f, "checks_arguments", False)):  # (checked already: imported from chaingrad)
            continue
        params = list(inspect.signature(f).parameters.values())
        if name in ARGUMENTS:
            namespace[name] = _positional(f, name, ARGUMENTS[name])
        elif name == "einsum":  # einsum(equation, *operands)
            namespace[name] = _sequence(f, 1, True)
        elif params and params[0].name == "input":
            namespace[name] = _positional(f, name, (("input", TENSOR_OR_NUMBER if name in NUMBER_FIRST else TENSOR),))
        elif params and params[0].name == "tensors":
            namespace[name] = _sequence(f, 0, params[0].kind is inspect.Parameter.VAR_POSITIONAL)
