"""``chaingrad.nn.modules.linear``: torch.nn.modules.linear's names, where chaingrad keeps them."""

from __future__ import annotations

from ..attention import NonDynamicallyQuantizableLinear  # noqa: F401
from ..lazy import LazyLinear  # noqa: F401
from ..linear import Bilinear, Identity, Linear  # noqa: F401
