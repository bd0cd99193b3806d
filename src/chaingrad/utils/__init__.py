"""Utilities with torch.utils' names: ``chaingrad.utils.data`` (Dataset, DataLoader ...)."""

from . import data, hooks

__all__ = ["data", "hooks"]
