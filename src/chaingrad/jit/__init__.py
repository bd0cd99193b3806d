"""chaingrad.jit: torch.jit's entry points for programs that call them, without TorchScript.

chaingrad has no TorchScript compiler: ``script`` and ``trace`` return the module or function they are given,
which computes the same numbers (textbooks script a model, then call it and time it: the values printed are
torch's; torch's scripted module also prints the same values). Where torch's result would differ:
``trace`` records one run and replays it, freezing Python control flow at the example inputs (torch's
TracerWarning); chaingrad keeps running the Python. For speed from a traced program use ``chaingrad.compile``.
What needs TorchScript itself (``save``/``load`` of scripted archives, ``freeze``, ``fork``) raises
NotImplementedError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting", "is_tracing",
           "annotate", "save", "load", "freeze", "fork", "wait"]

_NO_TORCHSCRIPT = ("chaingrad has no TorchScript: {what} is not available. chaingrad.jit.script and "
                   "chaingrad.jit.trace return the module unchanged; for speed use chaingrad.compile(model), and to "
                   "save a model use chaingrad.save(model.state_dict(), path)")


def script(obj: Any, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """``obj`` itself (a module, function or class): it computes what torch's scripted version computes."""
    if optimize is not None:
        import warnings

        warnings.warn("`optimize` is deprecated and has no effect. Use `with chaingrad.jit.optimized_execution()` "
                      "instead", FutureWarning, stacklevel=2)
    return obj


def trace(func: Any, example_inputs: Any = None, optimize: Any = None, check_trace: bool = True,
          check_inputs: Any = None, check_tolerance: float = 1e-05, strict: bool = True, _force_outplace: bool = False,
          _module_class: Any = None, _compilation_unit: Any = None, example_kwarg_inputs: Any = None,
          _store_inputs: bool = True) -> Any:
    """``func`` itself; unlike torch's trace, Python control flow keeps following the data (see the module note)."""
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("example_kwarg_inputs and example_inputs should not both be None; give the inputs to "
                           "trace with")
    return func


def trace_module(mod: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
    """``mod`` itself (torch traces the named methods)."""
    return mod


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """The decorator that leaves a function to Python: here every function is left to Python."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn: Callable) -> Callable:
    return fn


def export(fn: Callable) -> Callable:
    return fn


def is_scripting() -> bool:
    """False: chaingrad code always runs as Python."""
    return False


def is_tracing() -> bool:
    """False: chaingrad code always runs as Python."""
    return False


def annotate(the_type: Any, the_value: Any) -> Any:
    """``the_value`` (the type is a hint for TorchScript's compiler)."""
    return the_value


def _unavailable(what: str) -> Callable:
    def function(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_NO_TORCHSCRIPT.format(what=f"chaingrad.jit.{what}"))

    function.__name__ = function.__qualname__ = what
    function.__doc__ = f"Not available: {what} needs TorchScript."
    return function


save = _unavailable("save")
load = _unavailable("load")
freeze = _unavailable("freeze")
fork = _unavailable("fork")
wait = _unavailable("wait")
