"""The ops that a replay calls through their own ``forward``/``backward``, written as numba code for
``chaingrad.compile(backend="numba")``.

Each entry repeats its op's forward and backward (chaingrad/ops/) with the same arithmetic in the same order,
in the NumPy that numba compiles: Python numbers become numbers of the array's dtype (numba would compute
``float32 * 0.5`` in float64), and the loops NumPy does not have as one call are functions of numba_kernels.py.
``forward(o)`` gives the expression of the op's output, ``backward(o, i)`` that of input i's gradient (``o.g`` is
the output's gradient), each ``None`` for a case the entry does not cover (the backend then says which op).
tests/test_compile_numba.py checks every entry against the op itself. Ops without an entry are not translated:
a trace that calls one is replayed by the default NumPy backend (with a warning), never approximated.
"""

from __future__ import annotations

import numpy as np


class Val:
    """A value of the generated kernel: its code (a variable name), dtype, shape, and the array it held when
    traced (None for a Python number)."""

    __slots__ = ("code", "dtype", "shape", "array")

    def __init__(self, code: str, dtype, shape: tuple, array=None) -> None:
        self.code, self.dtype, self.shape, self.array = code, dtype, shape, array

    def __str__(self) -> str:
        return self.code

    @property
    def ndim(self) -> int:
        return len(self.shape)


def number(value, dtype) -> str:
    """A Python number as numba code of ``dtype``, as NumPy converts it next to an array of that dtype."""
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        text = "np.nan" if value != value else ("np.inf" if value > 0 else "-np.inf")
    else:
        text = repr(value)
    return f"np.{np.dtype(dtype).name}({text})"


class Call:
    """One call of an op, as a translation sees it: inputs (``Val`` or Python values), parameters, output."""

    def __init__(self, ins: list, params: dict, out: Val, needs: tuple) -> None:
        self.ins, self.params, self.out, self.needs = ins, params, out, needs
        self.g: Val | None = None

    @property
    def x(self):
        return self.ins[0]

    def lit(self, value) -> str:
        return number(value, self.out.dtype)


class Entry:
    def __init__(self, forward, backward) -> None:
        self.forward, self.backward = forward, backward


def _transposed(v: Val) -> bool:
    a = v.array
    return a is not None and a.ndim == 2 and a.flags.f_contiguous and not a.flags.c_contiguous


def _axes(axes, ndim: int):
    """Reduced axes as a sorted tuple (None: all)."""
    if axes is None:
        return None
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    return tuple(sorted(a % ndim for a in axes))


def summed(code: str, shape: tuple, axes, keep: tuple | None = None) -> str:
    """``np.add.reduce(code, axis=axes)``: all axes with NumPy's pairwise order (``total``), the last axis of a
    matrix by rows (``row_sums``), others one axis at a time, highest first (NumPy adds along a leading axis one
    slice after another, as ``np.sum(a, axis=0)`` does); reshaped to ``keep`` (keepdims) where given."""
    ndim = len(shape)
    axes = _axes(axes, ndim)
    if axes is None or axes == tuple(range(ndim)):
        out = f"total({code})"
        return out if keep is None or keep == () else f"np.full({keep!r}, {out})"
    if ndim == 2 and axes == (1,):
        out = f"row_sums({code})"
    elif len(axes) == 1:
        out = f"np.sum({code}, axis={axes[0]})"
    else:
        out = code
        for a in reversed(axes):
            out = f"np.sum({out}, axis={a})"
    return out if keep is None else f"{out}.reshape({keep!r})"


def _kept(shape: tuple, axes) -> tuple:
    axes = _axes(axes, len(shape))
    return tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))


def spread(code: str, g_shape: tuple, shape: tuple, axes) -> str:
    """``_spread(g, shape, axes)``: the reduced gradient copied over the summed axes."""
    if shape == ():
        return code
    if g_shape == ():
        return f"np.full({shape!r}, {code})"
    kept = _kept(shape, axes)
    g = code if g_shape == kept else f"{code}.reshape({kept!r})"
    return f"spread({g}, {shape!r})"


# -- the entries -----------------------------------------------------------------------------------------------
def _maximum_share(o: Call, op: str) -> str:
    a, b = o.ins
    return f"(({a} {op} {b}) * 1.0 + ({a} == {b}) * 0.5).astype(np.{np.dtype(o.out.dtype).name})"


def _maximum_bwd(op: str):
    def backward(o: Call, i: int):
        if not all(isinstance(v, Val) for v in o.ins):
            return None
        share = _maximum_share(o, op)
        return f"{o.g} * {share}" if i == 0 else f"{o.g} * ({o.lit(1)} - {share})"

    return backward


def _mean_fwd(o: Call):
    x = o.x
    axes, keep = o.params.get("axes"), o.params.get("keepdim", False)
    count = x.array.size // (o.out.array.size or 1) if x.array.size else 0
    if count == 0:
        return None
    total = summed(str(x), x.shape, axes, o.out.shape if keep and o.out.shape != () else None)
    return f"{total} / {o.lit(count)}"


def _mean_bwd(o: Call, i: int):
    x, g = o.x, o.g
    count = x.array.size // (o.out.array.size or 1) if x.array.size else 0
    if count == 0 or g is None:
        return None
    return spread(f"({g} / {o.lit(count)})" if g.shape else f"{g} / {o.lit(count)}", g.shape, x.shape,
                  o.params.get("axes"))


def _permute_fwd(o: Call):
    dims = tuple(o.params.get("dims", ()))
    if dims == (1, 0):
        return f"{o.x}.T"
    return f"np.transpose({o.x}, {dims!r})"


def _permute_bwd(o: Call, i: int):
    dims = tuple(o.params.get("dims", ()))
    if dims == (1, 0):
        return f"{o.g}.T"
    return f"np.transpose({o.g}, {tuple(int(d) for d in np.argsort(dims))!r})"


def _contiguous(v: Val) -> str:
    a = v.array
    return str(v) if a is not None and a.flags.c_contiguous else f"np.ascontiguousarray({v})"


def _addmm_ok(o: Call) -> bool:
    p = o.params
    return (p.get("kind", "addmm") == "addmm" and p.get("beta", 1) == 1 and p.get("alpha", 1) == 1
            and all(isinstance(v, Val) for v in o.ins) and o.ins[1].ndim == 2 and o.ins[2].ndim == 2)


def _addmm_fwd(o: Call):
    c, a, b = o.ins if _addmm_ok(o) else (None, None, None)
    return None if c is None else f"{a} @ {b} + {c}"


def _addmm_bwd(o: Call, i: int):
    if not _addmm_ok(o):
        return None
    _, a, b = o.ins
    if i == 0:
        return "=g"
    if i == 1:
        return f"{o.g} @ {b}.T"
    return f"({o.g}.T @ {a}).T" if _transposed(b) else f"{a}.T @ {o.g}"


def _last_axis(o: Call) -> bool:
    return o.x.ndim == 2 and o.params.get("dim", -1) in (1, -1)


def _nll_ok(o: Call) -> bool:
    p = o.params
    return (p.get("weight") is None and p.get("reduction", "mean") in ("mean", "sum") and isinstance(o.x, Val)
            and o.x.ndim == 2 and isinstance(p.get("target"), Val) and np.dtype(p["target"].dtype).kind == "i")


def _nll_args(o: Call) -> str:
    p = o.params
    return f"{p['target']}, {int(p.get('ignore_index', -100))}, {p.get('reduction', 'mean') == 'mean'}"


def _mse_scale(o: Call) -> str:
    n = o.ins[0].array.size
    return o.lit(2.0 / n if o.params.get("reduction", "mean") == "mean" else 2.0)


def _mse_fwd(o: Call):
    x, y = o.ins
    if not isinstance(y, Val) or x.shape != y.shape:
        return None
    reduction = o.params.get("reduction", "mean")
    sq = f"({x} - {y}) * ({x} - {y})"
    if reduction == "none":
        return sq
    return f"total({sq}) / {o.lit(x.array.size)}" if reduction == "mean" else f"total({sq})"


def _mse_bwd(o: Call, i: int):
    x, y = o.ins
    gx = f"({x} - {y}) * ({o.g} * {_mse_scale(o)})"
    return gx if i == 0 else f"-({gx})"


def _one(o: Call) -> str:
    return o.lit(1)


TABLE: dict[str, Entry] = {
    "Relu": Entry(lambda o: f"np.maximum({o.x}, {o.lit(0)})", lambda o, i: f"{o.g} * ({o.out} > {o.lit(0)})"),
    "Sigmoid": Entry(
        lambda o: f"{_one(o)} / (np.exp(-{o.x}) + {_one(o)})",  # (exp's overflow to inf gives eager's 0)
        lambda o, i: f"{o.g} * {o.out} * ({_one(o)} - {o.out})"),
    "Log": Entry(lambda o: f"np.log({o.x})", lambda o, i: f"{o.g} / {o.x}"),
    "Sqrt": Entry(lambda o: f"np.sqrt({o.x})", lambda o, i: f"{o.g} / ({o.out} * {o.lit(2)})"),
    "Abs": Entry(lambda o: f"np.abs({o.x})", lambda o, i: f"{o.g} * np.sign({o.x})"),
    "Maximum": Entry(lambda o: f"np.maximum({o.ins[0]}, {o.ins[1]})" if all(isinstance(v, Val) for v in o.ins)
                     else None, _maximum_bwd(">")),
    "Minimum": Entry(lambda o: f"np.minimum({o.ins[0]}, {o.ins[1]})" if all(isinstance(v, Val) for v in o.ins)
                     else None, _maximum_bwd("<")),
    "Mean": Entry(_mean_fwd, _mean_bwd),
    "Permute": Entry(_permute_fwd, _permute_bwd),
    "Reshape": Entry(lambda o: f"{_contiguous(o.x)}.reshape({o.out.shape!r})",
                     lambda o, i: f"np.ascontiguousarray({o.g}).reshape({o.x.shape!r})"),
    "AddMatmul": Entry(_addmm_fwd, _addmm_bwd),
    "LogSoftmax": Entry(lambda o: f"log_softmax({o.x})" if _last_axis(o) else None,
                        lambda o, i: f"log_softmax_backward({o.g}, {o.out})" if _last_axis(o) else None),
    "NllLoss": Entry(lambda o: f"nll_loss({o.x}, {_nll_args(o)})" if _nll_ok(o) else None,
                     lambda o, i: f"nll_loss_backward({o.g}, {o.x}, {_nll_args(o)})" if _nll_ok(o) else None),
    "MseLoss": Entry(_mse_fwd, _mse_bwd),
}
