"""``chaingrad.accelerator``: torch's device-generic accelerator queries; there is no accelerator here."""

from __future__ import annotations

from typing import NoReturn


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def current_accelerator(check_available: bool = False):
    """None: chaingrad computes on the CPU."""
    return None


def _none(what: str) -> NoReturn:
    raise RuntimeError(f"chaingrad.accelerator.{what}: Cannot access accelerator device when none is available "
                       "(chaingrad computes on the CPU; check chaingrad.accelerator.is_available() first)")


def current_device_index() -> int:
    _none("current_device_index()")


def set_device_index(device) -> None:
    _none("set_device_index()")


def synchronize(device=None) -> None:
    _none("synchronize()")
