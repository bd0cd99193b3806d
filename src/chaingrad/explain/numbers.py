"""A derivative formula with the numbers put in: ``dL/dB = A^T @ dL/dout`` becomes
``[[1], [2], [3]]^T @ [[-1.5], [-3], [-4.5]]`` once ``A`` and ``dL/dout`` are known and small.

Only algebraic formulas get numbers (operators, parentheses, numbers and a few elementwise functions);
a formula written in words (``dL/dout where x is the max, else 0``) keeps its names.
"""

from __future__ import annotations

import re

#: function names that may stand in a formula that is shown with numbers
FUNCTIONS = frozenset({"exp", "ln", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "sign", "abs", "T"})

_TOKEN = re.compile(r"dL/d([A-Za-z_]\w*)|(?<![\w'])([A-Za-z_]\w*)")


def number_formula(formula: str, values: dict) -> str | None:
    """The right-hand side of ``formula`` with each operand replaced by ``values[letter]`` (text).

    ``values`` maps the op's letters (``A``, ``x``, ``out``, ``n`` ...) to formatted values and ``"dL/dout"`` to
    the gradient arriving. None when the formula is not algebraic, when an operand it needs has no value
    (unknown or too big to show), or when it uses no forward value at all (then the numbers are just the
    gradient arriving, shown elsewhere).
    """
    if "=" not in formula:
        return None
    rhs = formula.split("=", 1)[1].strip()
    used_forward = False
    missing = False

    def sub(m):
        nonlocal used_forward, missing
        if m.group(1) is not None:
            if m.group(1) != "out" or "dL/dout" not in values:
                missing = True
                return m.group(0)
            return _wrap(values["dL/dout"])
        word = m.group(2)
        if word in values:
            used_forward = True
            return _wrap(values[word])
        if word not in FUNCTIONS:
            missing = True
        return word

    text = _TOKEN.sub(sub, rhs)
    if missing or not used_forward:
        return None
    return text


def _wrap(value: str) -> str:
    """Negative numbers get parentheses so that ``a * -2`` reads ``a * (-2)``."""
    return f"({value})" if value.startswith("-") else value
