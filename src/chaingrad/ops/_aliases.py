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

    return with_numpy_names
