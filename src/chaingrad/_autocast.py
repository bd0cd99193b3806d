"""``torch.autocast``: mixed precision, where chosen ops (matrix products, convolutions) run in a lower float type.

chaingrad does not implement autocast's per-op casting, and NumPy has no bfloat16 (CPU autocast's default), so an
enabled autocast raises NotImplementedError instead of running everything in float32 unannounced; a disabled one
(``enabled=False``, or a dtype torch's CPU autocast refuses with its warning) is a no-op, as in torch.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from ._dtype import dtype, float16

_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                 "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class autocast:  # noqa: N801 - torch's name
    """Context manager and decorator; see the module docstring for what chaingrad does with it."""

    def __init__(self, device_type: str, dtype: dtype | None = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device string: "
                               f"{device_type}")
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        if not self._enabled:
            return
        if device_type != "cpu":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast." if device_type == "cuda"
                          else f"User provided device_type of '{device_type}', but {device_type} is not available. "
                          "Disabling", UserWarning, stacklevel=2)
            self._enabled = False
            return
        if dtype is not None and dtype is not float16:
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                          UserWarning, stacklevel=2)
            self._enabled = False
            return
        wanted = "bfloat16 (CPU autocast's default)" if dtype is None else "float16"
        raise NotImplementedError(
            f"autocast(device_type='cpu', dtype={wanted}): chaingrad does not implement autocast's per-op casting"
            + (" and has no bfloat16 (NumPy has none)" if dtype is None else "")
            + ". Compute in float32 (drop the autocast, or pass enabled=False), or cast the model and inputs "
            "yourself (model.half(), x.half()) to compute in float16.")

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapper


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """False: an autocast chaingrad accepts is always a disabled one."""
    return False
