"""chaingrad.jit: torch.jit's names. chaingrad has no TorchScript: ``script`` and ``trace`` (and saving or loading
ScriptModules) raise NotImplementedError that points to ``chaingrad.compile``; the markers eager code calls
(``is_scripting``, ``is_tracing``, the ``ignore``/``unused``/``export`` decorators) behave as in eager torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NO_TORCHSCRIPT = ("chaingrad has no TorchScript compiler, so torch.jit.{name} is not supported. Run the model "
                   "eagerly (drop the torch.jit.{name} call; the outputs are the same), or use "
                   "chaingrad.compile(model) to trace it once and replay it as NumPy code.")


def script(obj: Any, *args, **kwargs) -> Any:
    raise NotImplementedError(_NO_TORCHSCRIPT.format(name="script"))


def trace(func: Any, *args, **kwargs) -> Any:
    raise NotImplementedError(_NO_TORCHSCRIPT.format(name="trace"))


def trace_module(mod: Any, *args, **kwargs) -> Any:
    raise NotImplementedError(_NO_TORCHSCRIPT.format(name="trace_module"))


def save(m: Any, f: Any, *args, **kwargs) -> None:
    raise NotImplementedError(_NO_TORCHSCRIPT.format(name="save") + " To save weights, use chaingrad.save("
                              "model.state_dict(), path).")


def load(f: Any, *args, **kwargs) -> Any:
    raise NotImplementedError(_NO_TORCHSCRIPT.format(name="load") + " To load weights, use chaingrad.load(path).")


def freeze(mod: Any, *args, **kwargs) -> Any:
    raise NotImplementedError(_NO_TORCHSCRIPT.format(name="freeze"))


def is_scripting() -> bool:
    """False: nothing is ever compiled by TorchScript here (eager torch answers the same)."""
    return False


def is_tracing() -> bool:
    """False: no torch.jit.trace is running (eager torch answers the same)."""
    return False


def _marker(fn: Callable | None = None, **kwargs) -> Any:
    # @torch.jit.ignore, @torch.jit.ignore(drop=True), @torch.jit.unused, @torch.jit.export: they tell the
    # TorchScript compiler what to skip or keep; in eager code the function is left as it is
    if fn is None:
        return lambda f: f
    return fn


ignore = unused = export = _marker

__all__ = ["export", "freeze", "ignore", "is_scripting", "is_tracing", "load", "save", "script", "trace",
           "trace_module", "unused"]
