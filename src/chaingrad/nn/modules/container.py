"""``chaingrad.nn.modules.container``: torch.nn.modules.container's names, where chaingrad keeps them."""

from __future__ import annotations

from ..container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential  # noqa: F401
