"""``chaingrad.nn.modules.normalization``: torch.nn.modules.normalization's names, where chaingrad keeps them."""

from __future__ import annotations

from ..channel import LocalResponseNorm  # noqa: F401
from ..normalization import GroupNorm, LayerNorm, RMSNorm  # noqa: F401
