"""The check torch's argument parser makes at the door of each function: a tensor argument is a tensor.

``chaingrad.sum([1, 2])`` raises torch's TypeError, ``sum(): argument 'input' (position 1) must be Tensor, not
list``, instead of an AttributeError from deep inside the op (or, for ``add([1], [2])``, a result torch would
refuse to compute). ``checked_namespace`` applies it once, in ``chaingrad/__init__.py`` and
``chaingrad/nn/functional.py``, to every public function whose first parameter is a tensor (named ``input``,
as in torch's signatures) or a sequence of tensors
(``tensors``: cat, stack, broadcast_tensors, ...), and to the few listed in ``ARGUMENTS``; the functions torch
writes in Python fail instead with the AttributeError torch's do (``PYTHON_LEVEL``). The ops themselves,
and the Tensor methods (whose ``self`` is a tensor already), are left as they are.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable

from .tensor import Tensor

TENSOR, TENSOR_OR_NUMBER, NUMBER, INT, INTS = "Tensor", "Tensor or Number", "Number", "int", "tuple of ints"
FLOAT = "float"

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
    **dict.fromkeys(["logical_and", "logical_or", "logical_xor"], (("input", TENSOR), ("other", TENSOR))),
    "logical_not": (("input", TENSOR),),
}
_WEIGHT, _TARGET = (("input", TENSOR), ("weight", TENSOR)), (("input", TENSOR), ("target", TENSOR))
FUNCTIONAL_ARGUMENTS = {
    **dict.fromkeys(["linear", "prelu", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"], _WEIGHT),
    **dict.fromkeys(["cross_entropy", "nll_loss", "poisson_nll_loss", "hinge_embedding_loss", "soft_margin_loss",
                     "multi_margin_loss", "multilabel_margin_loss"], _TARGET),
    "triplet_margin_loss": (("anchor", TENSOR), ("positive", TENSOR), ("negative", TENSOR)),
    "cosine_embedding_loss": (("input1", TENSOR), ("input2", TENSOR), ("target", TENSOR)),
    **dict.fromkeys(["celu", "elu"], (("input", TENSOR), ("alpha", NUMBER))),
    "leaky_relu": (("input", TENSOR), ("negative_slope", NUMBER)),
    **dict.fromkeys(["hardshrink", "softshrink"], (("input", TENSOR), ("lambd", NUMBER))),
    **dict.fromkeys(["rrelu", "rrelu_"], (("input", TENSOR), ("lower", NUMBER), ("upper", NUMBER))),
    "softplus": (("input", TENSOR), ("beta", NUMBER)),
    "hardtanh": (("input", TENSOR), ("min_val", NUMBER), ("max_val", NUMBER)),
    **dict.fromkeys(["avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d", "unfold", "max_pool1d_with_indices",
                     "max_pool2d_with_indices"], (("input", TENSOR), ("kernel_size", INTS))),
    **dict.fromkeys(["adaptive_max_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d_with_indices"],
                    (("input", TENSOR), ("output_size", INTS))),
    "channel_shuffle": (("input", TENSOR), ("groups", INT)),
    "pdist": (("input", TENSOR), ("p", FLOAT)),
    **dict.fromkeys(["layer_norm", "rms_norm"], (("input", TENSOR), ("normalized_shape", INTS))),
    "pad": (("input", TENSOR), ("pad", INTS)),
    "one_hot": (("tensor", TENSOR), ("num_classes", INT)),
}
# functions torch writes in Python: there a non-tensor fails on the first tensor attribute the function uses, with
# Python's AttributeError (``torch.norm([1.])``: ``'list' object has no attribute 'layout'``); the same here, by
# that attribute's name. A pair: the names without and with ``dim`` given (softmax asks the input for its number of
# dims only to pick ``dim``); None: the function's own failure is torch's already (``-input``, ``input.dim()``)
PYTHON_LEVEL: dict[str, str | tuple[str | None, str | None] | None] = {"norm": "layout"}
FUNCTIONAL_PYTHON_LEVEL: dict[str, str | tuple[str | None, str | None] | None] = {
    **dict.fromkeys(["adaptive_avg_pool2d", "adaptive_max_pool2d", "binary_cross_entropy",
                     "binary_cross_entropy_with_logits", "huber_loss", "instance_norm", "l1_loss", "mse_loss",
                     "smooth_l1_loss"], "size"),
    "adaptive_max_pool2d_with_indices": "size", "local_response_norm": "dim",
    **dict.fromkeys(["glu", "group_norm", "interpolate", "upsample", "upsample_bilinear", "upsample_nearest"], "dim"),
    **dict.fromkeys(["dropout1d", "dropout2d", "dropout3d"], None),  # (they check p first, then ask input.dim())
    "embedding_bag": None,  # (it asks weight.dtype, then input.dim(): Python's own errors are torch's)
    "normalize": "norm", "sigmoid": "sigmoid", "softsign": "abs", "tanh": "tanh", "tanhshrink": "tanh",
    "softmax": ("dim", "softmax"), "log_softmax": ("dim", "log_softmax"), "softmin": ("dim", None),
}


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) or (isinstance(x, Tensor) and x.ndim == 0 and not x.is_floating_point())


def _misfit(x, kind: str) -> str | None:
    """What is wrong with ``x`` as a ``kind`` argument (the end of torch's message), or None."""
    if kind == TENSOR:
        return None if isinstance(x, Tensor) else f"must be Tensor, not {type(x).__name__}"
    if kind == NUMBER:
        return None if isinstance(x, numbers.Number) else f"must be Number, not {type(x).__name__}"
    if kind == TENSOR_OR_NUMBER:
        return None if isinstance(x, (Tensor, numbers.Number)) else f"must be Tensor, not {type(x).__name__}"
    if kind == INT:
        return None if _is_int(x) else f"must be int, not {type(x).__name__}"
    if kind == FLOAT:
        return None if isinstance(x, numbers.Real) else f"must be float, not {type(x).__name__}"
    if isinstance(x, (list, tuple)):  # INTS: an int, or a sequence of them
        for j, element in enumerate(x):
            if not _is_int(element):
                return f"must be tuple of ints, but found element of type {type(element).__name__} at pos {j}"
        return None
    return None if _is_int(x) else f"must be tuple of ints, not {type(x).__name__}"


def _without_out(f: Callable) -> Callable:
    """The op itself where ``f`` is its ``out=`` wrapper (ops/_out.py): a call without ``out`` goes to it straight,
    through one wrapper (this check) instead of two."""
    return getattr(f, "without_out", f)


def _positional(f: Callable, name: str, spec: tuple) -> Callable:
    """``f`` with its leading arguments (given by position, or by name) checked against ``spec``."""
    one = len(spec) == 1  # (nearly all: only ``input``)
    op = _without_out(f)

    @functools.wraps(f)
    def checked(*args, **kwargs):
        if one and args and type(args[0]) is Tensor:  # the common call, settled at once
            return op(*args, **kwargs) if "out" not in kwargs else f(*args, **kwargs)
        for i, (param, kind) in enumerate(spec):
            if i < len(args):
                x = args[i]
            elif param in kwargs:
                x = kwargs[param]
            else:  # not given: the function's own defaults or TypeError apply
                continue
            wrong = _misfit(x, kind)
            if wrong is not None:
                where = f" (position {i + 1})" if i < len(args) else ""
                raise TypeError(f"{name}(): argument '{param}'{where} {wrong}")
        return op(*args, **kwargs) if "out" not in kwargs else f(*args, **kwargs)

    checked.checks_arguments = True  # type: ignore[attr-defined]  # (what tests look for)
    return checked


def _sequence(f: Callable, start: int, varargs: bool) -> Callable:
    """``f`` with its tensors checked: argument ``start``, a list or tuple of them (``cat([a, b], 0)``), or with
    ``varargs`` the arguments from ``start`` on (``broadcast_tensors(a, b)``, or one list of them)."""
    op = _without_out(f)

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
        return op(*args, **kwargs) if "out" not in kwargs else f(*args, **kwargs)

    checked.checks_arguments = True  # type: ignore[attr-defined]  # (what tests look for)
    return checked


def _attribute(f: Callable, names: str | tuple[str | None, str | None]) -> Callable:
    """``f`` raising the AttributeError of torch's Python function (``PYTHON_LEVEL``) for a non-tensor input."""
    without_dim, with_dim = names if isinstance(names, tuple) else (names, names)
    signature = inspect.signature(f)

    @functools.wraps(f)
    def checked(*args, **kwargs):
        if args and type(args[0]) is Tensor:  # the common call, settled at once
            return f(*args, **kwargs)
        given = signature.bind(*args, **kwargs).arguments  # (Python's TypeError for a wrong call comes first)
        name = with_dim if given.get("dim") is not None else without_dim
        if "input" in given and not isinstance(given["input"], Tensor) and name is not None:
            raise AttributeError(f"'{type(given['input']).__name__}' object has no attribute '{name}'")
        return f(*args, **kwargs)

    checked.checks_arguments = True  # type: ignore[attr-defined]  # (what tests look for)
    return checked


def checked_namespace(namespace: dict, python_level: dict = PYTHON_LEVEL, arguments: dict = ARGUMENTS) -> None:
    """Replace each public function of ``namespace`` that takes tensors first by one that checks it does
    (``arguments``: the functions whose further arguments are checked too)."""
    for name, f in list(namespace.items()):
        if (name.startswith("_") or not inspect.isfunction(f)
                or getattr(f, "checks_arguments", False)):  # (checked already: imported from chaingrad)
            continue
        params = list(inspect.signature(f).parameters.values())
        if name in python_level:  # (None: left to fail as it does, torch's way already)
            if python_level[name] is not None:
                namespace[name] = _attribute(f, python_level[name])
        elif name in arguments:
            namespace[name] = _positional(f, name, arguments[name])
        elif name == "einsum":  # einsum(equation, *operands)
            namespace[name] = _sequence(f, 1, True)
        elif params and params[0].name == "input":
            namespace[name] = _positional(f, name, (("input", TENSOR_OR_NUMBER if name in NUMBER_FIRST else TENSOR),))
        elif params and params[0].name == "tensors":
            namespace[name] = _sequence(f, 0, params[0].kind is inspect.Parameter.VAR_POSITIONAL)
