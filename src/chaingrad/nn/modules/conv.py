"""``chaingrad.nn.modules.conv``: torch.nn.modules.conv's names, where chaingrad keeps them."""

from __future__ import annotations

from ..conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, _ConvNd, _ConvTransposeNd  # noqa: F401
from ..lazy import LazyConv1d, LazyConv2d  # noqa: F401
