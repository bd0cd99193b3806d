"""NumPy's names for torch's arguments: torch reads ``axis=`` as ``dim=`` and ``keepdims=`` as ``keepdim=``
(textbooks write ``y.argmax(axis=1)``, ``P.sum(1, keepdims=True)``). One wrapper, put on each op that takes a
``dim`` where the op's module attaches it."""

from __future__ import annotations

import functools
import inspect

#: NumPy's name -> torch's
ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def numpy_names(fn, keepdim_needs_dim: bool = False):
    """``fn`` that also takes ``axis=`` for ``dim=`` (and ``keepdims=`` for ``keepdim=`` where it has one).

    With ``keepdim_needs_dim`` a ``keepdim`` without a ``dim`` is a TypeError, as in torch, whose ``sum``,
    ``mean``, ``prod``, ``max`` and ``min`` over all elements take no ``keepdim``."""
    params = inspect.signature(fn).parameters
    names = {alias: name for alias, name in ALIASES.items() if name in params}
    op = fn.__name__

    @functools.wraps(fn)
    def with_numpy_names(*args, **kwargs):
        if not kwargs:
            return fn(*args)  # the common call, without re-packing keyword arguments
        for alias, name in names.items():
            if alias in kwargs:
                if name in kwargs:
                    raise TypeError(f"{op}() got both '{name}' and its alias '{alias}'; pass only one")
                kwargs[name] = kwargs.pop(alias)
        if keepdim_needs_dim and "keepdim" in kwargs and len(args) < 2 and "dim" not in kwargs:
            raise TypeError(f"{op}() received an invalid combination of arguments - got (keepdim=bool, ): "
                            f"keepdim needs a dim to keep, as in x.{op}(dim, keepdim=True)")
        return fn(*args, **kwargs)

    with_numpy_names.takes_numpy_names = True  # type: ignore[attr-defined]
    return with_numpy_names


#: torch's ops implemented in C++ that take a ``dim``: its argument parser reads ``axis=`` for each of them
#: (``torch.cat(xs, axis=1)``, ``x.unsqueeze(axis=0)``), while its Python-level functions (``torch.split``,
#: ``torch.norm``, ``F.softmax``) do not. Found from torch's builtins that chaingrad has.
DIM_FUNCTIONS = (
    "all", "amax", "amin", "aminmax", "any", "argmax", "argmin", "argsort", "cat", "chunk", "concat", "concatenate",
    "cosine_similarity", "count_nonzero", "cross", "cummax", "cummin", "cumprod", "cumsum", "cumulative_trapezoid",
    "diff", "gather", "index_add", "index_copy", "index_fill", "index_select", "kthvalue", "log_softmax",
    "logcumsumexp", "logsumexp", "max", "mean", "median", "min", "mode", "nanmean", "nanmedian", "nanquantile",
    "nansum", "narrow", "prod", "quantile", "repeat_interleave", "scatter", "scatter_add", "select", "select_scatter",
    "slice_scatter", "softmax", "sort", "split_with_sizes", "squeeze", "stack", "std", "std_mean", "sum",
    "take_along_dim", "tensor_split", "topk", "trapezoid", "trapz", "unbind", "unflatten", "unsafe_chunk",
    "unsafe_split", "unsqueeze", "var", "var_mean",
)
#: the same for Tensor methods (size and stride left out: they are called too often for a wrapper's cost)
DIM_METHODS = (
    "all", "amax", "amin", "aminmax", "any", "argmax", "argmin", "argsort", "chunk", "count_nonzero", "cross",
    "cummax", "cummin", "cumprod", "cumprod_", "cumsum", "diff", "gather", "index_add", "index_add_", "index_copy",
    "index_copy_", "index_fill", "index_fill_", "index_select", "kthvalue", "log_softmax", "logcumsumexp",
    "logsumexp", "max", "mean", "median", "min", "mode", "nanmean", "nanmedian", "nanquantile", "nansum", "narrow",
    "prod", "quantile", "repeat_interleave", "scatter", "scatter_", "scatter_add", "scatter_add_", "select",
    "select_scatter", "slice_scatter", "softmax", "sort", "split_with_sizes", "squeeze", "squeeze_", "std", "sum",
    "take_along_dim", "tensor_split", "topk", "unbind", "unsafe_chunk", "unsafe_split", "unsqueeze", "unsqueeze_",
    "var",
)


def _with_names(fn):
    if getattr(fn, "takes_numpy_names", False):
        return fn
    try:
        if "dim" not in inspect.signature(fn).parameters:
            return fn
    except (TypeError, ValueError):
        return fn
    return numpy_names(fn)


def give_numpy_names(namespace: dict, tensor_class: type) -> None:
    """Let each op of DIM_FUNCTIONS in ``namespace`` and of DIM_METHODS on ``tensor_class`` take ``axis=``."""
    for name in DIM_FUNCTIONS:
        if name in namespace:
            namespace[name] = _with_names(namespace[name])
    for name in DIM_METHODS:
        method = tensor_class.__dict__.get(name)
        if callable(method):
            setattr(tensor_class, name, _with_names(method))
