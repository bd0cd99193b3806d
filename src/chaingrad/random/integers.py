"""Random integers as torch draws them: ``randint``/``random_`` (a word modulo the range) and ``randperm``.

``random_(from, to)`` (``uniform_int_from_to`` in torch's TransformationHelper.h) maps each draw to
``from + draw % (to - from)``: no rejection, so it is slightly biased. The draw is one 32-bit word, or one
``random64()`` once the range reaches 2**28. Without bounds, ``random_()`` takes a word modulo the
dtype's largest value plus one (int64: a ``random64()`` modulo 2**63; float32: 2**24 + 1).

``randperm(n)`` (``randperm_cpu`` in TensorFactories.cpp) is a forward Fisher-Yates shuffle: for
i = 0 .. n-2 it swaps a[i] with a[i + word % (n - i)], one word per step. The steps are sequential, so
larger n goes through an equivalent construction in blocks of steps (``shuffle_blocked``). From n = 2**32 / 20
on, torch switches to an "inside-out" shuffle with 64-bit draws (``inside_out_vectorized``).
"""

from __future__ import annotations

import functools

import numpy as np

from .generator import Generator

_RANDOM64_RANGE = 1 << 28  # from here on torch draws 64 bits per element ("allow approx 5% skew")

# torch's C++ type names, used in its range errors
_CPP_NAME = {"int8": "signed char", "uint8": "unsigned char", "int16": "short int", "int32": "int",
             "int64": "long int", "bool": "bool", "float16": "c10::Half", "float32": "float", "float64": "double"}
_FLOAT_DIGITS = {"float16": 11, "float32": 24, "float64": 53}


_BOUNDS: dict[np.dtype, tuple[int, int]] = {np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max))
           for t in (np.int8, np.uint8, np.int16, np.int32, np.int64)}
_BOUNDS[np.dtype(np.bool_)] = (0, 1)


def _int_bounds(dtype: np.dtype) -> tuple[int, int]:
    return _BOUNDS[dtype]


def _check_in_range(value: int, what: str, dtype: np.dtype) -> None:
    """torch's check_from_to_in_range for one bound (floats only warn in torch; they pass here)."""
    if dtype.kind == "f":
        return
    lo, hi = _int_bounds(dtype)
    if not lo <= value <= hi:
        raise RuntimeError(f"{what} is out of bounds for {_CPP_NAME[dtype.name]}")


def _update_from(low: int, digits: int) -> int:
    """torch's update_from: the smallest integer >= low that the float type holds (as torch computes it)."""
    plus_1 = int(float(np.float64(low + 1).astype({11: np.float16, 24: np.float32, 53: np.float64}[digits])))
    if plus_1 < low:
        n = abs(low + 1).bit_length() - 1
        low = plus_1 + (1 << (n - digits + 1))
    return low


def _update_to(high: int, digits: int) -> int:
    minus_1 = int(float(np.float64(high - 1).astype({11: np.float16, 24: np.float32, 53: np.float64}[digits])))
    if minus_1 >= high:
        n = abs(high - 1).bit_length() - 1
        high = minus_1 - (1 << (n - digits + 1))
    return high


@functools.lru_cache(maxsize=256)
def _as_array(range_: int) -> np.ndarray:
    return np.array(range_, np.uint64)


def _from_draws(draws: np.ndarray, range_: int, low: int, dtype: np.dtype) -> np.ndarray:
    """``(draw % range + low)`` through int64, then to the element type."""
    # (a 0-d range: faster than a scalar on few draws); below 2**64: the sum wraps as torch's uint64 one does
    v = (draws % _as_array(range_)).view(np.int64)
    if low:
        v += np.int64(low)
    if dtype == np.bool_:
        return v != 0
    return v.astype(dtype, copy=False)


def random_from_to(gen: Generator, n: int, low: int, high: int | None, dtype) -> np.ndarray:
    """``random_(low, high)``: n integers in [low, high), or [low, dtype max] when ``high`` is None."""
    dtype = np.dtype(dtype)
    if high is None and low == -(1 << 63):
        if dtype not in (np.int64, np.float64, np.float32):
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")
        return gen.random64(n).view(np.int64).astype(dtype, copy=False)
    low, range_ = _from_and_range(low, high, dtype)
    if n == 0:
        return np.empty(0, dtype)
    draws = gen.random64(n) if range_ >= _RANDOM64_RANGE else gen.random(n)
    return _from_draws(draws, range_, low, dtype)


@functools.lru_cache(maxsize=256)  # (a program draws with the same few bounds, often)
def _from_and_range(low: int, high: int | None, dtype: np.dtype) -> tuple[int, int]:
    """The first value and the size of [low, high) (or [low, dtype max]) as torch adjusts and checks them."""
    if high is not None:
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        if dtype.kind == "f":
            digits = _FLOAT_DIGITS[dtype.name]
            low, high = _update_from(low, digits), _update_to(high, digits)
            if low >= high:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, "
                                   f"but got from={low} >= to={high}")
        _check_in_range(low, "from", dtype)
        _check_in_range(high - 1, "to - 1", dtype)
        return low, high - low
    if dtype.kind == "f":
        digits = _FLOAT_DIGITS[dtype.name]
        top = 1 << digits
        low = _update_from(low, digits)
        if not low < top:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                               f"casted to dtype, but got from={low} > to_inc={top}")
    else:
        top = _int_bounds(dtype)[1]
    _check_in_range(low, "from", dtype)
    _check_in_range(top, "to_inc", dtype)
    return low, top - low + 1


def random_bits(gen: Generator, n: int, dtype) -> np.ndarray:
    """``random_()`` without bounds: a word modulo (dtype's max + 1), or 2**mantissa + 1 for floats."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return (gen.random(n) & np.uint64(1)).astype(bool)
    if dtype.kind == "f":
        digits = _FLOAT_DIGITS[dtype.name]
        draws = gen.random64(n) if dtype == np.float64 else gen.random(n)
        return (draws % np.uint64((1 << digits) + 1)).astype(dtype)
    top = _int_bounds(dtype)[1] + 1
    draws = gen.random64(n) if dtype == np.int64 else gen.random(n)
    return (draws % np.uint64(top)).astype(dtype)


# -- randperm ---------------------------------------------------------------------------------------------
LARGE_PERM = (1 << 32) // 20  # torch's branch point (UINT32_MAX / 20): from here on, the inside-out shuffle
SMALL_SHUFFLE = 256  # below this the plain loop is faster than the block construction


def shuffle_plain(words: list[int], n: int) -> np.ndarray:
    """torch's loop, one swap at a time (the reference, and the fast path for small n): step i swaps
    a[i] with a[i + words[i] % (n - i)]."""
    a = list(range(n))
    for i, w in enumerate(words):
        j = i + w % (n - i)
        a[i], a[j] = a[j], a[i]
    return np.array(a, dtype=np.int64)


def _runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a sorted array: whether each slot starts a run of equal keys, and the index of each run's last slot."""
    new = np.empty(key.size, bool)
    new[:1] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    ends = np.flatnonzero(np.append(new[1:], True))
    return new, ends


def _roots(ptr: np.ndarray) -> np.ndarray:
    """Follow ``ptr`` (each entry points to itself or to an entry that leads to one) to its end, in place:
    pointer jumping, which halves every remaining chain per round."""
    moving = np.flatnonzero(ptr != np.arange(ptr.size))
    while moving.size:
        p = ptr[moving]
        pp = ptr[p]
        ptr[moving] = pp
        moving = moving[pp != p]
    return ptr


def shuffle_blocked(words: np.ndarray, n: int, block: int = 1 << 15) -> np.ndarray:
    """The same permutation as ``shuffle_plain``, without a Python loop per step.

    The steps go in blocks of ``block``; a holds the array as the steps before the block left it. Within a
    block, step i takes the value at its target j_i = i + word_i % (n - i) and leaves there the value that
    position i held just before step i. So, with the block's steps sorted by (target, step):

    - the first step aimed at a target finds a[target] there; each later one finds what the previous one
      left, the value its own position held before it;
    - the value position k holds just before step k came from the last earlier step of the block aimed at k
      (and so on down the chain, which pointer jumping follows), or is a[k] if none was;
    - after the block, the last step aimed at each target beyond the block has left its value there.

    Blocks keep the sort and the chains in the CPU cache: only the look-ups and deposits at the targets
    touch the whole array, about twice per step, as torch's own loop does.
    """
    steps = n - 1
    a = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)  # 4-byte values: half the memory traffic
    offsets = words.astype(np.uint32) % np.arange(n, 1, -1, dtype=np.uint32)  # j_i - i (n - i < 2**32 here)
    local = np.arange(min(block, steps), dtype=np.int64)
    for s in range(0, steps, block):
        e = min(steps, s + block)
        size = e - s
        bits = size.bit_length()
        here = local[:size]
        keys = offsets[s:e].astype(np.int64)
        keys += here  # the target, counted from s
        keys <<= bits
        keys |= here
        keys.sort()  # by target, then by step
        target, step = keys >> bits, keys & ((1 << bits) - 1)
        first, ends = _runs(target)
        inside = target[ends] < size
        # each block position's value before its step: from the last earlier step aimed at it, if any
        came_from = here.copy()
        last, at = ends[inside], target[ends[inside]]
        own = step[last] == at  # the last one aimed at k is step k itself: the one before it is the source
        came_from[at[~own]] = step[last[~own]]
        own_runs = last[own]
        own_runs = own_runs[~first[own_runs]]
        came_from[target[own_runs]] = step[own_runs - 1]
        carried = a[s:e][_roots(came_from)]
        final = np.empty(size, a.dtype)
        starts = np.flatnonzero(first)
        final[step[starts]] = a[target[starts] + s]
        later = np.flatnonzero(~first)
        final[step[later]] = carried[step[later - 1]]
        beyond = ends[~inside]
        a[target[beyond] + s] = carried[step[beyond]]
        a[s:e] = final
    return a.astype(np.int64, copy=False)


def inside_out_plain(values64: list[int], n: int) -> np.ndarray:
    """torch's branch for n >= 2**32 / 20, one step at a time: for i = 0 .. n-1, z = values64[i] % (i + 1);
    a[i] = a[z]; a[z] = i (an "inside-out" Fisher-Yates that needs no initial arange)."""
    a = [0] * n
    for i, v in enumerate(values64):
        z = v % (i + 1)
        a[i] = a[z]
        a[z] = i
    return np.array(a, dtype=np.int64)


def inside_out_vectorized(values64: np.ndarray, n: int) -> np.ndarray:
    """The same permutation as ``inside_out_plain``, without a Python loop.

    Step i writes i at z_i <= i, after moving what z_i held to the fresh position i. So position p ends with
    the last step that wrote at it (z_k = p, k >= p), if any; otherwise with what step p moved there: the
    value z_p held just before step p, which is the previous step aimed at z_p, or, if step p was the first
    aimed there, what z_p itself received at its own step (a chain down to smaller positions).
    """
    z = (values64 % np.arange(1, n + 1, dtype=np.uint64)).astype(np.int64)
    bits = max(1, (n - 1).bit_length())
    keys = (z << bits) | np.arange(n, dtype=np.int64)
    keys.sort()  # by target, then by step
    target, step = keys >> bits, keys & ((1 << bits) - 1)
    first, ends = _runs(target)
    previous = np.full(n, -1, np.int64)  # the previous step aimed at the same position, per step
    later = np.flatnonzero(~first)
    previous[step[later]] = step[later - 1]
    # moved[p]: the value step p moved to p; the first step aimed at z_p takes it over from z_p's own step
    ptr = np.where(previous >= 0, np.arange(n), z)
    moved = previous[_roots(ptr)]
    final = moved
    final[target[ends]] = step[ends]
    return final


def randperm(gen: Generator, n: int) -> np.ndarray:
    """torch.randperm(n) as int64: forward Fisher-Yates with one word per step below 2**32 / 20, the
    inside-out shuffle with one ``random64()`` per step from there on (torch's two branches)."""
    if n >= LARGE_PERM:
        return inside_out_vectorized(gen.random64(n), n)
    if n <= 1:
        return np.zeros(n, np.int64)
    if n < SMALL_SHUFFLE:
        return shuffle_plain(gen.random(n - 1).tolist(), n)
    return shuffle_blocked(gen.random(n - 1), n)

