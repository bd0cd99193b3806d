"""The generator: the 32-bit Mersenne Twister that torch's CPU generator runs, word for word.

torch's engine (``aten/src/ATen/core/MT19937RNGEngine.h``) is the classic mt19937 of Matsumoto and
Nishimura: 624 words of state, seeded by ``init_genrand`` with the **low 32 bits** of the seed, each
output word tempered. NumPy's ``MT19937`` bit generator is the same engine in C, so it produces the
words here (``random_raw``); this class adds what torch keeps beside them: the full 64-bit seed that
``initial_seed()`` returns, the cached second Box-Muller sample of the scalar normal path, and torch's
5056-byte state layout, so a state saved by torch loads here and continues identically (and back).

Every distribution asks for one of two things per element, in element order:
``random()``, one 32-bit word, or ``random64()``, two words joined as ``(first << 32) | second``.

A distribution may also read words before the stream reaches them (``draw_ahead``), to compute many small
results in one vectorized pass (normal.py does for repeated ``randn(16)``). Such words are handed out by
``random()`` as if drawn then, and the state a program reads is the stream's own: the engine is wound back
to where the stream is (``_sync``) before ``get_state`` reads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.random import MT19937

# functions told of every draw (``chaingrad.vmap``'s randomness modes), empty otherwise
draw_checks: list[Callable[[Generator], None]] = []

DEFAULT_SEED = 67280421310721  # torch's default_rng_seed_val: what a new Generator() starts from
_N = 624  # words of Mersenne Twister state
_32 = np.array(32, np.uint64)  # (constants as 0-d arrays: NumPy combines them with tiny arrays faster than scalars)

# torch's CPUGeneratorImplState, little-endian (CPUGeneratorImpl.cpp). The 32-bit state words are stored
# widened to 64 bits; normal_x and normal_rho are legacy fields that torch always writes as 0.
STATE_LAYOUT = np.dtype([
    ("initial_seed", "<u8"),           # offset 0
    ("left", "<i4"),                   # 8: words left before the next twist (1..624)
    ("seeded", "<i4"),                 # 12: always 1
    ("next", "<u8"),                   # 16: index of the next state word to temper (0..624)
    ("state", "<u8", (_N,)),           # 24
    ("normal_x", "<f8"),               # 5016
    ("normal_y", "<f8"),               # 5024: the cached double normal sample
    ("normal_rho", "<f8"),             # 5032
    ("normal_is_valid", "<i4"),        # 5040
    ("_pad0", "V4"),
    ("float_normal", "<f4"),           # 5048: the float cache (CPU kernels never fill it)
    ("float_normal_is_valid", "u1"),   # 5052
    ("_pad1", "V3"),
])
STATE_SIZE = STATE_LAYOUT.itemsize  # 5056


def init_genrand(seed32: int) -> np.ndarray:
    """Matsumoto and Nishimura's seeding: the 624 state words for a 32-bit seed (torch's ``manual_seed``)."""
    key = [0] * _N
    x = key[0] = seed32 & 0xFFFFFFFF
    for i in range(1, _N):
        x = (1812433253 * (x ^ (x >> 30)) + i) & 0xFFFFFFFF
        key[i] = x
    return np.array(key, dtype=np.uint32)


def _seed_value(seed, op: str) -> int:
    """A seed as torch's C++ accepts it: an integer in [-2**63, 2**64); negative seeds wrap (two's complement)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise RuntimeError(f"{op} expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -(1 << 63) <= seed < (1 << 64):
        raise ValueError(f"{op}: the seed {seed} is out of range; give an integer in [-2**63, 2**64)")
    return seed & 0xFFFFFFFFFFFFFFFF


def nondeterministic_seed() -> int:
    """64 bits from the OS, as torch seeds its default generator and ``seed()`` (it reads /dev/urandom)."""
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """A source of random numbers with torch's CPU stream: ``chaingrad.Generator().manual_seed(2147483647)``."""

    _bitgen: MT19937 | None
    _seed: int
    _pending_seed: int | None
    _next_at_rest: int | None
    _normal_cache: float | None
    _float_cache: float | None
    _ahead: np.ndarray | None
    _ahead_at: int
    _rewind: tuple[Any, int, int | None] | None
    _ahead_values: object | None

    _position = 0  # words handed out since the generator was made: where the stream is, for caches (it only grows)

    def __init__(self, device="cpu") -> None:
        kind = str(getattr(device, "type", device)).split(":")[0]
        if kind != "cpu":
            raise RuntimeError(f"Generator(device={device!r}): chaingrad computes on the CPU; make a CPU "
                               "generator with Generator() or Generator('cpu')")
        self._bitgen = None  # NumPy's MT19937, made on first draw (numpy.random costs ~8 ms to import)
        self._set_seed(DEFAULT_SEED)

    # -- seeding ----------------------------------------------------------------------------------------
    def _set_seed(self, seed: int) -> None:
        self._seed = seed
        self._pending_seed = seed  # seeded lazily: the state words are made when the first word is drawn
        self._next_at_rest = 0  # torch reports next=0, left=1 until the first draw after seeding
        self._normal_cache = None  # the cached double Box-Muller sample (see normal.py)
        self._float_cache = None  # torch's float cache: kept only so that states round-trip
        self._drop_ahead()

    def _drop_ahead(self) -> None:
        self._ahead = None  # words drawn from the engine that the stream has not reached yet, from _ahead_at on
        self._ahead_at = 0
        self._rewind = None  # the engine's state before them, words of them since handed out, _next_at_rest then
        self._ahead_values = None  # what a distribution computed from the words ahead: valid while they are

    def manual_seed(self, seed: int) -> Generator:
        """Seed the generator (only the low 32 bits reach the engine) and return it."""
        self._set_seed(_seed_value(seed, "manual_seed"))
        return self

    def seed(self) -> int:
        """Seed from the OS's entropy and return the seed."""
        seed = nondeterministic_seed()
        self._set_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The 64-bit seed last given (or drawn)."""
        return self._seed

    @property
    def device(self):
        import chaingrad

        make = getattr(chaingrad, "device", None)
        return make("cpu") if isinstance(make, type) else "cpu"

    # -- the words --------------------------------------------------------------------------------------
    def _engine(self):
        if self._pending_seed is not None:
            if self._bitgen is None:
                from numpy.random import MT19937

                self._bitgen = MT19937()
            seed32 = self._pending_seed & 0xFFFFFFFF
            if hasattr(self._bitgen, "_legacy_seeding"):  # NumPy's C init_genrand (what RandomState uses)
                self._bitgen._legacy_seeding(seed32)
            else:
                self._bitgen.state = {"bit_generator": "MT19937", "state": {"key": init_genrand(seed32), "pos": _N}}
            self._pending_seed = None
        self._next_at_rest = None
        return self._bitgen

    def note_draw(self) -> None:
        """Tell ``draw_checks`` that a random operation is about to use this generator (it may refuse)."""
        for check in draw_checks:
            check(self)

    def random(self, n: int) -> np.ndarray:
        """n 32-bit words (torch's ``random()``), as uint64 values below 2**32."""
        if draw_checks:
            self.note_draw()
        self._position += n
        if self._ahead is not None:
            return self._from_ahead(n)
        if self._next_at_rest is None and self._bitgen is not None:  # running since its first draw
            return self._bitgen.random_raw(n)
        if n == 0:  # drawing nothing leaves a freshly seeded generator as it is
            return np.empty(0, np.uint64)
        return self._engine().random_raw(n)

    def draw_ahead(self, n: int) -> np.ndarray:
        """The next n words of the stream, without taking them: ``random()`` (or ``skip``) hands them out later.
        A read-only view; the caller should take at least one of them at once (the state a program reads
        stays the stream's either way)."""
        if draw_checks:
            self.note_draw()
        have = 0 if self._ahead is None else len(self._ahead) - self._ahead_at
        if have < n:
            at_rest = self._next_at_rest
            engine = self._engine()
            if self._ahead is None or self._rewind is None:
                self._rewind = (engine.state, 0, at_rest)
                words = engine.random_raw(n)
            else:
                state, taken, at_rest = self._rewind
                self._rewind = (state, taken + self._ahead_at, at_rest)
                words = np.concatenate([self._ahead[self._ahead_at:], engine.random_raw(n - have)])
            words.flags.writeable = False
            self._ahead, self._ahead_at = words, 0
        assert self._ahead is not None
        return self._ahead[self._ahead_at:self._ahead_at + n]

    def skip(self, n: int) -> None:
        """Take the next n words, drawn ahead, without looking at them (their use was computed already)."""
        self._position += n
        self._from_ahead(n)

    def _from_ahead(self, n: int) -> np.ndarray:
        ahead, i = self._ahead, self._ahead_at
        assert ahead is not None
        j = i + n
        if j < len(ahead):
            self._ahead_at = j
            return ahead[i:j].copy()
        words = ahead[i:]
        if j > len(ahead):
            assert self._bitgen is not None
            words = np.concatenate([words, self._bitgen.random_raw(j - len(ahead))])
        self._drop_ahead()  # the engine is where the stream is again
        return words.copy() if words.base is ahead else words

    def _sync(self) -> None:
        """Wind the engine back to where the stream is: its state before the words ahead, plus those taken."""
        assert self._rewind is not None and self._bitgen is not None
        state, taken, at_rest = self._rewind
        taken += self._ahead_at
        self._bitgen.state = state
        self._bitgen.random_raw(taken)
        if not taken:
            self._next_at_rest = at_rest
        self._drop_ahead()

    def random64(self, n: int) -> np.ndarray:
        """n 64-bit values (torch's ``random64()``): two words each, the first one high."""
        w = self.random(2 * n)
        high = w[0::2] << _32
        high |= w[1::2]
        return high

    # -- state ------------------------------------------------------------------------------------------
    def _numpy_state(self) -> tuple[np.ndarray, int]:
        if self._ahead is not None:
            self._sync()
        if self._pending_seed is not None:
            return init_genrand(self._pending_seed & 0xFFFFFFFF), _N
        assert self._bitgen is not None  # (no seed pending: _engine or set_state made it)
        st = self._bitgen.state["state"]
        return st["key"], int(st["pos"])

    def get_state(self):
        """The state as a 5056-byte uint8 tensor in torch's layout (``torch.Generator.set_state`` reads it)."""
        from ..tensor import Tensor

        key, pos = self._numpy_state()
        rec = np.zeros((), STATE_LAYOUT)
        rec["initial_seed"] = self._seed
        rec["left"] = _N + 1 - pos  # NumPy's pos counts words used from the current block; torch counts down
        rec["seeded"] = 1
        rec["next"] = pos if self._next_at_rest is None else self._next_at_rest
        rec["state"] = key
        if self._normal_cache is not None:
            rec["normal_y"], rec["normal_is_valid"] = self._normal_cache, 1
        if self._float_cache is not None:
            rec["float_normal"], rec["float_normal_is_valid"] = self._float_cache, 1
        return Tensor._wrap(np.frombuffer(rec.tobytes(), dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Load a state from ``get_state`` (this generator's or torch's) and return the generator."""
        from ..tensor import Tensor

        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError(f"expected a chaingrad.ByteTensor (uint8, from get_state()), but got "
                            f"{type(new_state).__name__}"
                            + (f" of dtype {new_state.dtype}" if isinstance(new_state, Tensor) else ""))
        raw = np.ascontiguousarray(new_state._data).reshape(-1)
        if raw.size != STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the input RNG "
                               f"state size to be {raw.size}")
        rec = raw.view(STATE_LAYOUT)[0]
        left, nxt = int(rec["left"]), int(rec["next"])
        words = rec["state"]
        if rec["seeded"] != 1 or not 0 < left <= _N or nxt > _N or words.max() > 0xFFFFFFFF:
            raise RuntimeError("Invalid mt19937 state")
        if left != 1 and nxt + left != _N + 1:
            raise RuntimeError(f"Invalid mt19937 state: next={nxt} with left={left} is not a state torch's "
                               f"generator reaches (next + left is {_N + 1} after any draw)")
        if self._bitgen is None:
            from numpy.random import MT19937

            self._bitgen = MT19937()
        self._bitgen.state = {"bit_generator": "MT19937",
                              "state": {"key": words.astype(np.uint32), "pos": _N + 1 - left}}
        self._pending_seed = None
        self._drop_ahead()
        self._seed = int(rec["initial_seed"])
        self._next_at_rest = nxt if left == 1 else None
        self._normal_cache = float(rec["normal_y"]) if rec["normal_is_valid"] else None
        self._float_cache = float(rec["float_normal"]) if rec["float_normal_is_valid"] else None
        return self

    def clone_state(self) -> Generator:
        """A new generator in this one's state."""
        return Generator().set_state(self.get_state())

    def graphsafe_get_state(self):
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator (it is for CUDA graphs)")

    def graphsafe_set_state(self, state) -> Generator:
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator (it is for CUDA graphs)")

    def get_offset(self) -> int:
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset: int) -> Generator:
        raise RuntimeError("CPU Generator does not use offset")

    # pickling and copy.deepcopy go through the state, as torch's do (as bytes: tensors are not pickled)
    def __reduce__(self):
        return (Generator, ("cpu",), (self._seed, None, self.get_state()._data.tobytes()))

    def __setstate__(self, state) -> None:
        from ..tensor import Tensor

        seed, _offset, raw = state
        self.manual_seed(seed)
        if raw is not None:
            self.set_state(Tensor._wrap(np.frombuffer(raw, np.uint8).copy()))


default_generator = Generator()
default_generator._set_seed(nondeterministic_seed())  # torch seeds its default generator afresh in every process
