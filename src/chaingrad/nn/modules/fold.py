"""``chaingrad.nn.modules.fold``: torch.nn.modules.fold's names, where chaingrad keeps them."""

from __future__ import annotations

from ..resample import Fold, Unfold  # noqa: F401
