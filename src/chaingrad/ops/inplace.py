"""In-place operations (``x += 1``, ``x.mul_(2)``, ``x[0] = 5``, ``w.data.normal_()``).

An in-place op is recorded as its out-of-place twin whose result is written back into the tensor's own
memory (so views see it); the tensor then points at the new node, and its version counter moves on so
that a backward needing the old values can tell they are gone. An in-place op on a view (``x[0].mul_(2)``,
and ``x[0] = v``, which writes through the view ``x[0]``) changes its base too: the base's node becomes a
``CopySlices`` wrapping the op's node, as in torch.
"""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import state
from ..autograd.node import Node, _edge, _refresh_view, _seq, apply, replay_view
from ..tensor import Tensor
from ._dispatch import number_operand
from .as_strided import regenerate_view

LEAF_MESSAGE = ("a leaf Variable that requires grad is being used in an in-place operation ({op} on a tensor "
                "of shape {shape}). Do the update under `with chaingrad.no_grad():`, or on `.data`.")


def inplace(t: Tensor, compute, op: str, others=()) -> Tensor:
    """Replace ``t``'s values with ``compute(t_old)``, recording the op when gradients are needed."""
    base = t._base
    if base is not None and t._view[1] != t._version[0]:
        _refresh_view(t)  # the base or another view changed since t's grad_fn was set
    record = state.enabled and (t.requires_grad or any(o.requires_grad for o in others if isinstance(o, Tensor)))
    if record:
        if t.requires_grad and t._grad_fn is None:
            raise RuntimeError(LEAF_MESSAGE.format(op=op, shape=list(t._data.shape)))
        if base is not None and base.requires_grad and base._grad_fn is None:
            raise RuntimeError(
                f"a view of a leaf Variable that requires grad is being used in an in-place operation ({op} on a "
                f"view of shape {list(t._data.shape)} of a leaf of shape {list(base._data.shape)}). Do the update "
                "under `with chaingrad.no_grad():`, or clone the leaf first.")
        old = Tensor._wrap(t._data.copy(), t.requires_grad)
        old._grad_fn, old._output_nr = t._grad_fn, t._output_nr
        out = compute(old)
    else:
        prev = state.enabled
        state.enabled = False
        try:
            out = compute(t)
        finally:
            state.enabled = prev
    _write(t, out, op)
    if record and base is not None:
        _rebase(t, base, old, out)
    elif record:
        t._grad_fn, t._output_nr, t.requires_grad = out._grad_fn, out._output_nr, out.requires_grad
    t._version[0] += 1
    if base is not None:
        t._view[1] = t._version[0]
    return t


class CopySlices(Node):
    """The base of a view after the view was changed in place by ``fn`` (the in-place op's node, recorded on
    the view's old values): the base with the view's region replaced by fn's result.

    As torch's CopySlices: its edges are the base's, then those of fn's other inputs (``x[0].mul_(y)``:
    base and y), and its derivative is fn's, applied to the gradient's part in the region."""

    torch_name = "CopySlices"
    name_prefix = "torch::autograd::"
    input_names = ("base", "src")
    formulas = ("dL/dbase = dL/dout, with the view's region replaced by the in-place op's gradient for the "
                "view's old values",
                "dL/dsrc = the in-place op's gradient for its other inputs, from dL/dout[region]")

    def backward(ctx, g):
        (fn,) = ctx.saved_tensors
        grads = fn.backward(replay_view(ctx.chain, g))
        grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
        gb = None
        if ctx.needs_input_grad[0]:
            gb = g.clone()
            region, g_view = replay_view(ctx.chain, gb), grads[0]
            if g_view is None or not fn.needs_input_grad[0]:
                region.zero_()
            else:
                from .reduce import sum_to

                region.copy_(sum_to(g_view, region.shape))
        return (gb,) + grads[1:len(fn.next_edges)]


def _rebase(view: Tensor, base: Tensor, old: Tensor, out: Tensor) -> None:
    """After ``view`` (whose values before were ``old``) was overwritten with ``out``: the base's node becomes
    CopySlices(old base, out's node), and the view a view of that."""
    fn = out._grad_fn
    if fn is None or fn.num_outputs != 1 or not fn.next_edges or fn.next_edges[0] != _edge(old) \
            or out._data.shape != view._data.shape:  # out is not one op on the old values: the region := out
        fn = apply(COPY, old, out)._grad_fn
    node = object.__new__(CopySlices)
    node._arrays = False
    node.next_edges = (_edge(base),) + fn.next_edges[1:]
    node.input_meta = ((base._data.shape, base._data.dtype),) + fn.input_meta[1:]
    node.needs_input_grad = (base.requires_grad,) + fn.needs_input_grad[1:]
    node.unlisted_inputs = tuple(i for i in fn.unlisted_inputs if i > 0)  # listed as fn lists them
    node.lists_numbers = fn.lists_numbers
    node.chain = view._view[0]
    node._saved = (fn,)  # (freed after backward, as any node's saved values)
    node._seq = next(_seq)
    if state.anomaly:
        from ..autograd.anomaly import record_trace

        record_trace(node)
    base._grad_fn, base._output_nr, base.requires_grad = node, 0, True
    fresh = regenerate_view(view._view[0], base)  # (AsStridedBackward0, as torch makes the view again)
    view._grad_fn, view._output_nr, view.requires_grad = fresh._grad_fn, fresh._output_nr, True


def _write(t: Tensor, out: Tensor, op: str) -> None:
    a, r = t._data, out._data
    if r.shape != a.shape:
        try:
            r = np.broadcast_to(r, a.shape)
        except ValueError:
            raise RuntimeError(f"{op}: output with shape {list(a.shape)} doesn't match the broadcast shape "
                               f"{list(np.broadcast_shapes(a.shape, r.shape))}") from None
    if r.dtype != a.dtype and not np.can_cast(r.dtype, a.dtype, casting="same_kind"):
        from ._checks import scalar_type

        raise RuntimeError(f"{op}: result type {scalar_type(r.dtype)} can't be cast to the desired output type "
                           f"{scalar_type(a.dtype)}")
    if not a.flags.writeable:
        raise RuntimeError(f"{op}: unsupported operation: this tensor shares memory with an expanded (broadcast) "
                           "tensor and can't be written; use .clone() first")
    np.copyto(a, r, casting="unsafe")


class Fill(Node):
    """Every element replaced by ``value`` (which may be a tensor that requires grad)."""

    input_names = ("x", "value")
    formulas = ("dL/dx = 0 (overwritten)", "dL/dvalue = dL/dout (summed over the broadcast)")

    def forward(ctx, x, value):
        return np.broadcast_to(value, x.shape).astype(x.dtype)

    def backward(ctx, g):
        return (g * 0 if ctx.needs_input_grad[0] else None), g  # zeros, not None: x still reaches the graph


# torch's nodes for the fills (one derivative: Fill's): copy_, fill_ by a number (no edge for it) or by a
# 0-dim tensor, zero_
COPY = Fill.named("CopyBackwards", name_prefix="torch::autograd::")
_FILL_NUMBER, _FILL_TENSOR = Fill.named("FillBackward2", unlisted_inputs=(1,)), Fill.named("FillBackward3")
_ZERO = Fill.named("ZeroBackward0", unlisted_inputs=(1,))


_UFUNCS = {"add_": np.add, "sub_": np.subtract, "mul_": np.multiply, "div_": np.true_divide}


def _arith(name: str, fn):
    ufunc = _UFUNCS.get(name)

    def method(self, other, *args, **kwargs):
        if ufunc is not None and not args and not kwargs and _unrecorded_update(self, other, ufunc):
            return self
        others = (other,) if isinstance(other, Tensor) else ()
        return inplace(self, lambda old: fn(old, other, *args, **kwargs), name, others)

    method.__name__ = name
    return method


def _unrecorded_update(t: Tensor, other, ufunc) -> bool:
    """``t += other`` (-=, *=, /=) written straight into t's array when nothing is recorded. Returns False,
    having done nothing, for what the general path must handle: recording, views, dtype changes, shapes
    that do not broadcast to t's, read-only arrays.

    Speed: ``w -= lr * w.grad`` under no_grad is the update of every hand-written training loop, and the
    general path (the recording checks, a copy, the op, the write back) costs more than the update itself
    on small tensors. Tested against the general path in tests/test_fast_paths.py."""
    if t._base is not None or (state.enabled and (t.requires_grad or (isinstance(other, Tensor)
                                                                      and other.requires_grad))):
        return False
    a = t._data
    if isinstance(other, Tensor):
        b = other._data
        if b.dtype != a.dtype or a.dtype.kind != "f":
            return False
    elif number_operand(t, other):
        b = other
    else:
        return False
    try:
        ufunc(a, b, a)  # (out= by position)
    except ValueError:  # raised before anything is written: shapes that do not broadcast to t's, or a read-only array
        return False
    t._version[0] += 1
    return True


def _unary(name: str, fn):
    def method(self, *args, **kwargs):
        return inplace(self, lambda old: fn(old, *args, **kwargs), name)

    method.__name__ = name
    return method


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, converted to this dtype in the copy: its gradient comes back in src's dtype)."""
    src = src if isinstance(src, Tensor) else Tensor._wrap(np.asarray(src))
    try:
        if np.broadcast_shapes(src._data.shape, self._data.shape) != self._data.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"copy_: the source of shape {list(src._data.shape)} can't be broadcast to the "
                           f"destination of shape {list(self._data.shape)}") from None
    return inplace(self, lambda old: apply(COPY, old, src), "copy_", (src,))


def fill_(self: Tensor, value) -> Tensor:
    """Every element set to ``value``: a number, or a 0-dim tensor (which then gets the summed gradient)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        return inplace(self, lambda old: apply(_FILL_TENSOR, old, value), "fill_", (value,))
    v = Tensor._wrap(np.array(value, dtype=self._data.dtype))
    return inplace(self, lambda old: apply(_FILL_NUMBER, old, v), "fill_")


def zero_(self: Tensor) -> Tensor:
    if not (state.enabled and self.requires_grad):
        self._data.fill(0)
        self._version[0] += 1
        return self
    return inplace(self, lambda old: apply(_ZERO, old, Tensor._wrap(np.zeros((), self._data.dtype))), "zero_")


class RandomFill(Node):
    """Every element replaced by a random draw (``values``, drawn by ops/random_fill.py). The result depends
    on neither x nor the probabilities ``p`` of ``bernoulli_(p)``: both get zero gradients, as in torch."""

    input_names = ("x", "values", "p")
    unlisted_inputs = (1,)  # (the draws are no input of torch's node)
    formulas = ("dL/dx = 0 (overwritten by the draws)", "not differentiable (the draws: a constant)",
                "dL/dp = 0 (a draw has no derivative in its probability)")

    def forward(ctx, x, values, p=None):
        ctx.p_shape = None if p is None else p.shape
        return values

    def backward(ctx, g):
        need = ctx.needs_input_grad
        dx = g * 0 if need[0] else None
        if ctx.p_shape is None:
            return dx, None
        return dx, None, (Tensor._wrap(np.zeros(ctx.p_shape, g.dtype.np)) if need[2] else None)


def _random_fill(self: Tensor, values: np.ndarray, op: str, node: str, p: Tensor | None = None) -> Tensor:
    """Overwrite self with values (drawn by ops/random_fill.py), recorded as torch's node ``node`` for ``op``."""
    fill = RandomFill.named(node)
    v = Tensor._wrap(values.astype(self._data.dtype))
    if p is None:
        return inplace(self, lambda old: apply(fill, old, v), op)
    return inplace(self, lambda old: apply(fill, old, v, p), op, (p,))


def _attach() -> None:
    from . import elementwise as ew
    from .index import masked_fill

    T = Tensor
    T.add_ = _arith("add_", ew.add)
    T.sub_ = _arith("sub_", ew.sub)
    T.mul_ = _arith("mul_", ew.mul)
    T.div_ = _arith("div_", ew.div)
    T.pow_ = _arith("pow_", ew.pow)
    T.remainder_ = _arith("remainder_", ew.remainder)
    T.maximum_ = _arith("maximum_", ew.maximum)
    T.masked_fill_ = lambda self, mask, value: inplace(
        self, lambda old: masked_fill(old, mask, value), "masked_fill_",
        (value,) if isinstance(value, Tensor) else ())
    T.subtract_, T.multiply_, T.divide_ = T.sub_, T.mul_, T.div_
    T.__iadd__, T.__isub__, T.__imul__, T.__itruediv__ = T.add_, T.sub_, T.mul_, T.div_  # (no lambda hop: w -= ...)
    T.__ipow__ = lambda self, other: T.pow_(self, other)
    T.__imod__ = lambda self, other: T.remainder_(self, other)
    T.__ifloordiv__ = _arith("floor_divide_", ew.floor_divide)
    for name in ("neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
                 "relu", "floor", "ceil", "round", "trunc", "sign", "square", "reciprocal", "clamp", "clip"):
        setattr(T, name + "_", _unary(name + "_", getattr(ew, name)))
    T.copy_ = copy_
    T.fill_ = fill_
    T.zero_ = zero_


def _attach_twins() -> None:
    """The in-place twins of ops defined in later files (ops/__init__.py imports this one first): each is
    its out-of-place op written back, named and differentiated as that op (torch: ``x.tan_()`` is TanBackward0)."""
    T = Tensor
    for name in ("absolute", "negative", "sinh", "cosh", "tan", "log2", "log10", "cumsum"):
        method = getattr(T, name)
        setattr(T, name + "_", _unary(name + "_", lambda x, *a, _m=method, **k: _m(x, *a, **k)))
    for name in ("true_divide",):
        method = getattr(T, name)
        setattr(T, name + "_", _arith(name + "_", lambda x, other, *a, _m=method, **k: _m(x, other, *a, **k)))
    T.floor_divide_ = T.__ifloordiv__
    scatter_add = T.scatter_add
    T.scatter_add_ = lambda self, dim, index, src: inplace(
        self, lambda old: scatter_add(old, dim, index, src), "scatter_add_", (src,))


_attach()
