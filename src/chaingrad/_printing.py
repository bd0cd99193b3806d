"""Text form of tensors, laid out the way torch prints them (4 decimals, 80 columns)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

PRINT_OPTS: dict[str, Any] = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Printing options with torch's names and defaults."""
    if profile == "default":
        PRINT_OPTS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        PRINT_OPTS.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        PRINT_OPTS.update(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            PRINT_OPTS[key] = value
    PRINT_OPTS["sci_mode"] = sci_mode


class _ElementFormat:
    """Chooses one width and notation for all elements, from the values shown."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        p = PRINT_OPTS["precision"]
        flat = values.ravel()
        if not self.floating:
            if flat.size:
                self.width = max(len(str(v)) for v in flat.tolist())
            return
        shown = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if shown.size == 0:
            return
        magnitudes = np.abs(shown)
        lo, hi = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        forced = PRINT_OPTS["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if forced is None else forced
        if self.sci_mode:
            self.width = max(len(f"{v:.{p}e}") for v in shown.tolist())
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in shown.tolist())
        else:
            self.width = max(len(f"{v:.{p}f}") for v in shown.tolist())

    def __call__(self, value) -> str:
        p = PRINT_OPTS["precision"]
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{p}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{p}f}"
        return text.rjust(self.width)


def _edges(a: np.ndarray) -> np.ndarray:
    """The values shown when a big tensor is summarized: edgeitems at each end of every dim."""
    e = PRINT_OPTS["edgeitems"]
    for axis in range(a.ndim):
        if a.shape[axis] > 2 * e:
            a = np.concatenate([a.take(range(e), axis), a.take(range(a.shape[axis] - e, a.shape[axis]), axis)], axis)
    return a


def _body(a: np.ndarray, indent: int, summarize: bool, fmt: _ElementFormat) -> str:
    e = PRINT_OPTS["edgeitems"]
    if a.ndim == 0:
        return fmt(a.item())
    n = a.shape[0]
    cut = summarize and n > 2 * e
    rows = list(range(e)) + [None] + list(range(n - e, n)) if cut else list(range(n))
    if a.ndim == 1:
        per_line = max(1, (PRINT_OPTS["linewidth"] - indent) // (fmt.width + 2))
        items = [" ..." if i is None else fmt(a[i].item()) for i in rows]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if i is None else _body(a[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(t, prefix: str = "tensor(") -> str:
    """``tensor([[1.], [2.]], requires_grad=True)``, as torch prints it."""
    from ._dtype import bool_, get_default_dtype, int64

    a = t._data
    indent = len(prefix)
    summarize = a.size > PRINT_OPTS["threshold"]
    if a.size == 0:
        body = "[]"
    else:
        fmt = _ElementFormat(_edges(a) if summarize else a)
        body = _body(a, indent, summarize, fmt)
    suffixes = []
    if a.size == 0 and a.shape != (0,):
        suffixes.append(f"size={tuple(a.shape)}")
    d = t.dtype
    if d not in (get_default_dtype(), int64, bool_) or (a.size == 0 and d is not get_default_dtype()):
        suffixes.append(f"dtype={d!r}")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name().rsplit('::', 1)[-1]}>")  # CopySlices, not its C++ namespace
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > PRINT_OPTS["linewidth"]:
            text += ",\n" + " " * indent + s
            last = indent + len(s)
        else:
            text += ", " + s
            last += len(s) + 2
    return text + ")"
