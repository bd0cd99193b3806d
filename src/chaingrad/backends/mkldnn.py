"""``chaingrad.backends.mkldnn``: no oneDNN here (NumPy's BLAS does the work)."""

from __future__ import annotations

enabled = False


def is_available() -> bool:
    return False
