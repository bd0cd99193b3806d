"""``skip_init``: make a module without running its parameter initialization."""

from __future__ import annotations

import inspect

from ..module import Module


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` whose parameters are left as they were allocated (torch leaves them
    uninitialized). chaingrad has no meta device, so the module is made as usual with the random generator's
    state put back afterwards: the initialization draws no numbers, as in torch."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    from ...random import get_rng_state, set_rng_state

    kwargs["device"] = kwargs.pop("device", "cpu")
    state = get_rng_state()
    try:
        return module_cls(*args, **kwargs)
    finally:
        set_rng_state(state)
