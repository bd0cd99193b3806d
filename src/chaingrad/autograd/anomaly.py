"""Anomaly detection: find the op whose backward produced NaN/Inf and show where it was created."""

from __future__ import annotations

import traceback

import numpy as np

from .grad_mode import state


def record_trace(node) -> None:
    """Remember the user's stack at the moment ``node`` was recorded (only while anomaly mode is on)."""
    node._trace = traceback.format_stack()[:-3]


def check_gradients(node, grads) -> None:
    for i, g in enumerate(grads):
        if g is None:
            continue
        a = g._data
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            kind = "nan" if np.isnan(a).any() else "inf"
            where = "".join(node._trace or ["    (created before anomaly detection was enabled)\n"])
            raise RuntimeError(
                f"Function '{node.name()}' returned {kind} values in its {i}th output.\n"
                f"The forward call that created {node.name()} was:\n{where}")


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager: record where each op was created and fail fast on NaN/Inf gradients."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._prev = state.anomaly
        state.anomaly = self.check_nan

    def __exit__(self, *exc) -> None:
        state.anomaly = self._prev


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    state.anomaly = bool(mode) and check_nan


def is_anomaly_enabled() -> bool:
    return state.anomaly
