"""``chaingrad.nn.modules.lazy``: torch.nn.modules.lazy's names, where chaingrad keeps them."""

from __future__ import annotations

from ..lazy import LazyModuleMixin  # noqa: F401
