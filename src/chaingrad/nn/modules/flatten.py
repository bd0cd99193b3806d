"""``chaingrad.nn.modules.flatten``: torch.nn.modules.flatten's names, where chaingrad keeps them."""

from __future__ import annotations

from ..linear import Flatten, Unflatten  # noqa: F401
