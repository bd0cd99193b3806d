"""``chaingrad.nn.modules.pixelshuffle``: torch.nn.modules.pixelshuffle's names, where chaingrad keeps them."""

from __future__ import annotations

from ..pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: F401
