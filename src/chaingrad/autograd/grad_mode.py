"""Grad mode: whether operations are recorded for backward. Per thread, as in torch."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    def __init__(self) -> None:
        self.enabled = True
        self.anomaly = False
        self.anomaly_check_nan = True
        self.inference = False  # inside inference_mode (is_inference_mode_enabled)


state = _State()


def is_grad_enabled() -> bool:
    """True when new operations are recorded so that backward can run through them."""
    return state.enabled


class _GradModeContext:
    """Base of no_grad / enable_grad / set_grad_enabled: context manager and decorator."""

    _mode = True

    def __enter__(self) -> None:
        self._prev = state.enabled
        state.enabled = self._mode

    def __exit__(self, *exc) -> None:
        state.enabled = self._prev

    def __call__(self, func):
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = state.enabled
            state.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                state.enabled = prev

        return wrapper


class _BareDecorator(_GradModeContext):
    """Also a decorator without parentheses, as torch's: ``@no_grad`` is ``@no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_BareDecorator):  # noqa: N801 - torch's name
    """Context manager and decorator that turns off recording, e.g. for parameter updates."""

    _mode = False


class enable_grad(_BareDecorator):  # noqa: N801 - torch's name
    """Context manager and decorator that turns recording back on inside ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801 - torch's name
    """``set_grad_enabled(False)`` switches recording off now; as a context manager, until exit."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = state.enabled
        state.enabled = self._mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        state.enabled = self._prev


class inference_mode(no_grad):  # noqa: N801 - torch's name
    """Like ``no_grad`` (chaingrad has no separate inference tensors)."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return object.__new__(cls)
        return cls()(mode)  # ``@inference_mode`` without parentheses: mode is the function

    def __init__(self, mode=True) -> None:
        self._mode = not mode
        self._inference = bool(mode)

    def __enter__(self) -> None:
        self._prev_inference = state.inference
        state.inference = self._inference
        super().__enter__()

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        state.inference = self._prev_inference

    def __call__(self, func):
        mode = self._inference

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return func(*args, **kwargs)

        return wrapper


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return state.inference
