"""``chaingrad.nn.modules.batchnorm``: torch.nn.modules.batchnorm's names, where chaingrad keeps them."""

from __future__ import annotations

from ..lazy import LazyBatchNorm1d, LazyBatchNorm2d  # noqa: F401
from ..normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm  # noqa: F401
