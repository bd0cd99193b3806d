"""Running (scan) ops along a dim: cumprod, logcumsumexp, cummax/cummin, and diff (cumsum is a reduction's twin,
in reduce.py)."""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..autograd.grad_mode import state
from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim
from ._checks import require_float, require_tensor
from .index import IndexAdd
from .reduce import scan_dtype
from .sorting import along


def _revcumsum(t: Tensor, dim: int) -> Tensor:
    """out_i = sum over j >= i of t_j along ``dim``."""
    return t.flip(dim).cumsum(dim).flip(dim)


class Cumprod(Node):
    formulas = ("dL/dx_i = sum over j >= i of dL/dout_j * out_j / x_i (with zeros: the product of the others)",)

    def forward(ctx, x, axis=0):
        ctx.axis = axis
        out = np.cumprod(x, axis=axis, dtype=x.dtype)  # (no int64 upcast of small ints and bools)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        d = ctx.axis
        a = x._data
        if not (a == 0).any():
            return _revcumsum(g * out, d) / x
        if state.enabled:  # create_graph: the products of the others, recorded so that they can be differentiated
            return _grad_through_zeros(g, x, d)
        # Before the first zero of a slice the division is safe; at the first zero the gradient is the running
        # product with that zero replaced by 1; after it every product holds that zero, so the gradient is 0.
        zero = a == 0
        seen = np.cumsum(zero, axis=d)
        before = Tensor._wrap(seen == 0)
        first = Tensor._wrap(zero & (seen == 1))
        one = Tensor._wrap(np.ones((), a.dtype))
        nil = Tensor._wrap(np.zeros((), g._data.dtype))
        x_safe = x.where(before, one)
        g_before = _revcumsum(g * out, d) / x_safe
        g_first = _revcumsum(g * cumprod(x.where(~first, one), d), d)
        return g_before.where(before, g_first.where(first, nil))


def _grad_through_zeros(g: Tensor, x: Tensor, d: int) -> Tensor:
    """dL/dx_i = sum over j >= i of g_j * (product of x_k for k <= j, k != i), as differentiable ops (O(n^2))."""
    v, gv = x.movedim(d, -1), g.movedim(d, -1)
    n = v.shape[-1]
    eye = Tensor._wrap(np.eye(n, dtype=bool))
    others = v.unsqueeze(-2).where(~eye, Tensor._wrap(np.ones((), v._data.dtype))).cumprod(-1)  # [i, j]
    later = Tensor._wrap(np.triu(np.ones((n, n), v._data.dtype)))  # j >= i
    return (gv.unsqueeze(-2) * others * later).sum(-1).movedim(-1, d)


class Logcumsumexp(Node):
    formulas = ("dL/dx_i = sum over j >= i of dL/dout_j * exp(x_i - out_j)",)

    def forward(ctx, x, axis=0):
        ctx.axis = axis
        out = np.logaddexp.accumulate(x, axis=axis)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        d = ctx.axis
        # sum_j g_j exp(x_i - out_j) without overflow: positive and negative parts of g through log-space sums
        # (exp(x_i - out_j) <= 1 for j >= i), each a reversed logcumsumexp
        dt = g._data.dtype
        zero, one, ninf = (Tensor._wrap(np.array(v, dt)) for v in (0.0, 1.0, -np.inf))
        pos, neg = g.clamp(min=0), (-g).clamp(min=0)

        def part(h):  # exp(x_i + log sum_{j >= i} h_j exp(-out_j)); log 0 = -inf taken without a 1/0 derivative
            live = Tensor._wrap(h._data > 0)
            s = (h.where(live, one).log() - out).where(live, ninf)
            return (logcumsumexp(s.flip(d), d).flip(d) + x).exp()

        with np.errstate(invalid="ignore"):
            gx = part(pos) - part(neg)
        return gx.where(Tensor._wrap(~np.isnan(gx._data)), zero)


def _cum_indices(x: np.ndarray, values: np.ndarray, axis: int) -> np.ndarray:
    """Where each running extreme came from; as torch, a later element equal to it (or a NaN) takes over."""
    hit = (x == values) | (np.isnan(x) if x.dtype.kind == "f" else False)
    pos = np.arange(x.shape[axis]).reshape((-1,) + (1,) * (x.ndim - 1 - axis))
    return np.maximum.accumulate(np.where(hit, pos, 0), axis=axis)


class CumExtreme(Node):
    """cummax (``smallest``: cummin): out_i = the max of x_0..x_i; its gradient goes to the index it came from."""

    formulas = ("dL/dx_k = sum of dL/dout_i over the i whose running max came from x_k",)

    def forward(ctx, x, axis=0, smallest=False):
        ctx.axis, ctx.smallest, ctx.shape = axis, smallest, x.shape
        values = (np.minimum if smallest else np.maximum).accumulate(x, axis=axis)
        ctx.indices = _cum_indices(x, values, axis)
        return values

    def backward(ctx, g):
        return apply(IndexAdd, g, index=along(ctx.indices, ctx.axis), basic=False, shape=ctx.shape)


_CUMMAX, _CUMMIN = CumExtreme.named("CummaxBackward0"), CumExtreme.named("CumminBackward0")  # (torch's names)


def _scan_dim(input: Tensor, dim: int, op: str) -> int:
    require_tensor(input, op)
    return _check_dim(dim, input._data.ndim, op)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``; integer and bool inputs give int64, as torch."""
    d = _scan_dim(input, dim, "cumprod")
    if dtype is not None:
        input = input.to(scan_dtype(dtype, "cumprod"))
    elif input._data.dtype.kind in "biu" and input._data.dtype != np.int64:
        input = input.long()
    if input._data.ndim == 0:
        return cumprod(input.reshape(1), 0).reshape(())
    return apply(Cumprod, input, axis=d)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(x))) along ``dim``, without overflow."""
    d = _scan_dim(input, dim, "logcumsumexp")
    require_float(input, "logcumsumexp", "logcumsumexp_out_cpu", "takes floating point tensors")
    if input._data.ndim == 0:
        return logcumsumexp(input.reshape(1), 0).reshape(())
    return apply(Logcumsumexp, input, axis=d)


def _cum_extreme(input: Tensor, dim: int, smallest: bool):
    op = "cummin" if smallest else "cummax"
    d = _scan_dim(input, dim, op)
    result = return_types.cummin if smallest else return_types.cummax
    if input._data.ndim == 0:
        v, i = _cum_extreme(input.reshape(1), 0, smallest)
        return result(v.reshape(()), i.reshape(()))
    values = apply(_CUMMIN if smallest else _CUMMAX, input, axis=d, smallest=smallest)
    indices = _cum_indices(input._data, values._data, d).astype(np.int64)
    return result(values, Tensor._wrap(indices))


def cummax(input: Tensor, dim: int):
    """(values, indices): the running maximum along ``dim`` and where each came from."""
    return _cum_extreme(input, dim, False)


def cummin(input: Tensor, dim: int):
    """(values, indices): the running minimum along ``dim`` and where each came from."""
    return _cum_extreme(input, dim, True)


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference along ``dim``: out[i] = x[i + 1] - x[i] (for bool tensors: x[i + 1] != x[i])."""
    require_tensor(input, "diff")
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _check_dim(dim, input._data.ndim, "diff")
    x = input
    if prepend is not None or append is not None:
        from .shape import cat

        parts = [p for p in (prepend, input, append) if p is not None]
        for p in parts:
            if require_tensor(p, "diff", "prepend/append")._data.ndim != input._data.ndim:
                raise RuntimeError(f"diff expects prepend or append to be the same dimension as input (input has "
                                   f"{input._data.ndim} dims, got {p._data.ndim})")
        x = cat(parts, d)
    for _ in range(n):
        size = x._data.shape[d]
        if size == 0:
            break
        hi, lo = x.narrow(d, 1, size - 1), x.narrow(d, 0, size - 1)
        x = (hi != lo) if x._data.dtype.kind == "b" else hi - lo
    return x


def _attach() -> None:
    from .inplace import inplace

    for name in ("cumprod", "logcumsumexp", "cummax", "cummin", "diff"):
        setattr(Tensor, name, globals()[name])
    Tensor.cumprod_ = lambda self, dim, *, dtype=None: inplace(self, lambda old: cumprod(old, dim, dtype=dtype),
                                                               "cumprod_")


_attach()
