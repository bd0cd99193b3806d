"""Anomaly detection: find the op whose backward produced NaN/Inf and show where it was created."""

from __future__ import annotations

import os
import sys
import traceback

import numpy as np

from .grad_mode import state

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def record_trace(node) -> None:
    """Remember the user's stack at the moment ``node`` was recorded (only while anomaly mode is on).

    Frames inside chaingrad itself are left out: the learner wants the line of *their* forward code.
    Only the raw frames are kept here; they are formatted when an anomaly is reported.
    """
    frames = []
    f = sys._getframe(1)
    while f is not None:
        if not f.f_code.co_filename.startswith(_PACKAGE_DIR):
            frames.append((f.f_code.co_filename, f.f_lineno, f.f_code.co_name))
        f = f.f_back
    node._trace = frames[::-1]


def format_trace(node) -> str:
    """The user's frames (outermost first) at the moment ``node`` was recorded, like a traceback."""
    if not node._trace:
        return "    (created before anomaly detection was enabled)\n"
    if isinstance(node._trace[0], str):  # already formatted lines
        return "".join(node._trace)
    summary = traceback.StackSummary.from_list([(fn, ln, name, None) for fn, ln, name in node._trace])
    return "".join(summary.format())


def check_gradients(node, grads) -> None:
    """Raise, naming ``node`` and where it was created, if a gradient its backward returned (arrays) is NaN/Inf."""
    for i, a in enumerate(grads):
        if a is None:
            continue
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            kind = "nan" if np.isnan(a).any() else "inf"
            raise RuntimeError(
                f"Function '{node.name()}' returned {kind} values in its {i}th output "
                f"(the gradient for input {i}, shape {list(a.shape)}).\n"
                f"The forward call that created {node.name()} was (most recent call last):\n{format_trace(node)}"
                "Look for a value that makes this op's derivative infinite or undefined there "
                "(log or sqrt of 0, division by 0, 0 ** negative ...).")


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager: record where each op was created and fail fast on NaN/Inf gradients."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._prev = (state.anomaly, state.anomaly_check_nan)
        state.anomaly, state.anomaly_check_nan = True, bool(self.check_nan)

    def __exit__(self, *exc) -> None:
        state.anomaly, state.anomaly_check_nan = self._prev


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    """Anomaly mode on or off: on, each op records where it was created, and with ``check_nan`` a NaN/Inf
    gradient stops backward (``check_nan=False``: the traces only, as torch's)."""
    state.anomaly, state.anomaly_check_nan = bool(mode), bool(check_nan)


def is_anomaly_enabled() -> bool:
    return state.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode checks gradients for NaN/Inf when it is on (True unless set off)."""
    return state.anomaly_check_nan
