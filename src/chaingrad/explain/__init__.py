"""Seeing backpropagation: ``explain`` (the chain rule step by step) and ``draw`` (the graph as a picture)."""

import sys as _sys
import types as _types

from .draw import GraphPicture, draw
from .trace import Report, Step, explain

__all__ = ["explain", "draw", "Report", "Step", "GraphPicture"]


class _ExplainModule(_types.ModuleType):
    """Importing this package makes ``chaingrad.explain`` the package itself (Python sets the attribute);
    calling it still runs ``explain``, so ``chaingrad.explain(loss)`` works either way."""

    def __call__(self, *args, **kwargs):
        return explain(*args, **kwargs)


_sys.modules[__name__].__class__ = _ExplainModule
