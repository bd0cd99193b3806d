"""``chaingrad.cuda.amp``: torch's deprecated CUDA spellings of ``chaingrad.amp`` (each warns as torch's does,
then behaves as the ``"cuda"`` version: disabled, with torch's warning, as without CUDA)."""

from __future__ import annotations

import warnings

from .. import amp as _amp
from .._autocast import autocast as _autocast
from .._dtype import float16

__all__ = ["amp_definitely_not_available", "autocast", "custom_bwd", "custom_fwd", "GradScaler"]


def amp_definitely_not_available() -> bool:
    """True: there is no CUDA here."""
    return True


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"`chaingrad.cuda.amp.{old}(args...)` is deprecated. Please use `chaingrad.amp.{new}` instead.",
                  FutureWarning, stacklevel=3)


class autocast(_autocast):  # noqa: N801 - torch's name
    """``chaingrad.autocast("cuda", ...)``."""

    def __init__(self, enabled: bool = True, dtype=float16, cache_enabled: bool = True) -> None:
        _deprecated("autocast", "autocast('cuda', args...)")
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """``chaingrad.amp.GradScaler("cuda", ...)``."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        _deprecated("GradScaler", "GradScaler('cuda', args...)")
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor, backoff_factor=backoff_factor,
                         growth_interval=growth_interval, enabled=enabled)


def custom_fwd(fwd=None, *, cast_inputs=None):
    _deprecated("custom_fwd", "custom_fwd(args..., device_type='cuda')")
    return _amp.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd):
    _deprecated("custom_bwd", "custom_bwd(args..., device_type='cuda')")
    return _amp.custom_bwd(bwd, device_type="cuda")
