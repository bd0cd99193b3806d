"""``chaingrad.nn.modules.instancenorm``: torch.nn.modules.instancenorm's names, where chaingrad keeps them."""

from __future__ import annotations

from ..normalization import InstanceNorm1d, InstanceNorm2d, _InstanceNorm  # noqa: F401
