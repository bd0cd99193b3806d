"""Graph breaks: what stops a function from being captured as one trace, and where in the user's code it is.

A break is raised inside the traced call (``GraphBreak``); the tracer then stops writing the trace down and
lets the call finish eagerly. With ``fullgraph=True`` the user gets ``CompileError`` instead, naming the
operation and their line.
"""

from __future__ import annotations

import linecache
import sys
import types


class CompileError(RuntimeError):
    """``chaingrad.compile(fullgraph=True)`` could not capture the function as one graph."""


class GraphBreak(Exception):
    """Raised inside a trace: ``what`` happened at ``where`` (the user's file:line and source), ``why`` it
    cannot be replayed, ``hint`` what to do instead."""

    def __init__(self, what: str, why: str, hint: str = "", where: str | None = None) -> None:
        self.what, self.why, self.hint = what, why, hint
        self.where = user_line() if where is None else where
        super().__init__(self.message())

    def message(self) -> str:
        text = f"{self.what}{' at ' + self.where if self.where else ''}: {self.why}"
        return text + (f". {self.hint}" if self.hint else "")


def is_library_frame(frame) -> bool:
    """Frames of chaingrad itself, NumPy and the standard library's plumbing (not the user's program)."""
    name = frame.f_globals.get("__name__", "") or ""
    if name == "chaingrad" or name.startswith("chaingrad.") or name.startswith("numpy"):
        return True
    return name in ("contextlib", "functools", "abc", "copy", "typing", "operator")


def user_frame(depth: int = 1) -> types.FrameType | None:
    """The innermost frame of the user's program (outside chaingrad, NumPy and the stdlib helpers)."""
    f: types.FrameType | None = sys._getframe(depth)
    while f is not None and is_library_frame(f):
        f = f.f_back
    return f


def user_line() -> str:
    """``file.py:12 (`print(loss.item())`)`` for the innermost user frame, or ''."""
    f = user_frame(2)
    if f is None:
        return ""
    return describe_frame(f)


def describe_frame(f) -> str:
    filename, lineno = f.f_code.co_filename, f.f_lineno
    source = linecache.getline(filename, lineno).strip()
    short = filename.rsplit("/", 1)[-1]
    return f"{short}:{lineno}" + (f" (`{source}`)" if source else "")


def called_from_library(depth: int = 2) -> bool:
    """Whether the caller ``depth`` frames up is chaingrad's (or NumPy's) code rather than the user's."""
    return is_library_frame(sys._getframe(depth))
