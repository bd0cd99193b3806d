"""Random integers as torch draws them: ``randint``/``random_`` (a word modulo the range) and ``randperm``.

``random_(from, to)`` (``uniform_int_from_to`` in torch's TransformationHelper.h) maps each draw to
``from + draw % (to - from)``: no rejection, so it is slightly biased. The draw is one 32-bit word, or one
``random64()`` once the range reaches 2**28. Without bounds, ``random_()`` takes a word modulo the
dtype's largest value plus one (int64: a ``random64()`` modulo 2**63; float32: 2**24 + 1).

``randperm(n)`` (``randperm_cpu`` in TensorFactories.cpp) is a forward Fisher-Yates shuffle: for
i = 0 .. n-2 it swaps a[i] with a[i + word % (n - i)], one word per step. The steps are sequential, so
large n goes through an equivalent vectorized construction (``_shuffle_vectorized``).
"""

from __future__ import annotations

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


def _from_draws(draws: np.ndarray, range_: int, low: int, dtype: np.dtype) -> np.ndarray:
    """``(draw % range + low)`` through int64, then to the element type."""
    v = (draws % np.uint64(range_)).view(np.int64)  # below 2**64: the sum wraps as torch's uint64 one does
    if low:
        v += np.int64(low)
    if dtype == np.bool_:
        return v != 0
    return v.astype(dtype, copy=False)


def random_from_to(gen: Generator, n: int, low: int, high: int | None, dtype) -> np.ndarray:
    """``random_(low, high)``: n integers in [low, high), or [low, dtype max] when ``high`` is None."""
    dtype = np.dtype(dtype)
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
        range_ = high - low
    elif low == -(1 << 63):
        if dtype not in (np.int64, np.float64, np.float32):
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")
        return gen.random64(n).view(np.int64).astype(dtype, copy=False)
    else:
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
        range_ = top - low + 1
    if n == 0:
        return np.empty(0, dtype)
    draws = gen.random64(n) if range_ >= _RANDOM64_RANGE else gen.random(n)
    return _from_draws(draws, range_, low, dtype)


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
def shuffle_targets(gen: Generator, n: int) -> np.ndarray:
    """The swap partner of each Fisher-Yates step: j_i = i + word_i % (n - i) for i < n - 1."""
    words = gen.random(n - 1)
    if n <= 1 << 32:  # in 32 bits the division is cheaper
        left = np.arange(n, 1, -1, dtype=np.uint32)  # n - i
        offsets = words.astype(np.uint32) % left
    else:
        offsets = words % np.arange(n, 1, -1, dtype=np.uint64)
    return np.arange(n - 1, dtype=np.int64) + offsets


def shuffle_plain(words: list[int], n: int) -> np.ndarray:
    """torch's loop, one swap at a time (the reference, and the fast path for small n): step i swaps
    a[i] with a[i + words[i] % (n - i)]."""
    a = list(range(n))
    for i, w in enumerate(words):
        j = i + w % (n - i)
        a[i], a[j] = a[j], a[i]
    return np.array(a, dtype=np.int64)


def shuffle_vectorized(targets: np.ndarray, n: int) -> np.ndarray:
    """The same permutation as ``shuffle_plain``, without a Python loop.

    Step i fixes position i for good: it takes whatever sits at j_i then. Before step k, position k holds
    the value d_k that the last earlier step aimed at k brought there (or k itself if none did), and that
    step m brought the value d_m it had found at its own position m. So d_k = d_m along a chain of
    earlier and earlier steps, which pointer jumping resolves in a few rounds. And the value step i takes
    from j_i is d of the previous step that aimed at j_i (or j_i itself, untouched): one sort by
    (target, step) lines up the steps aiming at each position.
    """
    steps = n - 1
    idx = np.int32 if n < 2**31 else np.int64  # indices in 4 bytes: the gathers below are memory-bound
    bits = max(1, steps.bit_length())
    order = np.sort((targets << bits) | np.arange(steps, dtype=np.int64))  # by target, then by step
    by_target = (order >> bits).astype(idx)
    step_of = (order & ((1 << bits) - 1)).astype(idx)
    same = np.flatnonzero(by_target[1:] == by_target[:-1])
    previous = np.full(steps, -1, idx)  # the previous step aimed at the same target, per step
    previous[step_of[same + 1]] = step_of[same]
    # the step that brought position k its value before step k: the last one aimed at k (sorted order: the
    # last write per target wins), unless that was step k itself (j_k = k), whose predecessor it then is
    before = np.full(n, -1, idx)
    before[by_target] = step_of
    own = np.flatnonzero(targets == np.arange(steps))
    before[own] = previous[own]
    # d_k = d_before[k]: follow the chains down to a position no earlier step touched (d_k = k there)
    d = np.arange(n, dtype=idx)
    chained = np.flatnonzero(before >= 0)
    d[chained] = before[chained]
    while chained.size:
        d[chained] = d[d[chained]]
        chained = chained[before[d[chained]] >= 0]  # still pointing at a position something wrote to
    final = np.empty(n, np.int64)
    final[:steps] = targets
    final[steps] = d[steps]
    taken = np.flatnonzero(previous >= 0)
    final[taken] = d[previous[taken]]
    return final


SMALL_SHUFFLE = 256  # below this the plain loop is faster than the vectorized construction


def randperm(gen: Generator, n: int) -> np.ndarray:
    """torch.randperm(n) as int64 (n < 2**32 / 20, torch's forward Fisher-Yates branch)."""
    if n >= (1 << 32) // 20:
        raise NotImplementedError(f"randperm({n}): chaingrad implements torch's shuffle for n < {(1 << 32) // 20} "
                                  "(larger n takes a different algorithm in torch)")
    if n <= 1:
        return np.zeros(n, np.int64)
    if n < SMALL_SHUFFLE:
        return shuffle_plain(gen.random(n - 1).tolist(), n)
    return shuffle_vectorized(shuffle_targets(gen, n), n)
