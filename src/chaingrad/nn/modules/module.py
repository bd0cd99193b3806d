"""``chaingrad.nn.modules.module``: torch.nn.modules.module's names, where chaingrad keeps them."""

from __future__ import annotations

from ..module import Module, _addindent, _IncompatibleKeys  # noqa: F401
