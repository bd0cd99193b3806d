"""``chaingrad.backends.mps``: Apple's GPU backend is not available (``device = "mps" if
torch.backends.mps.is_available() else "cpu"`` picks the CPU)."""

from __future__ import annotations


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
