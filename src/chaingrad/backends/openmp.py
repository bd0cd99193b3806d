"""``chaingrad.backends.openmp``: chaingrad does not use OpenMP itself (NumPy's BLAS has its own threads)."""

from __future__ import annotations


def is_available() -> bool:
    return False
