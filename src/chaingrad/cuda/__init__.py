"""``chaingrad.cuda``: what ``torch.cuda`` answers on a machine without CUDA, so portable programs run.

``is_available()`` is False and ``device_count()`` 0, so ``device = "cuda" if torch.cuda.is_available()
else "cpu"`` picks the CPU. Seeding functions are accepted and seed nothing (there is no CUDA generator),
memory queries report 0, and the calls that need a GPU raise torch's AssertionError with what to do.
"""

from __future__ import annotations

from typing import NoReturn

from .._device import device as _device
from .._device import no_device_message


def _no_cuda(what: str) -> NoReturn:
    raise AssertionError(no_device_message(f"chaingrad.cuda.{what}", _device("cuda"), "cuda"))


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def get_arch_list() -> list[str]:
    return []


# -- seeding: accepted, as torch does without CUDA (there is no CUDA generator to seed) ----------------------
def manual_seed(seed: int) -> None:
    """Seeds nothing: chaingrad has no CUDA generator (``chaingrad.manual_seed`` seeds the CPU one)."""
    int(seed)


def manual_seed_all(seed: int) -> None:
    """Seeds nothing: chaingrad has no CUDA generator (``chaingrad.manual_seed`` seeds the CPU one)."""
    int(seed)


def seed() -> None:
    return None


def seed_all() -> None:
    return None


# -- memory: nothing is allocated on a GPU ----------------------------------------------------------------------
def empty_cache() -> None:
    return None


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def max_memory_reserved(device=None) -> int:
    return 0


# -- calls that need a GPU: torch raises without CUDA, so do we (programs guard them with is_available) ----------
def synchronize(device=None) -> None:
    _no_cuda("synchronize()")


def current_device() -> int:
    _no_cuda("current_device()")


def set_device(device) -> None:
    _no_cuda("set_device()")


def get_device_name(device=None) -> str:
    _no_cuda("get_device_name()")


def get_device_properties(device=None):
    _no_cuda("get_device_properties()")


def get_device_capability(device=None):
    _no_cuda("get_device_capability()")


def init() -> None:
    _no_cuda("init()")


def initial_seed() -> int:
    _no_cuda("initial_seed()")


def get_rng_state(device="cuda"):
    _no_cuda("get_rng_state()")


def set_rng_state(new_state, device="cuda") -> None:
    _no_cuda("set_rng_state()")


def get_rng_state_all():
    _no_cuda("get_rng_state_all()")


def set_rng_state_all(new_states) -> None:
    _no_cuda("set_rng_state_all()")


def ipc_collect() -> None:
    _no_cuda("ipc_collect()")


def __getattr__(name: str):
    if name == "amp":  # chaingrad.cuda.amp, torch's deprecated home of autocast and GradScaler
        import importlib

        return importlib.import_module(".amp", __name__)
    raise AttributeError(f"module 'chaingrad.cuda' has no attribute '{name}'")
