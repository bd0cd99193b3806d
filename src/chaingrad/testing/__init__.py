"""chaingrad.testing: torch.testing's ``assert_close`` (and the deprecated ``assert_allclose``) and ``make_tensor``,
with torch's default tolerances and its failure messages."""

from __future__ import annotations

from ._comparison import assert_allclose, assert_close
from ._creation import make_tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]
