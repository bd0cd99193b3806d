"""chaingrad.random: torch's CPU random streams, bit for bit, and ``torch.random``'s functions.

With the same seed chaingrad draws the same numbers as PyTorch 2.13 on x86-64 CPUs, so a seeded program
prints what it prints under torch. How torch turns its generator's 32-bit words into numbers, one file
per step:

- ``generator.py``: the Mersenne Twister (``Generator``, ``manual_seed``), its seeds and 5056-byte state;
- ``uniform.py``: words to uniform floats (``rand``, ``uniform_``): the low 24 or 53 bits;
- ``fma.py``: the fused multiply-adds of torch's compiled kernels, rebuilt from exact pieces;
- ``normal.py`` and ``avx2_math.py``: the two Box-Muller algorithms (``randn``, ``normal_``), and the
  float32 polynomials of torch's AVX2 kernel;
- ``integers.py``: ``randint``/``random_`` (a word modulo the range) and ``randperm`` (Fisher-Yates);
- ``discrete.py``: ``bernoulli``, ``exponential_``, ``multinomial`` (an exponential race);
- ``layout.py``: the order in which values fill a tensor (memory order).

The tensor functions themselves (``chaingrad.rand`` ...) are in ``chaingrad/ops/random.py`` and the
in-place fills (``Tensor.uniform_`` ...) in ``chaingrad/ops/random_fill.py``.

Where the numbers may differ from torch's: float64 normal and exponential samples computed with NumPy's
vectorized logarithm (16 or more at once) can differ in the last bit where NumPy's ``log``/``log1p`` round
differently from the C library torch calls (about 0.15% of float64 ``randn`` values, 7% of float64
``exponential_`` values, 1 unit in the last place); float32 results, integers and indices are identical.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .generator import DEFAULT_SEED, Generator, default_generator

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "fork_rng", "thread_safe_generator", "DEFAULT_SEED"]


def manual_seed(seed) -> Generator:
    """Seed the default generator (``int(seed)``, as torch) and return it; every random function draws
    from it unless given ``generator=``."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """Seed the default generator from the OS's entropy; returns the 64-bit seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's seed: random in every process, until ``manual_seed`` sets it."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state, a 5056-byte uint8 tensor in torch's layout."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator from ``get_rng_state()`` (chaingrad's or torch's)."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng", _devices_kw: str = "devices",
             device_type: str | None = None) -> Iterator[None]:
    """Save the default generator's state, run the block, restore it (``with chaingrad.random.fork_rng():``).

    ``devices`` lists accelerator devices to fork as well; chaingrad computes on the CPU, so there are none.
    """
    if device_type == "meta" or not enabled:
        yield
        return
    if devices is not None and list(devices):
        raise RuntimeError(f"{_caller}: {_devices_kw}={list(devices)} names accelerator devices, but chaingrad "
                           f"computes on the CPU; leave {_devices_kw} out (the CPU generator is always forked)")
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def thread_safe_generator() -> Generator | None:
    """The generator of a DataLoader thread worker; chaingrad's loader runs in the calling thread: None."""
    return None
