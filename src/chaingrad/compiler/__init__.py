"""``chaingrad.compile`` and its parts: trace a function once, replay it as NumPy code you can read.

api.py (``compile``, the compiled function and module, the guards), tracer.py (writing a trace down while
eager chaingrad runs), patches.py (the entry points a trace listens at), inline.py (the ops written as one
NumPy expression), codegen.py (the source text), runtime.py (what the generated code calls), hooks.py (the
marks eager code carries for the compiler), breaks.py (graph breaks). docs/compile.md says what is captured.
"""

from __future__ import annotations

from .breaks import CompileError
from .hooks import is_tracing, kernel

__all__ = ["CACHE_LIMIT", "CompileError", "CompiledFunction", "OptimizedModule", "compile", "is_compiling",
           "is_tracing", "kernel"]


def __getattr__(name: str):
    if name in ("compile", "CompiledFunction", "OptimizedModule", "CACHE_LIMIT", "is_compiling"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'chaingrad.compiler' has no attribute '{name}'")
