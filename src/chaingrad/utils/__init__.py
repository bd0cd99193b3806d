"""Utilities with torch.utils' names: ``chaingrad.utils.data`` (Dataset, DataLoader ...)."""

from . import data

__all__ = ["data"]
