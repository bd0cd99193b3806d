"""Neural-network building blocks with torch.nn's names."""

from . import functional  # noqa: F401
