"""``chaingrad.amp``: torch's mixed-precision entry points, as they behave where no autocast runs.

``autocast`` is ``chaingrad.autocast`` (an enabled CPU autocast raises NotImplementedError: chaingrad does
not cast op by op). ``GradScaler`` is torch's loss scaler, working: it multiplies the loss, unscales the
gradients, skips a step whose gradients are not finite and adapts the scale (grad_scaler.py).
``custom_fwd``/``custom_bwd`` wrap a custom Function's methods; outside an enabled autocast, which is
always here, torch's versions call the method unchanged, and so do these.
"""

from __future__ import annotations

import functools

from .._autocast import autocast
from .grad_scaler import GradScaler, OptState

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler", "OptState"]


def _device_type(device_type) -> None:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorate a custom Function's ``forward``: with no autocast enabled, ``cast_inputs`` has no effect."""
    _device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorate a custom Function's ``backward`` (run in forward's autocast state: none, here)."""
    _device_type(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        return bwd(*args, **kwargs)

    return decorate_bwd


_AUTOCAST_DEVICES = ("cpu", "cuda", "xpu", "mps", "hpu", "xla", "mtia", "maia", "privateuseone", "ipu")


def is_autocast_available(device_type: str) -> bool:
    """Whether torch has an autocast for ``device_type`` (torch's answer; here an enabled one still raises on the
    CPU and is disabled with a warning elsewhere, see chaingrad.autocast)."""
    return device_type in _AUTOCAST_DEVICES
