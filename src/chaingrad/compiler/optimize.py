"""Passes over a finished trace that make the replay cheaper without changing a bit of its results.

Each pass removes work that eager chaingrad does but whose result the replay does not need, and says why the
bits cannot change. tests/test_compile.py runs every captured program compiled and eagerly and compares
every loss, parameter and buffer with ``np.array_equal``.
"""

from __future__ import annotations

import re

import numpy as np

from .tracer import Trace

_ASARRAY = re.compile(r"^(@\d+@) = np\.asarray\((.*)\)$")
_OUTPUT = re.compile(r"output\(@(\d+)@, ")
_TOKEN = re.compile(r"@(\d+)@")


def optimize(trace: Trace, arrays: dict) -> None:
    """Run every pass on ``trace`` in place (``arrays``: the tracer's array number -> the array it traced)."""
    drop_asarray(trace, arrays)


def drop_asarray(trace: Trace, arrays: dict) -> None:
    """``y = np.asarray(x * 0.5)`` -> ``y = x * 0.5`` where every use of ``y`` is plain arithmetic or the output.

    Eager wraps each 0-d result in ``np.asarray`` because NumPy gives a scalar for 0-d arithmetic (0.1 µs a
    call). A float scalar and a 0-d array of the same dtype give the same bits under + - * / (NumPy 2 promotes
    them alike, and these operations are correctly rounded in either path); ``**`` and every other function
    are left alone. ``output()`` makes its own 0-d array of a scalar, as eager's result."""
    lines = [line for line in trace.lines + (trace.backward or []) if line.text]
    uses: dict[int, list] = {}
    for line in lines:
        for n in _TOKEN.findall(line.text):
            uses.setdefault(int(n), []).append(line)
    held = set(trace.grad_outputs) | set(trace.backward_args) | {n for _, n in trace.deliveries}
    in_output = [int(n) for n in _TOKEN.findall(trace.output)]
    to_output = [int(n) for n in _OUTPUT.findall(trace.output)]
    for line in lines:
        m = _ASARRAY.match(line.text)
        if m is None or len(line.defines) != 1:
            continue
        n = line.defines[0]
        a = arrays.get(n)
        if a is None or np.dtype(a.dtype).kind != "f" or n in held:
            continue
        if in_output.count(n) != to_output.count(n):  # (returned other than as a tensor)
            continue
        if all(use is line or (use.scalar_ok and not use.text.startswith(f"@{n}@ ")) for use in uses[n]):
            line.text = f"{m.group(1)} = {m.group(2)}"
